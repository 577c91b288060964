"""Files written whole or not at all: a reader (a test, the runner, a second process) never
sees half of one, even when the writer is stopped in the middle."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_file(path: str | os.PathLike, mode: int = 0o644) -> Iterator[BinaryIO]:
    """``with atomic_file(path) as handle: ...``: write to a temporary file beside ``path``,
    then rename it into place; on an error the temporary file is removed and ``path`` is
    left as it was. The folder is made when missing; the file gets ``mode`` (by default
    readable by everyone; ``0o600`` for a secret)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, text: str, mode: int = 0o644) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, with ``mode``; return the path."""
    with atomic_file(path, mode) as handle:
        handle.write(text.encode("utf-8"))
    return Path(path)
