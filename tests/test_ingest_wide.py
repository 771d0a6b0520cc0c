"""Cross-tables (`wide: country` / `wide: product`, spec section 13): every column not named
in `columns` is headed by a code and holds a value; empty cells are zero."""

from __future__ import annotations

import polars as pl
import pytest
from cli_helpers import run_in_process

from factsheets.paths import SAMPLE_DATA

PROFILE = """format: csv
separator: ";"
decimal: ","
encoding: cp1252
unit: thousands_eur
header: true
{wide}
columns:
  year: Année
  flow: Flux
  department: Département
{named}
flow_codes:
  E: export
  I: import
"""


@pytest.fixture(scope="module")
def oise() -> pl.DataFrame:
    """The sample's Oise in 2024, in thousands of euros with three decimals (as the customs give it)."""
    rows = pl.read_parquet(SAMPLE_DATA).filter((pl.col("department") == "60") & (pl.col("year") == 2024))
    return rows.with_columns((pl.col("value_eur") / 1000).round(3).alias("k_eur"))


def _cross_table(frame: pl.DataFrame, wide: str, other: str, path) -> list[str]:
    table = frame.pivot(on=wide, index=["year", "flow", "department", other], values="k_eur").sort("flow", other)
    codes = [name for name in table.columns if name not in ("year", "flow", "department", other)]
    label = {"product": "Produit", "country": "Pays"}[other]
    lines = [";".join(["Année", "Flux", "Département", label, *codes])]
    for row in table.iter_rows(named=True):
        cells = ["" if row[code] is None else f"{row[code]:.3f}".replace(".", ",") for code in codes]
        lines.append(";".join([str(row["year"]), "E" if row["flow"] == "export" else "I", row["department"], row[other], *cells]))
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    return codes


@pytest.mark.parametrize("wide,other", [("country", "product"), ("product", "country")])
def test_cross_table_gives_the_long_rows(tmp_path, oise, wide, other):
    source = tmp_path / "croise.csv"
    _cross_table(oise, wide, other, source)
    label = {"product": "Produit", "country": "Pays"}[other]
    profile = tmp_path / "croise.yaml"
    profile.write_text(PROFILE.format(wide=f"wide: {wide}", named=f"  {other}: {label}"), encoding="utf-8")
    out = tmp_path / "out.csv"
    result = run_in_process("ingest", source, "--profile", profile, "--out", out)
    assert result.returncode == 0, result.stderr
    got = pl.read_csv(out, schema_overrides={"department": pl.String}).sort("flow", "product", "country")
    expected = oise.filter(pl.col("k_eur") > 0).sort("flow", "product", "country")
    assert got.height == expected.height  # every non-empty cell once (the sample has no zero row here)
    assert got["product"].to_list() == expected["product"].to_list()
    assert got["country"].to_list() == expected["country"].to_list()
    for value, k_eur in zip(got["value_eur"], expected["k_eur"]):
        assert value == pytest.approx(k_eur * 1000, abs=1e-6)
    for flow in ("export", "import"):
        total = sum(round(v / 1000, 3) * 1000 for v in oise.filter(pl.col("flow") == flow)["value_eur"])
        assert got.filter(pl.col("flow") == flow)["value_eur"].sum() == pytest.approx(total, abs=0.01)


def test_inspect_recognises_a_cross_table_and_proposes_the_key(tmp_path, oise):
    source = tmp_path / "croise.csv"
    codes = _cross_table(oise, "country", "product", source)
    profile = tmp_path / "long.yaml"
    profile.write_text(PROFILE.format(wide="", named="  product: Produit\n  country: Pays\n  value: Valeur"), encoding="utf-8")
    result = run_in_process("ingest", "--inspect", source, "--profile", profile)
    proposal = [line for line in result.stdout.splitlines() if line.startswith("tableau croisé")]
    assert len(proposal) == 1 and "wide: country" in proposal[0] and f"{len(codes)} colonne(s)" in proposal[0]
    wide_profile = tmp_path / "wide.yaml"
    wide_profile.write_text(PROFILE.format(wide="wide: country", named="  product: Produit"), encoding="utf-8")
    result = run_in_process("ingest", "--inspect", source, "--profile", wide_profile)
    assert "tableau croisé" not in result.stdout
    assert f"country    ← en-têtes des {len(codes)} colonne(s)" in result.stdout


def test_cross_table_bad_cell_and_bad_profile(tmp_path):
    source = tmp_path / "croise.csv"
    source.write_text("Année;Flux;Département;Produit;DE;US\n2024;E;60;C29A;1x;2\n", encoding="cp1252")
    profile = tmp_path / "wide.yaml"
    profile.write_text(PROFILE.format(wide="wide: country", named="  product: Produit"), encoding="utf-8")
    result = run_in_process("ingest", source, "--profile", profile, "--out", tmp_path / "o.csv")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{source}:2" in result.stderr and "« 1x » n'est pas un nombre" in result.stderr
    profile.write_text(PROFILE.format(wide="wide: pays", named="  product: Produit"), encoding="utf-8")
    result = run_in_process("ingest", source, "--profile", profile, "--out", tmp_path / "o.csv")
    assert result.returncode == 2 and "wide" in result.stderr and "Traceback" not in result.stderr
