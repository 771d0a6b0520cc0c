"""Recipients files as people make them in Excel (SPEC sections 7 and 13): the bytes a French
Excel writes for "CSV (séparateur : point-virgule)" (Windows-1252, CRLF), "CSV UTF-8" (with a
BOM), a plain UTF-8 file with commas, and an .xlsx; French accented headings and roles;
departments by code or name matched exactly as `--dept` matches them. Run through the real
command line (typer's CliRunner, in process): `mail` dry run and `check --recipients`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factsheets.cli import app
from factsheets.errors import FactsheetsError
from factsheets.mail.recipients import load_recipients
from factsheets.paths import CONFIG_DIR, CONFIG_VARIABLE
from factsheets.reference import load_reference

YEAR = 2024
# (Département, Nom, E-mail, Rôle) as a user types them.
ROWS = [
    ("02", "Élodie Brûlé", "elodie.brule@aisne.fr", "À"),
    ("Aisne", "Service économie", "eco@aisne.fr", "copie"),
    ("aisne", "", "archives@aisne.fr", "Copie cachée"),
    ("Oise", "Gaëlle Lefèvre", "g.lefevre@oise.fr", "destinataire"),
    ("60", "", "dg@oise.fr", "CCI"),
    ("reunion", "Benoît Hoarau", "b.hoarau@reunion.fr", ""),
]
EXPECTED = {
    "02": {
        "to": [("elodie.brule@aisne.fr", "Élodie Brûlé")],
        "cc": [("eco@aisne.fr", "Service économie")],
        "bcc": [("archives@aisne.fr", "")],
    },
    "60": {"to": [("g.lefevre@oise.fr", "Gaëlle Lefèvre")], "cc": [], "bcc": [("dg@oise.fr", "")]},
    "974": {"to": [("b.hoarau@reunion.fr", "Benoît Hoarau")], "cc": [], "bcc": []},
}


def excel_csv(path: Path, header: tuple[str, ...], rows, *, encoding: str, separator: str = ";", newline: str = "\r\n") -> Path:
    """A CSV as Excel writes it: the given encoding ('utf-8-sig': Excel's "CSV UTF-8"), CRLF."""
    lines = [separator.join(header)] + [separator.join(row) for row in rows]
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def parsed(book) -> dict:
    return {
        entry.code: {role: [(box.address, box.name) for box in getattr(entry, role)] for role in ("to", "cc", "bcc")}
        for entry in book.entries
    }


def data_file(path: Path, codes=("02", "60")) -> Path:
    rows = ["year,flow,department,product,country,value_eur"]
    for index, code in enumerate(codes):
        rows += [
            f"{YEAR},export,{code},C10A,DE,{1_000_000 + index}",
            f"{YEAR},export,{code},C21Z,BE,{250_000 + index}",
            f"{YEAR},import,{code},C21Z,CN,{500_000 + index}",
            f"{YEAR},import,{code},C10A,ES,{125_000 + index}",
        ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path, monkeypatch):
    """A copy of the shipped configuration, in use for this test only, with a real sender."""
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    mail_yaml = folder / "mail.yaml"
    mail_yaml.write_text(
        mail_yaml.read_text(encoding="utf-8").replace("no-reply@example.org", "stats@anct.gouv.fr"), encoding="utf-8"
    )
    monkeypatch.setenv(CONFIG_VARIABLE, str(folder))
    return folder


def invoke(*args):
    return CliRunner().invoke(app, [str(arg) for arg in args])


# -- the files Excel writes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "encoding", "separator"),
    [
        (("Département", "Nom", "E-mail", "Rôle"), "cp1252", ";"),  # Excel FR, "CSV (séparateur : point-virgule)"
        (("Département", "Nom", "E-mail", "Rôle"), "utf-8-sig", ";"),  # Excel, "CSV UTF-8"
        (("departement", "nom", "courriel", "role"), "utf-8", ","),  # a text editor, lower case, commas
        ((" DÉPARTEMENT ", "NOM", "Adresse", "RÔLE"), "utf-8", ";"),  # upper case, stray spaces
        (("Departement", "Nom", "Adresse e-mail", "Role"), "cp1252", ","),
        (("Département", "Nom", "E-mail", "Rôle"), "utf-16", "\t"),  # Excel, "Texte Unicode"
    ],
)
def test_every_excel_csv_reads_the_same(tmp_path, header, encoding, separator):
    path = excel_csv(tmp_path / "destinataires.csv", header, ROWS, encoding=encoding, separator=separator)
    if encoding == "cp1252":
        assert b"D\xe9partement" in path.read_bytes() or b"Departement" in path.read_bytes()
    book = load_recipients(path)
    assert book.problems == []
    assert parsed(book) == EXPECTED
    assert [entry.line for entry in book.entries] == [2, 5, 7]


def test_a_cp1252_file_with_lf_only_and_a_quoted_name(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes('Département;Nom;E-mail\n"Côte-d’Or";"Dupré; Hélène";h.dupre@cotedor.fr\n'.encode("cp1252"))
    assert parsed(load_recipients(path)) == {"21": {"to": [("h.dupre@cotedor.fr", "Dupré; Hélène")], "cc": [], "bcc": []}}


def test_an_xlsx_with_french_headings_and_numeric_codes(tmp_path):
    import xlsxwriter

    path = tmp_path / "destinataires.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("Contacts")
    sheet.write_row(0, 0, ["Département", "Nom", "Courriel", "Rôle"])
    for index, (department, name, address, role) in enumerate(ROWS, start=1):
        sheet.write_row(index, 0, [int(department) if department.isdigit() else department, name, address, role])
    workbook.close()
    book = load_recipients(path)
    assert book.problems == [] and parsed(book) == EXPECTED  # the number 2 is department 02


def test_department_names_match_exactly_as_dept_does(tmp_path):
    """Every name of the reference, typed as people type it, gives the code --dept gives."""
    reference = load_reference()
    names = [name for _, name, _ in reference.departments.iter_rows()]
    typed = (
        [name.lower() for name in names]
        + [name.upper().replace("'", "’") for name in names]
        + ["reunion", "la reunion", "cotes d armor", "Côte d’Or", "territoire-de-belfort", "2", "2a", "971"]
    )
    rows = [(text, f"d{index}@example.fr", "cc" if index else "to") for index, text in enumerate(typed)]
    rows.append(("Atlantide", "x@example.fr", "to"))
    path = excel_csv(tmp_path / "d.csv", ("Département", "E-mail", "Rôle"), rows, encoding="cp1252")
    book = load_recipients(path)
    codes = {int(box.address[1 : -len("@example.fr")]): entry.code for entry in book.entries for _, box in entry.roles()}
    for index, text in enumerate(typed):
        assert codes.get(index) == reference.resolve_department(text), text
    (problem, *others) = [problem.text() for problem in book.problems]
    assert problem.startswith(f"{path}:{len(rows) + 1} : département « Atlantide » inconnu")
    # the departments with only cc addresses are told to have a "to" one: nothing else is wrong
    assert all("aucune adresse de rôle « to »" in line for line in others)


def test_bad_headings_and_roles_are_one_line_each(tmp_path):
    path = excel_csv(tmp_path / "d.csv", ("Département", "E-mail", "Fonction"), [("02", "a@b.fr", "x")], encoding="cp1252")
    with pytest.raises(
        FactsheetsError,
        match=rf"^{re.escape(str(path))}:1 : colonne\(s\) inconnue\(s\) : Fonction ; "
        "colonnes attendues : Département, E-mail",
    ):
        load_recipients(path)
    path = excel_csv(
        tmp_path / "e.csv",
        ("Département", "E-mail", "Rôle"),
        [("02", "a@b.fr", "lecture"), ("02", "b@b.fr", "à")],
        encoding="cp1252",
    )
    (line,) = [problem.text() for problem in load_recipients(path).problems]
    assert line.startswith(f"{path}:2 : rôle « lecture » inconnu ; utilisez to (ou à, destinataire), cc (ou copie)")
    path = tmp_path / "f.csv"
    path.write_bytes(b"D\xe9partement;E-mail\r\n02;a\x81@b.fr\r\n")  # 0x81: neither UTF-8 nor Windows-1252
    with pytest.raises(FactsheetsError, match=rf"^{re.escape(str(path))}:2 : encodage inconnu"):
        load_recipients(path)


# -- through the command line ----------------------------------------------------------------------------------
def test_mail_dry_run_with_an_excel_csv(tmp_path, config):
    recipients = excel_csv(tmp_path / "destinataires.csv", ("Département", "Nom", "E-mail", "Rôle"), ROWS, encoding="cp1252")
    data = data_file(tmp_path / "data.csv")
    result = invoke(
        "mail", "--recipients", recipients, "--dept", "aisne", "--dept", "Oise", "--data", data, "--out", tmp_path / "out"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        "à envoyer : 02 Aisne : à Élodie Brûlé <elodie.brule@aisne.fr> ; "
        "cc Service économie <eco@aisne.fr> ; cci archives@aisne.fr ; "
    )
    assert lines[1].startswith("à envoyer : 60 Oise : à Gaëlle Lefèvre <g.lefevre@oise.fr> ; cci dg@oise.fr ; ")
    assert "via 127.0.0.1:25" in result.stderr and "rien n'a été envoyé" in result.stderr


def test_check_recipients_warns_of_a_department_absent_from_the_data(tmp_path, config):
    recipients = excel_csv(tmp_path / "destinataires.csv", ("Département", "Nom", "E-mail", "Rôle"), ROWS, encoding="cp1252")
    data = data_file(tmp_path / "data.csv")
    result = invoke("check", "--data", data, "--recipients", recipients)
    assert result.exit_code == 0, result.output
    # Other warnings (the data's coverage of France and the region, the example sender) come too.
    (line,) = [line for line in result.stdout.splitlines() if line.startswith(f"attention : {recipients}")]
    assert line.startswith(f"attention : {recipients}:7 : le département 974 (La Réunion) n'a aucune donnée en 2024 dans {data}")
    assert "avertissement(s)" in result.stderr


def test_check_recipients_flags_the_example_sender(tmp_path, config):
    mail_yaml = config / "mail.yaml"
    mail_yaml.write_text(
        mail_yaml.read_text(encoding="utf-8").replace("stats@anct.gouv.fr", "no-reply@example.org"), encoding="utf-8"
    )
    line_number = next(
        number for number, line in enumerate(mail_yaml.read_text(encoding="utf-8").splitlines(), 1) if line.startswith("sender:")
    )
    recipients = excel_csv(tmp_path / "d.csv", ("Département", "E-mail"), [("02", "a@aisne.fr")], encoding="utf-8-sig")
    result = invoke("check", "--recipients", recipients)
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert line.startswith(
        f"attention : {mail_yaml}:{line_number} : l'adresse d'expédition "
        "« Indicateurs clés commerce extérieur <no-reply@example.org> » est celle de l'exemple"
    )
    assert line.endswith("mettez votre adresse réelle dans « sender », ou donnez-la avec --from")
    assert invoke("check").stdout == ""  # without --recipients: no mailing is being checked


# -- the SMTP server in mail.yaml ---------------------------------------------------------------------------------
def set_smtp(config: Path, host: str, port: str) -> Path:
    mail_yaml = config / "mail.yaml"
    text = mail_yaml.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  host: .*$", f"  host: {host}", text)
    text = re.sub(r"(?m)^  port: .*$", f"  port: {port}", text)
    mail_yaml.write_text(text, encoding="utf-8")
    return mail_yaml


def test_smtp_host_and_port_from_mail_yaml_and_the_options_win(tmp_path, config):
    set_smtp(config, "smtp.anct.gouv.fr", "587")
    recipients = excel_csv(tmp_path / "d.csv", ("Département", "E-mail"), [("02", "a@aisne.fr")], encoding="utf-8")
    data = data_file(tmp_path / "data.csv")
    base = ("mail", "--recipients", recipients, "--data", data, "--out", tmp_path / "out")
    result = invoke(*base)
    assert result.exit_code == 0, result.output
    assert "via smtp.anct.gouv.fr:587 (STARTTLS obligatoire" in result.stderr
    result = invoke(*base, "--smtp-port", "2525")
    assert "via smtp.anct.gouv.fr:2525" in result.stderr
    result = invoke(*base, "--smtp-host", "127.0.0.1", "--smtp-port", "1025")
    assert "via 127.0.0.1:1025" in result.stderr


@pytest.mark.parametrize(
    ("host", "port", "key", "found"),
    [
        ("smtp.anct.gouv.fr", "70000", "port", "70000"),
        ("smtp.anct.gouv.fr", '"587"', "port", "587"),
        ('"smtp anct"', "25", "host", "smtp anct"),
    ],
)
def test_a_bad_smtp_server_in_mail_yaml_is_one_line_with_its_line(tmp_path, config, host, port, key, found):
    mail_yaml = set_smtp(config, host, port)
    line_number = next(
        number
        for number, line in enumerate(mail_yaml.read_text(encoding="utf-8").splitlines(), 1)
        if line.startswith(f"  {key}: ")
    )
    result = invoke("check")
    assert result.exit_code == 2
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"{mail_yaml}:{line_number} : la clé « smtp.{key} » vaut « {found} »")
