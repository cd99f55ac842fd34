"""Atomic file output: a failed write never leaves a truncated file or destroys the one it replaces.

The data goes to a temporary file next to the destination, renamed over it once complete. The
temporary file of ``<folder>/<name>`` is ``<folder>/.<name>.torchsound.tmp``, held under an exclusive lock
(``flock``) while it is written. A writer killed mid-write leaves that one file, and its lock dies
with it: the next save of the same path finds the name unlocked and reuses it, so killed saves
never pile up. Only while another process is writing the same path at the same moment does a
writer fall back to a unique name ``.<name>.torchsound-<hex>.tmp``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from typing import Iterator, Tuple

try:
    import fcntl
except ImportError:  # Windows: no flock; a file open in another process cannot be removed there instead
    fcntl = None


def temp_path(path: str) -> str:
    """The fixed temporary name used while writing ``path`` (an absolute, resolved path)."""
    folder, base = os.path.split(path)
    return os.path.join(folder, f".{base}.torchsound.tmp")  # specific enough to be no one else's file


def _claim_fixed(fixed: str, flags: int) -> int:
    """Open and lock the fixed temporary name, reusing a file a dead writer left; -1 while a live writer has it."""
    if fcntl is None:
        with contextlib.suppress(OSError):
            os.remove(fixed)  # fails while another process has it open
        try:
            return os.open(fixed, flags | os.O_EXCL, 0o666)
        except OSError:
            return -1
    for _ in range(3):
        try:
            fd = os.open(fixed, flags, 0o666)
        except OSError:  # e.g. a stale file of another user: leave it, use a unique name
            return -1
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live writer is saving the same path right now
            os.close(fd)
            return -1
        # Locked. The previous holder may have renamed this very file into place before unlocking:
        # only the file still under the temporary name is ours to reuse.
        try:
            still_temp = os.path.samestat(os.fstat(fd), os.stat(fixed))
        except FileNotFoundError:
            still_temp = False
        if still_temp:
            os.ftruncate(fd, 0)
            return fd
        os.close(fd)
    return -1


def _open_temp(path: str, binary: int) -> Tuple[int, str]:
    flags = os.O_WRONLY | os.O_CREAT | binary
    fixed = temp_path(path)
    fd = _claim_fixed(fixed, flags)
    if fd >= 0:
        return fd, fixed
    folder, base = os.path.split(path)
    unique = os.path.join(folder, f".{base}.torchsound-{secrets.token_hex(4)}.tmp")
    # Mode 0o666 lets the umask decide permissions, as for a plain open(path, "wb").
    return os.open(unique, flags | os.O_EXCL, 0o666), unique


def _destination_error(err: OSError, path: str, doing: str) -> OSError:
    """``err`` reworded to name the destination instead of our temporary file (same OSError subclass)."""
    folder = os.path.dirname(path)
    return OSError(err.errno, f"cannot {doing} {path} (in folder {folder}): {err.strerror}", path)


@contextlib.contextmanager
def atomic_output(uri, mode: str = "wb") -> Iterator[object]:
    """Yield a file to write into (``mode`` "wb" or "w"); on success it replaces ``uri`` in one step.

    For a path, the data goes to a temporary file in the destination's folder (see the module
    docstring), renamed over the destination with ``os.replace`` only once fully written; on any
    error the temporary file is removed and an existing destination is left untouched. A symbolic
    link is followed: its target is replaced and the link stays a link. File objects are written
    directly.

    Raises:
        FileNotFoundError: the destination's folder does not exist.
        OSError (e.g. PermissionError): the folder is not writable; the message names the destination.
    """
    if hasattr(uri, "write"):
        yield uri
        return
    if not isinstance(uri, (str, os.PathLike)):
        raise TypeError(f"uri must be a path or a writable file-like object, got {type(uri).__name__}")
    path = os.path.realpath(os.path.abspath(os.fspath(uri)))  # through symlinks, to the file they name
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{path}: folder {folder} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: is a folder; cannot write a file there")
    binary = getattr(os, "O_BINARY", 0) if "b" in mode else 0
    try:
        fd, tmp = _open_temp(path, binary)
    except OSError as err:
        raise _destination_error(err, path, "write") from None
    with os.fdopen(fd, mode) as f:
        try:
            yield f
            f.flush()
            if os.path.exists(path):
                with contextlib.suppress(OSError):
                    shutil.copymode(path, tmp)
            if fcntl is None:
                f.close()  # Windows renames no open file
            try:
                os.replace(tmp, path)
            except OSError as err:
                raise _destination_error(err, path, "replace") from None
        except BaseException:
            # Removed while the file is still open and locked, so it is never another writer's file.
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    # The lock is released only now, after the rename: see _claim_fixed.
