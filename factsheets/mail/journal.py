"""The send journal: one entry per message and address, kept in the configuration's state
folder (paths.state_dir(): FACTSHEETS_STATE, else ~/.local/state/factsheets/<configuration>/),
not in the output folder, so that the same campaign run with another --out or from another
folder finds it (`mail --journal FICHIER` names another file).

An entry is (year, department, address, sheet sha256, state, timestamps). Its state:
- "intent": made durable just BEFORE the message goes out. An entry still in this state
  on the next run means the run died (Ctrl-C too late, SIGKILL, power cut) or the answer
  was lost after the message data went out: the outcome is unknown ("incertain");
- "sent": the server accepted the message;
- "failed": the server refused it, or the connection failed before the end of the message
  data: it was not delivered, and a later run may send it.

Journals of earlier versions, in output folders (`<out>/.mail-journal.json`), are merged in
the first time a run sees them (`merge`); the journal records which file (path and sha256)
it merged, so a file is merged once and merged again only if it changed.

Every write replaces the whole file atomically and durably (fsync of the file and of its
folder), so a crash leaves the old journal or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import FactsheetsError, write_problem
from ..files import write_atomically

JOURNAL_FORMAT = 2
STATES = ("intent", "sent", "failed")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FIX = "restaurez-le, ou supprimez-le pour oublier tous les envois passés (tout serait envoyé à nouveau)"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class AddressState:
    """Where one address stands for one sheet content."""

    kind: str  # "new" | "sent" (this content) | "uncertain" (this content) | "changed" (an older content)
    date: str = ""  # when the matching entry was made (sent_at, or intent_at for "uncertain")


class Journal:
    def __init__(self, path: Path, entries: list[dict[str, Any]], merged: list[dict[str, Any]] | None = None):
        self.path = path
        self.entries = entries
        self.merged = merged if merged is not None else []  # [{path, sha256, merged_at, entries}]

    @classmethod
    def load(cls, path: Path) -> Journal:
        if not path.exists():
            return cls(path, [])
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise FactsheetsError(f"{path} : journal d'envoi illisible ({error}) ; {_FIX}") from None
        if isinstance(payload, dict) and payload.get("format") == JOURNAL_FORMAT and isinstance(payload.get("entries"), list):
            entries = payload["entries"]
        elif isinstance(payload, dict) and isinstance(payload.get("sent"), list):
            entries = _from_format_1(path, payload["sent"])
        else:
            raise FactsheetsError(
                f'{path} : ce n\'est pas un journal d\'envoi (attendu : "format": {JOURNAL_FORMAT}, "entries": [...]) ; {_FIX}'
            )
        for number, entry in enumerate(entries, start=1):
            _check_entry(path, number, entry)
        merged = payload.get("merged", []) if isinstance(payload, dict) else []
        if not isinstance(merged, list) or not all(isinstance(item, dict) for item in merged):
            raise FactsheetsError(f"{path} : champ « merged » invalide (attendu : une liste d'objets) ; {_FIX}")
        return cls(path, entries, merged)

    def merge(self, other: Path) -> int | None:
        """Add the entries of an older journal (in an output folder) that this one lacks.

        The number of entries added, or None when this very file (same path, same content)
        was merged already. Reading only: the caller saves."""
        try:
            digest = hashlib.sha256(other.read_bytes()).hexdigest()
        except OSError as error:
            raise FactsheetsError(f"{other} : journal d'envoi illisible ({error.strerror or error}) ; {_FIX}") from None
        where = str(other.resolve())
        if any(item.get("path") == where and item.get("sha256") == digest for item in self.merged):
            return None
        known = {_identity(entry) for entry in self.entries}
        added = [entry for entry in Journal.load(other).entries if _identity(entry) not in known]
        self.entries.extend(added)
        self.merged.append({"path": where, "sha256": digest, "merged_at": now(), "entries": len(added)})
        return len(added)

    def state(self, year: int, code: str, address: str, sha256: str) -> AddressState:
        mine = [
            entry
            for entry in self.entries
            if entry["year"] == year
            and entry["department"] == code
            and entry["address"].lower() == address.lower()
            and entry["state"] != "failed"
        ]
        same = [entry for entry in mine if entry["sha256"] == sha256]
        sent = [entry["sent_at"] for entry in same if entry["state"] == "sent"]
        if sent:
            return AddressState("sent", max(sent))
        if same:
            return AddressState("uncertain", max(entry["intent_at"] for entry in same))
        if mine:
            return AddressState("changed", max(entry.get("sent_at") or entry["intent_at"] for entry in mine))
        return AddressState("new")

    def begin(self, entries: list[dict[str, Any]]) -> None:
        """Record that a message is about to go out (state "intent"), durably."""
        self.entries.extend({**entry, "state": "intent", "intent_at": now()} for entry in entries)
        self.save()

    def finish(self, message_id: str, state: str, **fields: Any) -> None:
        """Settle the intent entries of one message: "sent" or "failed"."""
        for entry in self.entries:
            if entry.get("message_id") == message_id and entry["state"] == "intent":
                entry.update(state=state, **fields)
        self.save()

    def save(self) -> None:
        payload: dict[str, Any] = {"format": JOURNAL_FORMAT, "entries": self.entries}
        if self.merged:
            payload["merged"] = self.merged
        write_atomically(self.path, (json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode("utf-8"), durable=True)


def _identity(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False)


def _from_format_1(path: Path, entries: list) -> list[dict[str, Any]]:
    """The journal of earlier versions (one entry per accepted message): one "sent" entry per address."""
    converted = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("to"), list):
            raise FactsheetsError(f"{path} : entrée n° {number} du journal : liste « to » manquante ; {_FIX}")
        for role in ("to", "cc", "bcc"):
            for address in entry.get(role) or []:
                converted.append(
                    {
                        "year": entry.get("year"),
                        "department": entry.get("department"),
                        "address": address,
                        "role": role,
                        "sha256": entry.get("sha256"),
                        "state": "sent",
                        "file": entry.get("file"),
                        "message_id": entry.get("message_id"),
                        "intent_at": entry.get("sent_at"),
                        "sent_at": entry.get("sent_at"),
                    }
                )
        if not isinstance(entry.get("sent_at"), str):  # a converted entry without addresses is still checked
            raise FactsheetsError(f"{path} : entrée n° {number} du journal : champ « sent_at » manquant ; {_FIX}")
    return converted


def _check_entry(path: Path, number: int, entry: Any) -> None:
    """One line naming the journal and the entry, instead of a KeyError later."""
    where = f"{path} : entrée n° {number} du journal"
    if not isinstance(entry, dict):
        raise FactsheetsError(f"{where} : attendu un objet {{year, department, address, sha256, state…}} ; {_FIX}")
    kinds = {"year": int, "department": str, "address": str, "sha256": str, "state": str}
    if entry.get("state") == "sent":
        kinds["sent_at"] = str
    if entry.get("state") == "intent":
        kinds["intent_at"] = str
    for key, kind in kinds.items():
        if key not in entry:
            raise FactsheetsError(f"{where} : champ « {key} » manquant ; {_FIX}")
        if not isinstance(entry[key], kind) or isinstance(entry[key], bool):
            raise FactsheetsError(f"{where} : champ « {key} » invalide (« {entry[key]} ») ; {_FIX}")
    if entry["state"] not in STATES:
        raise FactsheetsError(f"{where} : état « {entry['state']} » inconnu (attendu : {', '.join(STATES)}) ; {_FIX}")
    if not _SHA256.fullmatch(entry["sha256"]):
        raise FactsheetsError(f"{where} : champ « sha256 » invalide ; {_FIX}")


@contextmanager
def journal_lock(journal: Path) -> Iterator[None]:
    """One sending run per journal at a time (the lock dies with its process): two runs of
    the same campaign, whatever their --out or folder, never send side by side."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock
        yield
        return
    lock_path = journal.with_name(journal.name + ".lock")
    try:
        handle = open(lock_path, "a+b")  # noqa: SIM115 (closed by the with below)
    except OSError as error:
        what, _ = write_problem(lock_path.parent, error)
        raise FactsheetsError(
            f"{lock_path} : verrou du journal d'envoi non créé, {what} ; rien n'a été envoyé ; "
            "libérez de la place (ou corrigez les droits) sur ce disque, puis relancez la commande"
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FactsheetsError(
                f"{lock_path} : une autre commande « factsheets mail --send » utilise le journal {journal} ; "
                "attendez qu'elle se termine"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
