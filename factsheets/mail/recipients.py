"""Who gets which department's sheet: the recipients file, in YAML, CSV or XLSX.

YAML (examples/recipients.example.yaml): `departments: {"02": {to: [...], cc: [...], bcc: [...]}}`.
CSV or XLSX: one address per row, columns `departement` (code or name), `email`, `role`
(`to`, `cc` or `bcc`; empty: `to`) and optionally `nom` (display name).

A file of the wrong shape raises at once (FactsheetsError naming file and line); bad values
(addresses, departments, roles) are collected in `RecipientBook.problems`, one line each
naming the file and line, so that they are all reported together.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml
from email_validator import EmailNotValidError, validate_email

from ..config import compose_nodes, load_yaml
from .. import errors
from ..errors import FactsheetsError

ROLES = ("to", "cc", "bcc")
TABLE_COLUMNS = ("departement", "email", "role", "nom")
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
    problems: list[str]  # content problems (addresses, codes), reported together later


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
        raise FactsheetsError(f"{path} : fichier vide ; attendu : une clé « departments » (voir examples/recipients.example.yaml)")
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
        raise FactsheetsError(f"{where(top[unknown[0]][0])} : clé inconnue « {unknown[0]} » ; le fichier n'a qu'une clé, « departments »")
    if "departments" not in top:
        raise FactsheetsError(f"{path} : clé « departments » manquante (code du département -> adresses to/cc)")
    key_node, departments = top["departments"]
    if not isinstance(departments, yaml.MappingNode) or not departments.value:
        raise FactsheetsError(
            f"{where(key_node)} : la clé « departments » doit associer des codes de département à des destinataires, "
            "par ex. \"02\": {to: [contact@example.org]}"
        )
    departments_index = _DepartmentIndex()
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
        code = departments_index.code(raw_code, by_name=False)
        if code is None:
            book.problems.append(
                f"{path}:{line} : « {printable(raw_code)} » sous « departments » n'est pas un code de département connu ; "
                "utilisez un code INSEE comme \"02\", \"2A\" ou \"971\""
            )
        elif code in book.first_line:
            book.problems.append(f"{path}:{line} : le département {code} figure deux fois (aussi ligne {book.first_line[code]}) ; gardez une seule entrée")
            code = None
        else:
            book.first_line[code] = line
        boxes = {key: _yaml_addresses(fields[key][1], path, f"{label}.{key}", book.problems) for key in fields}
        to_node = fields["to"][1]
        if not to_node.value or (isinstance(to_node, yaml.ScalarNode) and not to_node.value.strip()):
            book.problems.append(f"{where(to_node)} : la clé « {label}.to » est vide ; indiquez au moins une adresse")
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


def _yaml_addresses(node: yaml.Node, path: Path, label: str, problems: list[str]) -> tuple[Mailbox, ...]:
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
            raise FactsheetsError(f"{path}:{item.start_mark.line + 1} : la clé « {label} » doit lister les adresses sous forme de texte")
        box = parse_mailbox(item.value)
        if box is None:
            problems.append(f"{path}:{item.start_mark.line + 1} : clé « {label} » : {_bad_address(item.value)}")
        else:
            boxes.append(box)
    return tuple(boxes)


def _bad_address(text: str) -> str:
    return (f"« {printable(text)} » n'est pas une adresse e-mail valide ; "
            "écrivez-la sous la forme nom@domaine.fr ou \"Nom <nom@domaine.fr>\"")


# -- CSV and XLSX ----------------------------------------------------------------------------
def _load_table(path: Path) -> RecipientBook:
    """One address per row; line numbers count the header as line 1."""
    import polars as pl

    if not path.is_file():
        raise FactsheetsError(f"{path} : fichier introuvable ; indiquez le fichier des destinataires avec --recipients")
    try:
        if path.suffix.lower() == ".csv":
            head = path.read_bytes()[:4096].decode("utf-8-sig", "replace").splitlines()[:1]
            separator = ";" if head and head[0].count(";") > head[0].count(",") else ","
            frame = pl.read_csv(path, separator=separator, infer_schema=False, encoding="utf8-lossy")
        else:
            frame = pl.read_excel(path, engine="calamine", infer_schema_length=0, drop_empty_rows=False)
    except Exception as error:  # polars and fastexcel raise many kinds for an unreadable file
        reason = " ".join(str(error).split())[:200]
        raise FactsheetsError(f"{path} : fichier de destinataires illisible ({reason}) ; enregistrez-le en CSV UTF-8 ou en XLSX") from None
    frame = frame.rename({name: name.strip().lstrip("\ufeff").lower() for name in frame.columns})
    unknown = [name for name in frame.columns if name not in TABLE_COLUMNS]
    missing = [name for name in ("departement", "email") if name not in frame.columns]
    if unknown or missing:
        found = ", ".join(frame.columns) or "aucune"
        raise FactsheetsError(
            f"{path}:1 : colonnes attendues : departement, email, role (facultative), nom (facultative) ; trouvées : {found}"
        )
    frame = (
        frame.select(
            pl.col(name).cast(pl.String).str.strip_chars().fill_null("") if name in frame.columns
            else pl.lit("").alias(name)
            for name in TABLE_COLUMNS
        )
        .with_row_index("line", offset=2)
        .filter(pl.any_horizontal(pl.col(name) != "" for name in TABLE_COLUMNS))  # blank rows are no rows
        .with_columns(pl.col("role").str.to_lowercase().replace("", "to"))
    )
    departments_index = _DepartmentIndex()
    book = _BookBuilder(path)
    for row in frame.iter_rows(named=True):  # a few hundred rows at most, each checked by email-validator
        where = f"{path}:{row['line']}"
        row_problems = []
        code = departments_index.code(row["departement"], by_name=True) if row["departement"] else None
        if code is None:
            row_problems.append(
                f"département « {printable(row['departement'])} » inconnu ; indiquez un code INSEE (02, 2A, 971) ou un nom (Aisne)"
                if row["departement"] else "colonne departement vide ; indiquez un code INSEE ou un nom de département"
            )
        if row["role"] not in ROLES:
            row_problems.append(f"rôle « {printable(row['role'])} » inconnu ; utilisez to, cc ou bcc (vide : to)")
        box = parse_mailbox(row["email"], row["nom"]) if row["email"] else None
        if box is None:
            row_problems.append(_bad_address(row["email"]) if row["email"] else "colonne email vide ; indiquez une adresse")
        if row_problems:
            book.problems.append(f"{where} : {' ; '.join(row_problems)}")
            continue
        book.first_line.setdefault(code, row["line"])
        book.add(code, row["line"], row["role"], box)
    for code, line in book.first_line.items():
        if not book.roles[code]["to"]:
            book.problems.append(f"{path}:{line} : le département {code} n'a aucune adresse de rôle « to » ; donnez ce rôle à au moins une adresse")
    if not book.first_line and not book.problems:
        raise FactsheetsError(f"{path} : aucun destinataire ; une ligne par adresse : departement, email, role, nom")
    return book.build()


# -- shared ------------------------------------------------------------------------------------
class _DepartmentIndex:
    """Department codes as typed ('2', '02', '2a') or names ('Aisne', 'côte d'or')."""

    def __init__(self):
        from ..reference import load_reference

        self.reference = load_reference()
        self.by_name = {_name_key(name): code for code, name in self.reference.departments.select("code", "name").iter_rows()}

    def code(self, text: str, *, by_name: bool) -> str | None:
        from ..reference import normalize_department_code

        code = normalize_department_code(text)
        try:
            self.reference.department(code)
            return code
        except FactsheetsError:
            return self.by_name.get(_name_key(text)) if by_name else None


def _name_key(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", " ", ascii_name.lower()).strip()


class _BookBuilder:
    """Collects (department, role, mailbox) in file order; an address twice in a department is a problem."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []
        self.first_line: dict[str, int] = {}
        self.roles: dict[str, dict[str, list[Mailbox]]] = {}
        self._lines: dict[tuple[str, str], int] = {}

    def add(self, code: str, line: int, role: str, box: Mailbox) -> None:
        key = (code, box.address.lower())
        if key in self._lines:
            self.problems.append(
                f"{self.path}:{line} : l'adresse {box.address} figure deux fois pour le département {code} "
                f"(aussi ligne {self._lines[key]}) ; gardez-en une seule"
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
