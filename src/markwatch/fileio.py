"""Files on disk as the store, the indexes and the exports see them: content hashes, atomic writes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB pieces (gazette files and index segments are large)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` to write; it replaces `path` only when the block ends without an
    error. A failed write (a full disk, a bad filter, an interrupt) leaves the previous file as it was and
    no partial file: readers of `path` see the old file or the whole new one, never half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        if exc.filename in (name, str(tmp)):
            exc.filename = str(path)  # name the file the caller asked for, not the hidden one beside it
        raise
    finally:
        tmp.unlink(missing_ok=True)
