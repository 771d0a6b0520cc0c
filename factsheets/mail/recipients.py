"""Who gets which department's sheet: the recipients file, in YAML, CSV or XLSX.

YAML (examples/recipients.example.yaml): `departments: {"02": {to: [...], cc: [...], bcc: [...]}}`.
CSV or XLSX: one address per row, columns `departement` (code or name), `email`, `role`
(`to`, `cc` or `bcc`; empty: `to`) and optionally `nom` (display name), as Excel saves them:
UTF-8 (with or without BOM) or Windows-1252, `;` or `,`, headings in French with accents
("Département", "E-mail"/"Courriel"/"Adresse", "Rôle", "Nom"; case, accents and spaces
ignored), French roles ("à", "destinataire", "copie", "cci", "copie cachée"). A department
is matched exactly as `--dept` matches it (Reference.find_department).

A file of the wrong shape raises at once (FactsheetsError naming file and line); bad values
(addresses, departments, roles) are collected in `RecipientBook.problems`, one line each
naming the file and line, so that they are all reported together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from email_validator import EmailNotValidError, validate_email

from .. import errors
from ..config import compose_nodes, load_yaml
from ..errors import FactsheetsError, Problem

ROLES = ("to", "cc", "bcc")
NAMED_ADDRESS = re.compile(r"(?P<name>[^<>@\r\n\"]*?)\s*<(?P<address>[^<>\s]+)>")


@dataclass(frozen=True)
class Mailbox:
    address: str  # bare address, used in the SMTP envelope
    name: str = ""  # display name, used in the headers only

    def header(self) -> str:
        """The address as a header writes it: the display name quoted when it holds ":", ";",
        ",", quotes… (email.headerregistry), an internationalised domain in its ASCII form."""
        from email.headerregistry import Address

        from .smtp import ascii_domain

        local, _, domain = ascii_domain(self.address).rpartition("@")
        return str(Address(display_name=self.name, username=local, domain=domain))


def printable(text: str) -> str:
    """`text` for a one-line message: control characters (CR, LF, tab…) shown escaped, never cut (an address is shown whole)."""
    return errors.printable(text, limit=None)


def parse_mailbox(text: str, name: str = "") -> Mailbox | None:
    """'a@b.fr' or 'Nom <a@b.fr>', or None if malformed (syntax only: no DNS look-up)."""
    text = str(text).strip()
    named = NAMED_ADDRESS.fullmatch(text)
    if named:
        name, text = named["name"].strip(), named["address"]
    if any(not char.isprintable() for char in text + name):
        return None  # a CR or LF would let one field inject headers into the message
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None
    return Mailbox(address=checked.normalized, name=name.strip())


@dataclass(frozen=True)
class Recipients:
    """One department's addresses, by role; `line` is where the department first appears."""

    code: str
    line: int
    to: tuple[Mailbox, ...]
    cc: tuple[Mailbox, ...] = ()
    bcc: tuple[Mailbox, ...] = ()

    def roles(self) -> list[tuple[str, Mailbox]]:
        """(role, mailbox) for every address, each address once (its first role wins)."""
        seen: set[str] = set()
        result = []
        for role in ROLES:
            for box in getattr(self, role):
                if box.address.lower() not in seen:
                    seen.add(box.address.lower())
                    result.append((role, box))
        return result

    def envelope(self) -> list[str]:
        """Every address the server must deliver to (to + cc + bcc), each once."""
        return [box.address for _, box in self.roles()]


@dataclass
class RecipientBook:
    path: Path
    entries: list[Recipients]
    problems: list[Problem]  # content problems (addresses, codes), reported together later


def load_recipients(path: Path) -> RecipientBook:
    """Read a recipients file, YAML, CSV or XLSX by its extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".xlsx", ".xls"):
        return _load_table(path)
    if suffix not in (".yaml", ".yml"):
        raise FactsheetsError(f"{path} : format de fichier de destinataires inconnu ; utilisez .yaml, .csv ou .xlsx")
    return _load_yaml(path)


# -- YAML ------------------------------------------------------------------------------------
def _load_yaml(path: Path) -> RecipientBook:
    if load_yaml(path) is None:  # also turns missing file / bad YAML into one clear line
        raise FactsheetsError(
            f"{path} : fichier vide ; attendu : une clé « departments » (voir examples/recipients.example.yaml)"
        )
    # Walk the node tree rather than the loaded values: keys keep their written text (an
    # unquoted 01 would load as the number 1) and every problem can name its line.
    root = compose_nodes(path, path.read_text(encoding="utf-8"))  # the bounded loader of every YAML file

    def where(node: yaml.Node) -> str:
        return f"{path}:{node.start_mark.line + 1}"

    if not isinstance(root, yaml.MappingNode):
        raise FactsheetsError(f"{where(root)} : attendu : la clé « departments » au premier niveau du fichier")
    top = _mapping_items(root, path, "top level")
    unknown = [key for key in top if key != "departments"]
    if unknown:
        raise FactsheetsError(
            f"{where(top[unknown[0]][0])} : clé inconnue « {unknown[0]} » ; le fichier n'a qu'une clé, « departments »"
        )
    if "departments" not in top:
        raise FactsheetsError(f"{path} : clé « departments » manquante (code du département -> adresses to/cc)")
    key_node, departments = top["departments"]
    if not isinstance(departments, yaml.MappingNode) or not departments.value:
        raise FactsheetsError(
            f"{where(key_node)} : la clé « departments » doit associer des codes de département à des destinataires, "
            'par ex. "02": {to: [contact@example.org]}'
        )
    from ..reference import load_reference

    reference = load_reference()
    book = _BookBuilder(path)
    for raw_code, (code_node, value) in _mapping_items(departments, path, "departments").items():
        label = f"departments.{raw_code}"
        if not isinstance(value, yaml.MappingNode):
            raise FactsheetsError(f"{where(value)} : la clé « {label} » doit contenir « to » (et éventuellement « cc », « bcc »)")
        fields = _mapping_items(value, path, label)
        extra = [key for key in fields if key not in ROLES]
        if extra:
            raise FactsheetsError(
                f"{where(fields[extra[0]][0])} : clé inconnue « {label}.{extra[0]} » ; clés autorisées : {', '.join(ROLES)}"
            )
        if "to" not in fields:
            raise FactsheetsError(f"{where(code_node)} : clé « {label}.to » manquante (liste d'adresses)")
        line = code_node.start_mark.line + 1
        code = reference.find_department(raw_code)
        if code is None:
            book.problems.append(
                Problem(
                    str(path),
                    line,
                    f"« {printable(raw_code)} » sous « departments » n'est pas un code de département connu",
                    'utilisez un code INSEE comme "02", "2A" ou "971", ou un nom (Aisne) ; la liste : factsheets departements',
                )
            )
        elif code in book.first_line:
            book.problems.append(
                Problem(
                    str(path),
                    line,
                    f"le département {code} figure deux fois (aussi ligne {book.first_line[code]})",
                    "gardez une seule entrée",
                )
            )
            code = None
        else:
            book.first_line[code] = line
        boxes = {key: _yaml_addresses(fields[key][1], path, f"{label}.{key}", book.problems) for key in fields}
        to_node = fields["to"][1]
        if not to_node.value or (isinstance(to_node, yaml.ScalarNode) and not to_node.value.strip()):
            book.problems.append(
                Problem(
                    str(path), to_node.start_mark.line + 1, f"la clé « {label}.to » est vide", "indiquez au moins une adresse"
                )
            )
        if code is not None:
            for role in ROLES:
                for box in boxes.get(role, ()):
                    book.add(code, line, role, box)
    return book.build()


def _mapping_items(node: yaml.MappingNode, path: Path, label: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """key text -> (key node, value node); keys must be plain scalars."""
    items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            place = "du premier niveau" if label == "top level" else f"sous « {label} »"
            raise FactsheetsError(f"{path}:{key.start_mark.line + 1} : les clés {place} doivent être du texte simple")
        items[key.value] = (key, value)  # a repeated identical key: YAML keeps the last one
    return items


def _yaml_addresses(node: yaml.Node, path: Path, label: str, problems: list[Problem]) -> tuple[Mailbox, ...]:
    where = f"{path}:{node.start_mark.line + 1}"
    if isinstance(node, yaml.ScalarNode):
        items = [node] if node.value.strip() else []  # one address written without brackets
    elif isinstance(node, yaml.SequenceNode):
        items = node.value
    else:
        raise FactsheetsError(f"{where} : la clé « {label} » doit être une liste d'adresses, par ex. [contact@example.org]")
    boxes = []
    for item in items:
        if not isinstance(item, yaml.ScalarNode):
            raise FactsheetsError(
                f"{path}:{item.start_mark.line + 1} : la clé « {label} » doit lister les adresses sous forme de texte"
            )
        box = parse_mailbox(item.value)
        if box is None:
            problems.append(Problem(str(path), item.start_mark.line + 1, f"clé « {label} » : {_bad_address(item.value)}"))
        else:
            boxes.append(box)
    return tuple(boxes)


def _bad_address(text: str) -> str:
    return (
        f"« {printable(text)} » n'est pas une adresse e-mail valide ; "
        'écrivez-la sous la forme nom@domaine.fr ou "Nom <nom@domaine.fr>"'
    )


# -- CSV and XLSX ----------------------------------------------------------------------------
# Headers and roles are matched by their key: accents, case, spaces and signs ignored
# ("Rôle" -> "role", "E-mail" -> "email", "Copie cachée" -> "copiecachee").
HEADERS = {
    "departement": (
        "departement",
        "department",
        "dept",
        "dep",
        "codedepartement",
        "codedudepartement",
        "numerodepartement",
        "numerodudepartement",
    ),
    "email": (
        "email",
        "mail",
        "courriel",
        "adresse",
        "adresseemail",
        "adressemail",
        "adressecourriel",
        "adresseelectronique",
        "emailaddress",
    ),
    "role": ("role",),
    "nom": ("nom", "name", "nomcomplet", "prenomnom", "nomprenom"),
}
ROLE_NAMES = {
    "to": ("to", "a", "destinataire", "destinataires", "pour"),
    "cc": ("cc", "copie", "encopie", "copiecarbone"),
    "bcc": ("bcc", "cci", "copiecachee", "encopiecachee"),
}
_HEADER_OF = {alias: column for column, aliases in HEADERS.items() for alias in aliases}
_ROLE_OF = {alias: role for role, aliases in ROLE_NAMES.items() for alias in aliases}


def _key(text: str) -> str:
    from ..reference import name_key

    return name_key(str(text)).replace(" ", "")


def _decode(path: Path, raw: bytes) -> str:
    """The text of a CSV as Excel or a text editor saves it: UTF-16 with its BOM ("Texte
    Unicode"), UTF-8 with or without BOM (tried strictly first), else Windows-1252 ("CSV
    (séparateur : point-virgule)" of a French Excel)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise FactsheetsError(
            f"{path}:{line} : encodage inconnu (ni UTF-8 ni Windows-1252) ; enregistrez le fichier en « CSV UTF-8 » depuis Excel"
        ) from None


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line, cells) of each row; the separator (; , or tab) is the one the header uses most."""
    import csv
    import io

    try:
        raw = path.read_bytes()
    except OSError as error:
        raise FactsheetsError(f"{path} : fichier illisible ({error.strerror}) ; vérifiez le chemin et les droits") from None
    text = _decode(path, raw)
    header = next((line for line in text.splitlines() if line.strip()), "")
    separator = max(";,\t", key=header.count) if any(sign in header for sign in ";,\t") else ","
    rows, line = [], 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        for cells in reader:
            rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as error:
        raise FactsheetsError(
            f"{path}:{reader.line_num} : ligne CSV mal formée ({error}) ; vérifiez les guillemets de cette ligne"
        ) from None
    return rows


def _sheet_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line, cells) of each row of the first sheet, as text."""
    import polars as pl

    try:
        frame = pl.read_excel(path, engine="calamine", has_header=False, infer_schema_length=0, drop_empty_rows=False)
    except Exception as error:  # polars and fastexcel raise many kinds for an unreadable file
        reason = " ".join(str(error).split())[:200]
        raise FactsheetsError(
            f"{path} : fichier de destinataires illisible ({reason}) ; enregistrez-le en CSV UTF-8 ou en XLSX"
        ) from None
    return [(index + 1, ["" if cell is None else cell for cell in cells]) for index, cells in enumerate(frame.rows())]


def _columns(path: Path, line: int, header: list[str]) -> dict[str, int]:
    """Column -> index from the header row; an unknown or repeated column raises."""
    columns: dict[str, int] = {}
    unknown = []
    for index, title in enumerate(header):
        if not str(title).strip():
            continue  # an empty heading (a trailing separator): its cells are not read
        column = _HEADER_OF.get(_key(title))
        if column is None:
            unknown.append(str(title).strip())
        elif column in columns:
            raise FactsheetsError(
                f"{path}:{line} : deux colonnes « {column} » (« {printable(header[columns[column]].strip())} » "
                f"et « {printable(str(title).strip())} ») ; gardez-en une seule"
            )
        else:
            columns[column] = index
    missing = [column for column in ("departement", "email") if column not in columns]
    if unknown or missing:
        found = ", ".join(printable(str(title).strip()) for title in header if str(title).strip()) or "aucune"
        what = (
            f"colonne(s) inconnue(s) : {', '.join(printable(name) for name in unknown)}"
            if unknown
            else f"colonne(s) manquante(s) : {', '.join(missing)}"
        )
        raise FactsheetsError(
            f"{path}:{line} : {what} ; colonnes attendues : Département, E-mail (ou Courriel, Adresse), "
            f"Rôle (facultative), Nom (facultative) ; trouvées : {found}"
        )
    return columns


def _load_table(path: Path) -> RecipientBook:
    """One address per row; line numbers count the header as line 1."""
    from ..reference import load_reference

    if not path.is_file():
        raise FactsheetsError(f"{path} : fichier introuvable ; indiquez le fichier des destinataires avec --recipients")
    rows = _csv_rows(path) if path.suffix.lower() == ".csv" else _sheet_rows(path)
    rows = [(line, [str(cell).strip() for cell in cells]) for line, cells in rows]
    rows = [(line, cells) for line, cells in rows if any(cells)]  # blank rows are no rows
    if not rows:
        raise FactsheetsError(f"{path} : fichier vide ; première ligne : Département;E-mail;Rôle;Nom, puis une ligne par adresse")
    (header_line, header), rows = rows[0], rows[1:]
    columns = _columns(path, header_line, header)
    reference = load_reference()
    book = _BookBuilder(path)
    for line, cells in rows:  # a few hundred rows at most, each checked by email-validator
        row = {column: cells[index] if index < len(cells) else "" for column, index in columns.items()}
        department, email, name = row["departement"], row["email"], row.get("nom", "")
        role = _ROLE_OF.get(_key(row.get("role", ""))) if row.get("role") else "to"
        row_problems = []
        code = reference.find_department(department) if department else None
        if code is None:
            row_problems.append(
                f"département « {printable(department)} » inconnu ; indiquez un code INSEE (02, 2A, 971) ou un nom (Aisne), "
                "la liste : factsheets departements"
                if department
                else "colonne Département vide ; indiquez un code INSEE ou un nom de département"
            )
        if role is None:
            row_problems.append(
                f"rôle « {printable(row['role'])} » inconnu ; utilisez to (ou à, destinataire), "
                "cc (ou copie), bcc (ou cci, copie cachée) ; vide : to"
            )
        box = parse_mailbox(email, name) if email else None
        if box is None:
            row_problems.append(_bad_address(email) if email else "colonne E-mail vide ; indiquez une adresse")
        if row_problems:
            book.problems.append(Problem(str(path), line, " ; ".join(row_problems)))
            continue
        book.first_line.setdefault(code, line)
        book.add(code, line, role, box)
    for code, line in book.first_line.items():
        if not book.roles[code]["to"]:
            book.problems.append(
                Problem(
                    str(path),
                    line,
                    f"le département {code} n'a aucune adresse de rôle « to »",
                    "donnez ce rôle à au moins une adresse",
                )
            )
    if not book.first_line and not book.problems:
        raise FactsheetsError(f"{path} : aucun destinataire ; une ligne par adresse : Département;E-mail;Rôle;Nom")
    return book.build()


# -- shared ------------------------------------------------------------------------------------
class _BookBuilder:
    """Collects (department, role, mailbox) in file order; an address twice in a department is a problem."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []
        self.first_line: dict[str, int] = {}
        self.roles: dict[str, dict[str, list[Mailbox]]] = {}
        self._lines: dict[tuple[str, str], int] = {}

    def add(self, code: str, line: int, role: str, box: Mailbox) -> None:
        key = (code, box.address.lower())
        if key in self._lines:
            self.problems.append(
                Problem(
                    str(self.path),
                    line,
                    f"l'adresse {box.address} figure deux fois pour le département {code} (aussi ligne {self._lines[key]})",
                    "gardez-en une seule",
                )
            )
            return
        self._lines[key] = line
        self.roles.setdefault(code, {role: [] for role in ROLES})[role].append(box)

    def build(self) -> RecipientBook:
        entries = [
            Recipients(code, self.first_line[code], *(tuple(self.roles.get(code, {}).get(role, ())) for role in ROLES))
            for code in self.first_line
        ]
        return RecipientBook(self.path, entries, self.problems)
