"""factsheets: one PDF "Les indicateurs clés : commerce extérieur" sheet per French department.

Stages, each in its own module, data flowing one way:
ingest (raw files -> canonical) -> load (canonical file -> validated frame) ->
indicators (pure Polars) -> charts (pure functions of indicators) -> layout (ReportLab)
-> render (files, workers) -> mail.
"""

__version__ = "0.1.0"

from . import deferred_modules, fast_patterns

fast_patterns.install()  # patterns ReportLab and PyYAML compile, 24 ms sooner (fast_patterns)
deferred_modules.install()  # Pillow's image module, which ReportLab imports, run when first used
