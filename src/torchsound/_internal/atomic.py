"""Atomic file output: a failed write never leaves a truncated file or destroys the one it replaces."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from typing import Iterator


@contextlib.contextmanager
def atomic_output(uri, mode: str = "wb") -> Iterator[object]:
    """Yield a file to write into (``mode`` "wb" or "w"); on success it replaces ``uri`` in one step.

    For a path, the data goes to a hidden temporary file in the same folder, renamed over the
    destination with ``os.replace`` only once fully written; on any error the temporary file is
    removed and an existing destination is left untouched. File objects are written directly.
    """
    if hasattr(uri, "write"):
        yield uri
        return
    if not isinstance(uri, (str, os.PathLike)):
        raise TypeError(f"uri must be a path or a writable file-like object, got {type(uri).__name__}")
    path = os.path.abspath(os.fspath(uri))
    folder, base = os.path.split(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{path}: folder {folder} does not exist")
    tmp = os.path.join(folder, f".{base}.{secrets.token_hex(4)}.tmp")
    # os.open with mode 0o666 lets the umask decide permissions, as for a plain open(path, "wb").
    binary = getattr(os, "O_BINARY", 0) if "b" in mode else 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | binary, 0o666)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
        if os.path.exists(path):
            with contextlib.suppress(OSError):
                shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
