"""`ingest` reads a CSV in batches of lines (bounded memory, SPEC 15): where batches end must
change nothing, neither the output bytes nor the error lines and their line numbers."""

import polars as pl
import pytest

from factsheets.ingest import readers
from factsheets.paths import SAMPLE_DATA
from tests.cli_helpers import PROJECT_ROOT, run_in_process

DEFAULT = readers.BATCH_BYTES
TINY = 700  # bytes: about twenty-five lines per batch
DGDDI_HEADER = "Annee;Flux;Code département;Code A129;Code Pays;Valeur"


@pytest.fixture(scope="module")
def sample_rows() -> list[tuple]:
    """A few thousand distinct rows of the sample, two years, many departments."""
    frame = pl.read_parquet(SAMPLE_DATA).filter(pl.col("year") >= 2023).gather_every(100)
    return frame.rows()


def dgddi_line(row: tuple) -> str:
    year, flow, department, product, country, value = row
    euros = int(value)
    # Thousands of euros with a decimal comma, and a number the department pad completes ("2" -> "02").
    return f"{year};{'E' if flow == 'export' else 'I'};{department.lstrip('0') or '0'};{product};{country};{euros // 1000},{euros % 1000:03d}"


def write_dgddi(path, lines: list[str]) -> None:
    # Windows-1252 bytes under the latin-1 profile: the € of a line is read as written.
    path.write_bytes(("\r\n".join([DGDDI_HEADER, *lines]) + "\r\n").encode("cp1252"))


def ingest(monkeypatch, batch_bytes: int, *args):
    monkeypatch.setattr(readers, "BATCH_BYTES", batch_bytes)
    monkeypatch.delenv("FACTSHEETS_INGEST_BATCH_BYTES", raising=False)
    return run_in_process("ingest", *args)


def test_tiny_batches_give_the_same_bytes(tmp_path, monkeypatch, sample_rows):
    source = tmp_path / "dgddi.csv"
    write_dgddi(source, [dgddi_line(row) for row in sample_rows])
    from factsheets.ingest import load_profile
    from factsheets.ingest.sources import Source

    batches = list(readers.csv_batches(Source(source, "csv", source.read_bytes()[:4096], on_disk=True), load_profile("dgddi")))
    assert len(batches) == 1
    monkeypatch.setattr(readers, "BATCH_BYTES", TINY)
    batches = list(readers.csv_batches(Source(source, "csv", source.read_bytes()[:4096], on_disk=True), load_profile("dgddi")))
    assert len(batches) > 50  # the test below really crosses batch boundaries
    # The lines of the file, each row once, numbered as in the file (header on line 1).
    lines = pl.concat(batches)["__line"].to_list()
    assert lines == list(range(2, len(sample_rows) + 2))

    outputs = {}
    for size in (DEFAULT, TINY):
        for suffix in (".parquet", ".csv"):
            out = tmp_path / f"out-{size}{suffix}"
            result = ingest(monkeypatch, size, source, "--profile", "dgddi", "--out", out)
            assert result.returncode == 0, result.stderr
            outputs[size, suffix] = (out.read_bytes(), result.stderr.replace(str(out), "OUT"))
    assert outputs[DEFAULT, ".parquet"] == outputs[TINY, ".parquet"]
    assert outputs[DEFAULT, ".csv"] == outputs[TINY, ".csv"]
    # And the output is the sample's rows (computed independently: sorted, in euros).
    expected = pl.DataFrame(sample_rows, schema=pl.read_parquet(SAMPLE_DATA).schema, orient="row").sort(
        "year", "flow", "department", "product", "country", "value_eur"
    )
    assert pl.read_parquet(tmp_path / f"out-{TINY}.parquet").equals(expected)


def test_errors_in_later_batches_name_their_lines(tmp_path, monkeypatch, sample_rows):
    lines = [dgddi_line(row) for row in sample_rows]
    lines.insert(1800 - 2, lines[300 - 2])  # line 1800 repeats line 300 (in one of the first batches)
    bad = {900: "abc", 1500: "12.5", 2100: "-3"}  # line of the file -> value written there
    for line, value in bad.items():
        lines[line - 2] = lines[line - 2].rsplit(";", 1)[0] + f";{value}"
    lines[1200 - 2] = lines[1200 - 2].replace(";E;", ";X;").replace(";I;", ";X;")
    source = tmp_path / "dgddi.csv"
    write_dgddi(source, lines)

    whole = ingest(monkeypatch, DEFAULT, source, "--profile", "dgddi", "--out", tmp_path / "a.parquet")
    tiny = ingest(monkeypatch, TINY, source, "--profile", "dgddi", "--out", tmp_path / "b.parquet")
    assert whole.returncode == tiny.returncode == 2
    assert tiny.stderr == whole.stderr
    errors = tiny.stderr.splitlines()
    assert [line.split(" : ")[2] for line in errors if "n'est pas un nombre" in line] == [
        f"{source}:900",
        f"{source}:1500",
    ]
    assert any(f"{source}:2100 : colonne Valeur : « -3 » est négatif" in line for line in errors)
    assert any(f"{source}:1200 : colonne Flux : « X » n'est pas un code de flux connu" in line for line in errors)
    assert any(f"{source}:1800 : ligne en double de {source}:300 " in line for line in errors)
    assert not (tmp_path / "a.parquet").exists() and not (tmp_path / "b.parquet").exists()


def test_a_bad_byte_or_a_ragged_line_late_in_the_file(tmp_path, monkeypatch, sample_rows):
    lines = [dgddi_line(row) for row in sample_rows[:1500]]
    source = tmp_path / "dgddi.csv"
    ragged = lines.copy()
    ragged[1234 - 2] += ";en trop"
    write_dgddi(source, ragged)
    for size in (DEFAULT, TINY):
        result = ingest(monkeypatch, size, source, "--profile", "dgddi", "--out", tmp_path / "x.parquet")
        assert result.returncode == 2
        assert f"{source}:1234 : plus de champs que l'en-tête (qui en a 6" in result.stderr

    utf8 = tmp_path / "utf8.csv"
    utf8.write_bytes(("\n".join([DGDDI_HEADER, *lines]) + "\n").encode("utf-8").replace(b"\n2024;", b"\n2024\xff;", 1))
    found = [number for number, line in enumerate([DGDDI_HEADER, *lines], start=1) if line.startswith("2024;")][0]
    profile = tmp_path / "utf8.yaml"
    profile.write_text(
        (PROJECT_ROOT / "config/profiles/dgddi.yaml").read_text(encoding="utf-8").replace("encoding: latin-1", "encoding: utf-8")
    )
    for size in (DEFAULT, TINY):
        result = ingest(monkeypatch, size, utf8, "--profile", profile, "--out", tmp_path / "x.parquet")
        assert result.returncode == 2
        assert f"{utf8}:{found} : texte utf-8 invalide (octet 0xff)" in result.stderr


def test_quarters_of_a_year_spread_over_batches(tmp_path, monkeypatch, sample_rows):
    profile = tmp_path / "quarters.yaml"
    profile.write_text(
        "format: csv\nseparator: ';'\ndecimal: ','\nencoding: latin-1\nunit: thousands_eur\nheader: true\nskip_rows: 1\n"
        "columns: {period: Trimestre, flow: Flux, department: Dept, product: Produit, country: Pays, value: Valeur}\n"
        "flow_codes: {E: export, I: import}\nperiod: {kind: quarter}\n",
        encoding="utf-8",
    )
    rows = ["Extrait € du kiosque", "Trimestre;Flux;Dept;Produit;Pays;Valeur"]
    for quarter in (1, 2, 3, 4):  # the quarters one after the other: a year is complete only at the end
        for year, flow, department, product, country, value in sample_rows[::7]:
            if year == 2023 and quarter == 4:
                continue
            rows.append(f"T{quarter} {year};{flow[0].upper()};{department};{product};{country};{int(value) // 1000},{quarter}00")
    source = tmp_path / "kiosque.csv"
    source.write_bytes(("\n".join(rows) + "\n").encode("cp1252"))
    results = {}
    for size in (DEFAULT, TINY):
        out = tmp_path / f"q{size}.parquet"
        result = ingest(monkeypatch, size, source, "--profile", profile, "--out", out)
        assert result.returncode == 0, result.stderr
        results[size] = (out.read_bytes(), result.stderr.replace(str(out), "OUT"))
    assert results[TINY] == results[DEFAULT]
    assert "année 2023 écartée, incomplète" in results[TINY][1]
    frame = pl.read_parquet(tmp_path / f"q{TINY}.parquet")
    expected = {
        (flow, department, product, country): round(4 * (int(value) // 1000) + 1.0, 3) * 1000
        for year, flow, department, product, country, value in sample_rows[::7]
        if year == 2024
    }
    assert frame["year"].unique().to_list() == [2024]
    assert {row[1:5]: row[5] for row in frame.rows()} == pytest.approx(expected)


def test_no_temporary_part_left_after_an_error_or_ctrl_c(tmp_path, monkeypatch, sample_rows):
    import tempfile

    from factsheets.ingest import load_profile, pipeline

    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    lines = [dgddi_line(row) for row in sample_rows]
    lines[2000] = lines[2000].rsplit(";", 1)[0] + ";abc"
    source = tmp_path / "dgddi.csv"
    write_dgddi(source, lines)
    result = ingest(monkeypatch, TINY, source, "--profile", "dgddi", "--out", tmp_path / "x.parquet")
    assert result.returncode == 2 and f"{source}:2002 : colonne Valeur" in result.stderr
    assert list(temporary.iterdir()) == [] and not (tmp_path / "x.parquet").exists()

    # Ctrl-C in the middle of the file, once parts have been written: they are removed too.
    write_dgddi(source, [dgddi_line(row) for row in sample_rows])
    real_convert, calls = pipeline.convert, []

    def interrupted(*args):
        calls.append(len(list(temporary.glob("*/years/*/*.parquet"))))
        if len(calls) == 40:
            raise KeyboardInterrupt
        return real_convert(*args)

    monkeypatch.setattr(pipeline, "convert", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.ingest_sources([source], load_profile("dgddi"))
    assert calls[-1] > 0  # parts had been written
    assert list(temporary.iterdir()) == []
