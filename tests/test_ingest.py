"""factsheets.ingest: raw customs files -> canonical layout through a YAML profile."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from factsheets.errors import FactsheetsError
from factsheets.files import new_file_mode
from factsheets.ingest import LINE_COLUMN, SOURCE_COLUMN, Profile, ingest, load_profile, write_canonical
from factsheets.load import CANONICAL_COLUMNS as CANONICAL

DGDDI_HEADER = "Annee;Flux;Code département;Libellé produit;Code A129;Code Pays;Valeur"
NBSP = "\u00a0"


def write_latin1(path: Path, lines: list[str]) -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


def dgddi_file(tmp_path: Path, rows: list[str], name: str = "dgddi.csv") -> Path:
    return write_latin1(tmp_path / name, [DGDDI_HEADER, *rows])


def canonical_frame(rows: list[tuple]) -> pl.DataFrame:
    """An expected canonical frame, written out by hand."""
    return pl.DataFrame(
        rows,
        schema={
            "year": pl.Int32,
            "flow": pl.String,
            "department": pl.String,
            "product": pl.String,
            "country": pl.String,
            "value_eur": pl.Float64,
        },
        orient="row",
    )


def error_lines(call, *args, **kwargs) -> list[str]:
    with pytest.raises(FactsheetsError) as caught:
        call(*args, **kwargs)
    return str(caught.value).splitlines()


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(FactsheetsError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.fixture(scope="module")
def dgddi() -> Profile:
    return load_profile("dgddi")


@pytest.fixture(scope="module")
def canonical() -> Profile:
    return load_profile("canonical")


# --------------------------------------------------------------------------- DGDDI files


def test_dgddi_latin1_files_are_converted_and_concatenated(tmp_path, dgddi):
    first = dgddi_file(
        tmp_path,
        [
            "2024;E;2;Véhicules automobiles;C29A;DE;1 234,567",
            f"2024;I;60;Produits pharmaceutiques de base;C21Z;US;12{NBSP}345,5",
            "2024;E;60;Céréales, légumineuses;A01Z;BE;0,001",
        ],
        "export_import_1.csv",
    )
    second = dgddi_file(
        tmp_path,
        [
            "2024;i;2A;Matériel ferroviaire roulant;c30c;it;7",
            "2024;E;02;Véhicules automobiles;C29A;BE;0,5",
            "2024;I;971;Pêche;A03Z;CN;0",
        ],
        "export_import_2.csv",
    )
    assert "é".encode("latin-1") in first.read_bytes()  # really Latin-1, not UTF-8

    frame = ingest([first, second], dgddi)

    expected = canonical_frame(
        [
            (2024, "export", "02", "C29A", "BE", 500.0),
            (2024, "export", "02", "C29A", "DE", 1_234_567.0),
            (2024, "export", "60", "A01Z", "BE", 1.0),
            (2024, "import", "2A", "C30C", "IT", 7_000.0),
            (2024, "import", "60", "C21Z", "US", 12_345_500.0),
            (2024, "import", "971", "A03Z", "CN", 0.0),
        ]
    )
    assert_frame_equal(frame, expected, check_exact=True)
    # The order of the files does not change the result.
    assert_frame_equal(ingest([second, first], dgddi), expected, check_exact=True)


def test_thousands_of_euros_become_exact_euros(tmp_path, dgddi):
    # 3 decimals of thousands of euros are whole euros: no floating-point noise (0.1 * 3 style).
    values = ["0,001", "1,005", "4,35", "8 219,433", "580 354 500,123"]
    rows = [f"2024;E;02;x;C29A;{country};{value}" for country, value in zip(["DE", "BE", "IT", "ES", "US"], values)]
    frame = ingest([dgddi_file(tmp_path, rows)], dgddi)
    assert sorted(frame["value_eur"].to_list()) == [1.0, 1_005.0, 4_350.0, 8_219_433.0, 580_354_500_123.0]


def test_keep_origin_gives_source_file_and_line(tmp_path, dgddi):
    path = dgddi_file(tmp_path, ["2024;I;60;x;C21Z;US;2", "", "2024;E;02;x;C29A;DE;1"])
    frame = ingest([path], dgddi, keep_origin=True)
    assert frame.select(SOURCE_COLUMN, LINE_COLUMN, "flow").rows() == [
        (str(path), 4, "export"),  # the blank line 3 is skipped, but still counted
        (str(path), 2, "import"),
    ]
    assert ingest([path], dgddi).columns == ["year", "flow", "department", "product", "country", "value_eur"]


def test_profile_without_header_year_from_file_name(tmp_path):
    profile_path = tmp_path / "sans_entete.yaml"
    profile_path.write_text(
        "format: csv\nseparator: '|'\ndecimal: '.'\nencoding: utf-8\nunit: eur\nheader: false\n"
        "columns: {flow: 1, department: 2, product: 3, country: 4, value: 5}\n"
        "flow_codes: {X: export, M: import}\n"
        "year_from_filename: 'douane_(\\d{4})'\n",
        encoding="utf-8",
    )
    profile = load_profile(str(profile_path))
    source = tmp_path / "douane_2023_t4.txt"
    source.write_text("X|59|C20B|NL|10.25\nm|59|C20B|NL|3\n", encoding="utf-8")
    expected = canonical_frame(
        [
            (2023, "export", "59", "C20B", "NL", 10.25),
            (2023, "import", "59", "C20B", "NL", 3.0),
        ]
    )
    assert_frame_equal(ingest([source], profile), expected, check_exact=True)

    other = tmp_path / "sans_annee.txt"
    other.write_text("X|59|C20B|NL|1\n", encoding="utf-8")
    message = error_of(ingest, [other], profile)
    assert message.startswith(f"{other} : aucune année trouvée dans le nom du fichier avec le motif « douane_(\\d{{4}}) »")


def test_fixed_year_value(tmp_path):
    profile_path = tmp_path / "fixe.yml"
    profile_path.write_text(
        "format: csv\nseparator: ','\ndecimal: '.'\nencoding: utf-8\nunit: thousands_eur\n"
        "columns: {flow: f, department: d, product: p, country: c, value: v}\n"
        "flow_codes: {E: export}\nyear_value: 2022\n",
        encoding="utf-8",
    )
    source = tmp_path / "raw.csv"
    source.write_text("f,d,p,c,v\nE,75,C26A,JP,2.5\n", encoding="utf-8")
    assert ingest([source], load_profile(str(profile_path))).row(0) == (2022, "export", "75", "C26A", "JP", 2500.0)


# --------------------------------------------------------------------------- canonical profile


AWKWARD_VALUES = [0.1 + 0.2, 1e-7, 9.999e12, 1_234_567.0, 0.0, 9_114_800_000.0]


def awkward_frame() -> pl.DataFrame:
    return canonical_frame(
        [
            (2024, "import", "60", "C21Z", "US", AWKWARD_VALUES[0]),
            (2023, "export", "02", "C29A", "DE", AWKWARD_VALUES[1]),
            (2024, "export", "2A", "C30C", "BE", AWKWARD_VALUES[2]),
            (2024, "export", "00", "C30C", "QU", AWKWARD_VALUES[3]),
            (2024, "export", "971", "A01Z", "XX", AWKWARD_VALUES[4]),
            (2024, "import", "59", "C20B", "CN", AWKWARD_VALUES[5]),
        ]
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_canonical_round_trip(tmp_path, canonical, suffix):
    original = awkward_frame()
    out = write_canonical(original, tmp_path / f"canonique{suffix}")
    assert out == tmp_path / f"canonique{suffix}"
    assert sorted(os.listdir(tmp_path)) == [f"canonique{suffix}"]  # no temporary file left
    back = ingest([out], canonical)
    # Bit-exact values, rows in canonical order.
    assert_frame_equal(back, original.sort(["year", "flow", "department", "product", "country"]), check_exact=True)


def test_canonical_csv_and_parquet_files_mix(tmp_path, canonical):
    frame = awkward_frame()
    csv_part = write_canonical(frame.head(3), tmp_path / "a.csv")
    parquet_part = write_canonical(frame.tail(3), tmp_path / "b.parquet")
    assert_frame_equal(
        ingest([parquet_part, csv_part], canonical), ingest([write_canonical(frame, tmp_path / "all.parquet")], canonical)
    )
    assert csv_part.read_text(encoding="utf-8").splitlines()[0] == "year,flow,department,product,country,value_eur"


def test_canonical_rejects_unknown_extension(tmp_path, canonical):
    source = tmp_path / "data.ods"
    source.write_bytes(b"PK")
    assert error_of(ingest, [source], canonical).startswith(f"{source} : impossible de déduire le format de l'extension « .ods »")


# --------------------------------------------------------------------------- loading profiles


def test_profiles_load_by_name_and_by_path(dgddi, canonical):
    assert (dgddi.separator, dgddi.decimal, dgddi.encoding, dgddi.unit) == (";", ",", "latin-1", "thousands_eur")
    assert dict(dgddi.flow_codes) == {"E": "export", "I": "import"}
    assert dgddi.multiplier == 1000 and canonical.multiplier == 1
    assert load_profile(str(dgddi.path)) == dgddi


def test_unknown_profile_lists_the_available_ones():
    message = error_of(load_profile, "dgdi")
    assert message.startswith("profil inconnu « dgdi » ; profils disponibles : canonical, dgddi")


def test_profile_file_not_found(tmp_path):
    missing = tmp_path / "absent.yaml"
    assert (
        error_of(load_profile, str(missing))
        == f"{missing} : fichier de profil introuvable ; indiquez un profil YAML existant ou un nom de profil"
    )


def test_broken_yaml_profile_names_file_and_line(tmp_path):
    path = tmp_path / "casse.yaml"
    path.write_text("format: csv\ncolumns:\n  year: [Annee\n", encoding="utf-8")
    message = error_of(load_profile, str(path))
    assert message.startswith(f"{path}:") and "YAML invalide" in message


PERIOD_COLUMNS = "{period: T, flow: F, department: D, product: P, country: C, value: V}"


def profile_text(**changes: str | None) -> str:
    keys = {
        "format": "csv",
        "separator": "';'",
        "decimal": "','",
        "encoding": "latin-1",
        "unit": "thousands_eur",
        "columns": "{year: A, flow: F, department: D, product: P, country: C, value: V}",
        "flow_codes": "{E: export, I: import}",
    }
    keys.update(changes)
    return "".join(f"{key}: {value}\n" for key, value in keys.items() if value is not None)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"unit": None}, "clé « unit » manquante"),
        ({"separator": None}, "clé « separator » manquante"),
        ({"columns": "{year: A, flow: F, department: D, product: P, country: C}"}, "clé « columns.value » manquante"),
        ({"flow_codes": None}, "clé « flow_codes » manquante"),
        ({"unit": "millions_eur"}, "clé « unit » : « millions_eur » n'est pas l'une des valeurs eur, thousands_eur"),
        ({"encoding": "klingon"}, "clé « encoding » : « klingon » n'est pas un encodage connu"),
        ({"decimal": "';'"}, "clé « decimal » : « ; » n'est pas l'une des valeurs ., ,"),
        ({"seperator": "';'"}, "clé « seperator » : clé inconnue"),
        ({"flow_codes": "{E: exports}"}, "clé « flow_codes.E » : « exports » n'est ni export ni import"),
        ({"year_value": "2024"}, "clé « columns.year » : l'année vient de year_value ou de year_from_filename"),
        ({"department_pad": "five"}, "clé « department_pad » : « five » n'est pas une largeur comprise entre 1 et 3"),
        (
            {"columns": PERIOD_COLUMNS, "period": "{kind: week}"},
            "clé « period.kind » : « week » n'est pas l'une des valeurs year, quarter, month",
        ),
        (
            {"columns": PERIOD_COLUMNS, "period": "{kind: quarter, pattern: '(\\d{4})'}"},
            "clé « period.pattern » : l'expression doit nommer ses groupes (?P<year>…) et (?P<part>…)",
        ),
        (
            {"columns": PERIOD_COLUMNS, "period": "{kind: month, pattern: '(?P<year>[0-9'}"},
            "clé « period.pattern » : expression régulière invalide",
        ),
        ({"period": "{kind: quarter}"}, "clé « period » : indiquez aussi la colonne de la période dans columns.period"),
        (
            {"columns": "{period: T, year: A, flow: F, department: D, product: P, country: C, value: V}"},
            "clé « columns.year » : l'année vient de columns.period",
        ),
        ({"flow_from_filename": "{export: exp}"}, "clé « columns.flow » : le flux vient de flow_from_filename"),
        ({"flow_from_filename": "{sortie: exp}"}, "clé « flow_from_filename » : attendu : une expression régulière par flux"),
        ({"members": "[]"}, "clé « members » : « [] » n'est pas un motif de noms"),
        ({"sheet": "0"}, "clé « sheet » : « 0 » : indiquez le nom de la feuille ou son rang"),
        ({"skip_rows": "-1"}, "clé « skip_rows » : « -1 » n'est pas un nombre de lignes"),
    ],
)
def test_bad_profile_names_file_and_key(tmp_path, changes, expected):
    path = tmp_path / "profil.yaml"
    path.write_text(profile_text(**changes), encoding="utf-8")
    message = error_of(load_profile, str(path))
    found = re.match(rf"^{re.escape(str(path))}(?::(\d+))? : (.*)$", message)
    assert found and found[2].startswith(expected), message
    keys = re.search(r"clé « ([^»]+) »", expected)[1].split(".")
    if "manquante" not in expected or len(keys) > 1:
        # At the line of the key, or of its parent for a missing one (a key absent from the
        # file has no line of its own).
        assert found[1], message
        line = path.read_text(encoding="utf-8").splitlines()[int(found[1]) - 1]
        named = keys[:-1] if "manquante" in expected else keys
        assert f"{named[-1]}:" in line, (line, message)


# --------------------------------------------------------------------------- bad raw files


def test_missing_source_file(tmp_path, dgddi):
    missing = tmp_path / "nulle_part.csv"
    assert error_of(ingest, [missing], dgddi) == f"{missing} : fichier source introuvable ; vérifiez le chemin"


def test_same_source_twice(tmp_path, dgddi):
    path = dgddi_file(tmp_path, ["2024;E;02;x;C29A;DE;1"])
    assert error_of(ingest, [path, path], dgddi).startswith(f"{path} : indiqué deux fois")


def test_missing_raw_column_lists_what_is_there(tmp_path, dgddi):
    path = write_latin1(
        tmp_path / "court.csv", ["Annee;Flux;Code département;Code A129;Code Pays;Montant", "2024;E;02;C29A;DE;1"]
    )
    message = error_of(ingest, [path], dgddi)
    assert message.startswith(
        f"{path}:1 : colonne(s) manquante(s) « Valeur » (columns.value) requise(s) par le profil dgddi ; "
        "trouvées : « Annee », « Flux », « Code département », « Code A129 », « Code Pays », « Montant » ; "
    ), message


def test_wrong_separator_hint(tmp_path, dgddi):
    path = tmp_path / "virgules.csv"
    path.write_text("Annee,Flux,Code département,Code A129,Code Pays,Valeur\n2024,E,02,C29A,DE,1\n", encoding="latin-1")
    assert "vérifiez « separator » (« ; »)" in error_of(ingest, [path], dgddi)


def test_quarterly_duplicate_names_the_period_in_french(tmp_path):
    profile = tmp_path / "trimestres.yaml"
    profile.write_text(profile_text(columns=PERIOD_COLUMNS, period="{kind: quarter}"), encoding="utf-8")
    raw = write_latin1(tmp_path / "t.csv", ["T;F;D;P;C;V", "2024-T1;E;02;C10A;IT;1", "2024-T1;E;02;C10A;IT;2"])
    [line] = error_lines(ingest, [raw], load_profile(str(profile)))
    assert line.startswith(f"{raw}:3 : ligne en double de {raw}:2 (même année, période, flux, département, produit, pays : "), (
        line
    )
    assert "__period" not in line


def test_value_not_a_number_names_file_line_and_value(tmp_path, dgddi):
    rows = [f"2024;E;02;Véhicules;C29A;P{index};{index},5" for index in range(10)]
    rows.append("2024;E;02;Véhicules;C29A;DE;abc")  # line 12: the header is line 1
    path = dgddi_file(tmp_path, rows)
    assert error_of(ingest, [path], dgddi) == (
        f"{path}:12 : colonne Valeur : « abc » n'est pas un nombre ; écrivez un nombre avec la virgule (« , ») comme "
        f"séparateur décimal, comme le prévoit « decimal » dans {dgddi.path}"
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("", "valeur vide"), ("1.234", "« 1.234 »"), ("1,2,3", "« 1,2,3 »"), ("inf", "« inf »"), ("12 kEUR", "« 12 kEUR »")],
)
def test_other_values_that_are_not_numbers(tmp_path, dgddi, raw, shown):
    path = dgddi_file(tmp_path, ["2024;E;02;x;C29A;DE;1", f"2024;E;02;x;C29A;BE;{raw}", f"2024;I;02;x;C29A;DE;{raw}"])
    first, second = error_lines(ingest, [path], dgddi)  # every problem, one line each
    assert first.startswith(f"{path}:3 : colonne Valeur : {shown} n'est pas un nombre ;"), first
    assert second.startswith(f"{path}:4 : colonne Valeur : {shown} n'est pas un nombre ;"), second


def test_negative_value(tmp_path, dgddi):
    path = dgddi_file(tmp_path, ["2024;E;02;x;C29A;DE;1", "2024;I;60;x;C21Z;US;-3,5"])
    assert (
        error_of(ingest, [path], dgddi)
        == f"{path}:3 : colonne Valeur : « -3,5 » est négatif ; les montants sont positifs ou nuls"
    )


def test_unknown_flow_code(tmp_path, dgddi):
    path = dgddi_file(tmp_path, ["2024;E;02;x;C29A;DE;1", "2024;I;60;x;C21Z;US;2", "2024;X;60;x;C21Z;US;2"])
    assert error_of(ingest, [path], dgddi) == (
        f"{path}:4 : colonne Flux : « X » n'est pas un code de flux connu ; attendu : l'un de « E », « I » (flow_codes dans {dgddi.path})"
    )


@pytest.mark.parametrize("raw", ["2024.0", "deux mille", "24", ""])
def test_year_not_an_integer(tmp_path, dgddi, raw):
    path = dgddi_file(tmp_path, ["2024;E;02;x;C29A;DE;1", f"{raw};E;02;x;C29A;DE;1"])
    shown = f"« {raw} »" if raw else "valeur vide"
    assert error_of(ingest, [path], dgddi) == (
        f"{path}:3 : colonne Annee : {shown} n'est pas une année ; écrivez l'année en nombre entier, par ex. 2024"
    )


def test_missing_code(tmp_path, dgddi):
    path = dgddi_file(tmp_path, ["2024;E; ;x;C29A;DE;1"])
    assert error_of(ingest, [path], dgddi) == (
        f"{path}:2 : colonne Code département : valeur vide n'est pas un code de département ; chaque ligne doit avoir un code de département"
    )


def test_empty_files(tmp_path, dgddi):
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    assert error_of(ingest, [empty], dgddi).startswith(f"{empty}:1 : fichier vide")
    header_only = write_latin1(tmp_path / "entete.csv", [DGDDI_HEADER])
    assert error_of(ingest, [header_only], dgddi) == f"{header_only}:2 : fichier vide, aucune ligne de données après l’en-tête"


def test_wrong_encoding_names_the_line(tmp_path):
    path = tmp_path / "profil.yaml"
    path.write_text(profile_text(encoding="utf-8"), encoding="utf-8")
    source = tmp_path / "latin.csv"
    write_latin1(source, ["A;F;D;P;C;V", "2024;E;02;C29A;DE;1", "2024;E;02;C29A;DE;1 # Société"])
    message = error_of(ingest, [source], load_profile(str(path)))
    assert message.startswith(f"{source}:3 : texte utf-8 invalide (octet 0xe9)")


def test_ragged_line_is_reported(tmp_path, dgddi):
    path = dgddi_file(tmp_path, ["2024;E;02;x;C29A;DE;1", "2024;E;02;x;C29A;DE;1;99"])
    message = error_of(ingest, [path], dgddi)
    assert message.startswith(f"{path}:3 : plus de champs que l'en-tête (qui en a 7, séparés par « ; »)")


# --------------------------------------------------------------------------- atomic write


def test_write_into_a_path_under_a_file_creates_nothing(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("pas un dossier", encoding="utf-8")
    out = blocker / "out.parquet"
    assert error_of(write_canonical, awkward_frame(), out) == (
        f"{blocker} : le dossier de sortie n'est pas un dossier ; créez-le ou choisissez un autre --out"
    )
    assert sorted(os.listdir(tmp_path)) == ["file.txt"]
    assert blocker.read_text(encoding="utf-8") == "pas un dossier"


def test_write_into_a_missing_folder(tmp_path):
    out = tmp_path / "absent" / "out.csv"
    assert error_of(write_canonical, awkward_frame(), out).startswith(f"{out.parent} : le dossier de sortie n'existe pas")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch, suffix):
    out = tmp_path / f"canonique{suffix}"
    write_canonical(awkward_frame(), out)
    before = out.read_bytes()

    def broken(self, stream, *args, **kwargs):
        stream.write(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_csv" if suffix == ".csv" else "write_parquet", broken)
    message = error_of(write_canonical, awkward_frame().head(1), out)
    assert message.startswith(f"{out} : fichier canonique non écrit, disque plein (")
    assert message.endswith(f"en écrivant dans {out.parent} ; libérez de la place ou choisissez un autre dossier (--out)")
    assert out.read_bytes() == before
    assert os.listdir(tmp_path) == [out.name]

    out.unlink()
    error_of(write_canonical, awkward_frame(), out)
    assert os.listdir(tmp_path) == []


def test_write_rejects_unknown_extension_and_folders(tmp_path):
    assert error_of(write_canonical, awkward_frame(), tmp_path / "out.xlsx").endswith(
        "nommez le fichier de sortie en .csv ou .parquet"
    )
    folder = tmp_path / "dossier.csv"
    folder.mkdir()
    assert error_of(write_canonical, awkward_frame(), folder).startswith(f"{folder} : c'est un dossier")
    assert os.listdir(tmp_path) == ["dossier.csv"]


def test_written_csv_is_plain_canonical(tmp_path):
    out = write_canonical(awkward_frame().head(2), tmp_path / "x.csv")
    assert out.read_text(encoding="utf-8").splitlines() == [
        "year,flow,department,product,country,value_eur",
        "2024,import,60,C21Z,US,0.30000000000000004",
        "2023,export,02,C29A,DE,1e-7",
    ]
    assert math.isclose(float("1e-7"), AWKWARD_VALUES[1])
    assert oct(out.stat().st_mode & 0o777) == oct(new_file_mode())


# --------------------------------------------------------------------------- Excel sheets


def excel_profile(tmp_path: Path, sheet: str) -> Profile:
    path = tmp_path / "classeur.yaml"
    path.write_text(
        f"format: excel\nsheet: {sheet}\nunit: eur\ncolumns: {{year: A, flow: F, department: D, product: P, country: C, value: V}}\n"
        "flow_codes: {E: export, I: import}\n",
        encoding="utf-8",
    )
    return load_profile(str(path))


@pytest.fixture
def two_sheets(tmp_path) -> Path:
    import xlsxwriter

    path = tmp_path / "classeur.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    for name, value in (("Notes", 1.0), ("Données", 2.0)):
        pl.DataFrame({"A": ["2024"], "F": ["E"], "D": ["2"], "P": ["C10A"], "C": ["DE"], "V": [value]}).write_excel(
            workbook, worksheet=name
        )
    workbook.close()
    return path


@pytest.mark.parametrize("sheet", ["2", "données", "'Données'"])
def test_excel_sheet_by_rank_or_name(two_sheets, tmp_path, sheet):
    frame = ingest([two_sheets], excel_profile(tmp_path, sheet))
    assert frame.row(0) == (2024, "export", "2", "C10A", "DE", 2.0)


@pytest.mark.parametrize(
    ("sheet", "expected"),
    [
        ("3", "pas de feuille n° 3, le classeur en a 2 (Notes, Données)"),
        ("Export", "feuille « Export » introuvable ; feuilles du classeur : Notes, Données"),
    ],
)
def test_excel_missing_sheet_lists_the_sheets(two_sheets, tmp_path, sheet, expected):
    assert error_of(ingest, [two_sheets], excel_profile(tmp_path, sheet)).startswith(
        f"{two_sheets} : {expected} ; corrigez « sheet »"
    )


def test_zip_of_csv_members_with_flow_and_department_in_their_names(tmp_path):
    import zipfile

    profile_path = tmp_path / "par_departement.yaml"
    profile_path.write_text(
        "format: auto\nseparator: ';'\ndecimal: ','\nencoding: latin-1\nunit: thousands_eur\nyear_value: 2024\n"
        "members: ['*export*', '*import*']\n"
        "flow_from_filename: {export: 'export', import: 'import'}\n"
        "department_from_filename: '^dep_(\\w+?)_'\ndepartment_pad: 2\n"
        "columns: {product: Produit, country: Pays, value: Valeur}\n",
        encoding="utf-8",
    )
    archive = tmp_path / "departements.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("dep_2A_export.csv", "Produit;Pays;Valeur\nC10A;IT;1,5\n".encode("latin-1"))
        zipped.writestr("sous/dep_2_import.csv", "Produit;Pays;Valeur\nC21Z;CN;2\nC21Z;DE;0,25\n".encode("latin-1"))
        zipped.writestr("libellés.csv", "Code;Libellé\n".encode("latin-1"))  # not a member to read
    frame = ingest([archive], load_profile(str(profile_path)), keep_origin=True)
    assert frame.select(*CANONICAL, SOURCE_COLUMN, LINE_COLUMN).rows() == [
        (2024, "export", "2A", "C10A", "IT", 1500.0, f"{archive} › dep_2A_export.csv", 2),
        (2024, "import", "02", "C21Z", "CN", 2000.0, f"{archive} › sous/dep_2_import.csv", 2),
        (2024, "import", "02", "C21Z", "DE", 250.0, f"{archive} › sous/dep_2_import.csv", 3),
    ]

    bad = tmp_path / "mauvais.zip"
    with zipfile.ZipFile(bad, "w") as zipped:
        zipped.writestr("dep_60_export.csv", "Produit;Pays;Valeur\nC10A;IT;x\nC10A;DE;1\nC10A;DE;2\n")
        zipped.writestr("autre_import.csv", "Produit;Pays;Valeur\nC10A;IT;1\n")
    lines = error_lines(ingest, [bad], load_profile(str(profile_path)))
    assert lines[0].startswith(f"{bad} › autre_import.csv : aucun code de département dans le nom « autre_import.csv »")
    assert lines[1].startswith(f"{bad} › dep_60_export.csv:2 : colonne Valeur : « x » n'est pas un nombre")
    assert lines[2].startswith(f"{bad} › dep_60_export.csv:4 : ligne en double de {bad} › dep_60_export.csv:3 ")
    assert len(lines) == 3


def test_inspect_shows_every_sheet_even_without_the_profiles_one(two_sheets, tmp_path):
    from factsheets.ingest import inspect_sources

    lines, problems = inspect_sources([two_sheets], excel_profile(tmp_path, "Export"))
    # No sheet of that name: every field is missing, which the exit code says too (SPEC 14).
    assert len(problems.lines) == 1 and problems.lines[0].startswith(
        f"{two_sheets} : feuille « Export » introuvable ; corrigez « sheet »"
    )
    assert lines[0] == f"{two_sheets} : la feuille « Export » du profil n'existe pas ; feuilles : Notes, Données"
    assert [line for line in lines if line.startswith("==")] == [
        f"== {two_sheets} (feuille « Notes ») : 1 ligne(s) de données ==",
        f"== {two_sheets} (feuille « Données ») : 1 ligne(s) de données ==",
    ]
    lines, _ = inspect_sources([two_sheets], excel_profile(tmp_path, "2"))
    assert f"== {two_sheets} (feuille « Données ») : 1 ligne(s) de données (la feuille que lit le profil) ==" in lines
