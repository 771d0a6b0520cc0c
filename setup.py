"""Package list for setuptools: every `factsheets*` package found in the repository, plus the
shipped data folders that pyproject.toml maps into the package (see [tool.setuptools.package-dir])."""

from setuptools import find_packages, setup

SHIPPED = ["factsheets._config", "factsheets._fonts", "factsheets._assets", "factsheets._sample"]

setup(packages=find_packages(include=["factsheets", "factsheets.*"]) + SHIPPED)
