"""Files written whole or not at all: a temporary file beside the target, renamed over it.

Used for the sheets (render), the send journal (mail) and the canonical files (ingest).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def umask() -> int:
    """The process's umask (read by setting it and putting it back: there is no getter)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """Permissions a newly created file gets (0o666 minus the umask), unlike mkstemp's 0o600."""
    return 0o666 & ~umask()


@contextmanager
def atomic_file(path: Path, *, durable: bool = False, temporary_suffix: str = ".tmp") -> Iterator[BinaryIO]:
    """A binary stream to a temporary file in `path`'s folder, renamed over `path` on success.

    A reader sees the old file or the new one, never half of one; on any error the temporary
    file is removed and `path` is untouched. `durable` also flushes the file and the rename
    to disk, so the new content survives a crash of the machine, not just of the process.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=temporary_suffix)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temporary, new_file_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if durable:
        _fsync_directory(path.parent)


def write_atomically(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write `data` through `atomic_file` (the mail journal asks for `durable`)."""
    with atomic_file(path, durable=durable) as stream:
        stream.write(data)


def _fsync_directory(directory: Path) -> None:
    """Persist a rename itself (POSIX); where a folder cannot be opened, skip it."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the rename is still atomic
    finally:
        os.close(descriptor)


def keep_newest(folder: Path, pattern: str, count: int) -> None:
    """Remove the files of `folder` matching `pattern` but the `count` most recently written
    (a bounded cache); a file that vanishes meanwhile is skipped."""
    found = []
    for path in folder.glob(pattern):
        try:
            found.append((path.stat().st_mtime_ns, path.name, path))
        except OSError:
            continue
    found.sort(reverse=True)
    for _, _, path in found[count:]:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
