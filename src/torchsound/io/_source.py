"""Where audio bytes come from and go to: paths, file-like objects and bytes buffers.

Every backend reads through :class:`Source`, so errors name the file the same way everywhere, and
writes go through :func:`atomic_output`, so a failed save never leaves a truncated file behind.
"""

from __future__ import annotations

import contextlib
import io
import os
from typing import Optional

from .._internal.atomic import atomic_output  # noqa: F401 - re-exported for the backends


class AudioFileError(OSError, RuntimeError):
    """A file that cannot be read or written as audio. The message names the file and the problem.

    It is both an ``OSError`` (what file problems raise in Python) and a ``RuntimeError`` (what
    torchaudio raised), so ``except OSError`` and ``except RuntimeError`` both catch it.
    """


# What the first bytes of a file say about its format (checked before the extension).
def sniff_format(head: bytes) -> Optional[str]:
    if len(head) >= 12 and head[:4] in (b"RIFF", b"RF64", b"BW64", b"RIFX") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "opus" if b"OpusHead" in head[:80] else "ogg"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] & 0x06)):
        return "mp3"
    if len(head) >= 8 and head[4:8] == b"ftyp":
        return "mp4"
    return None


def _name_of(uri) -> str:
    if isinstance(uri, (str, os.PathLike)):
        return os.fspath(uri)
    name = getattr(uri, "name", None)
    if isinstance(name, str):
        return name
    if isinstance(uri, (bytes, bytearray, memoryview)):
        return f"<{len(uri)}-byte buffer>"
    return f"<{type(uri).__name__}>"


class Source:
    """An audio input: a path, a bytes buffer, or a file-like object (seekable or not).

    Non-seekable streams are read into memory once, so every backend can seek. A path is opened
    once (on the first read) and kept open until :meth:`close`. Reads from a file object put its
    position back, so a library decoding from the same object (libsndfile, PyAV) is never moved
    under its feet. Every failure of the underlying file raises :class:`AudioFileError` naming it.
    """

    def __init__(self, uri):
        self.uri = uri
        self.name = _name_of(uri)
        self.path: Optional[str] = None
        self.buffer: Optional[memoryview] = None
        self.fileobj = None
        self._file = None  # the path's handle, opened by the first read
        from ._url import fetch, is_url

        if is_url(uri):  # http(s)://, as torchaudio's FFmpeg backend: fetched into memory
            self.buffer = memoryview(fetch(uri)).cast("B")
            self.size = len(self.buffer)
        elif isinstance(uri, (str, os.PathLike)):
            self.path = os.fspath(uri)
            if isinstance(self.path, bytes):
                self.path = os.fsdecode(self.path)
            if not os.path.exists(self.path):
                raise FileNotFoundError(f"{self.path}: no such file")
            if os.path.isdir(self.path):
                raise IsADirectoryError(f"{self.path}: is a directory, not an audio file")
            self.size = os.path.getsize(self.path)
        elif isinstance(uri, (bytes, bytearray, memoryview)):
            self.buffer = memoryview(uri).cast("B")
            self.size = len(self.buffer)
        elif hasattr(uri, "read"):
            if isinstance(uri, io.TextIOBase):
                raise TypeError(f"{self.name}: file object is opened in text mode; open it with 'rb'")
            if _seekable(uri):
                self.fileobj = uri
                with self._file_errors():
                    self.start = uri.tell()
                    uri.seek(0, io.SEEK_END)
                    self.size = uri.tell() - self.start
                    uri.seek(self.start)
            else:  # a pipe or socket: read it once so that backends can seek
                with self._file_errors():
                    self.buffer = memoryview(_read_all(uri)).cast("B")
                self.size = len(self.buffer)
        else:
            raise TypeError(
                "uri must be a path (str or os.PathLike), a file-like object or a bytes buffer, "
                f"got {type(uri).__name__}"
            )
        if self.size == 0:
            raise AudioFileError(f"{self.name}: the file is empty (0 bytes)")

    def error(self, problem: str) -> AudioFileError:
        return AudioFileError(f"{self.name}: {problem}")

    @contextlib.contextmanager
    def _file_errors(self):
        """Turn what a file or file object raises while read (OSError, a str from a text-mode file,
        ValueError on a closed file) into an AudioFileError that names it."""
        try:
            yield
        except AudioFileError:
            raise
        except TypeError as err:  # TypeError for text mode is a usage error: keep its type
            raise TypeError(f"{self.name}: {err}") from err
        except (OSError, ValueError, UnicodeDecodeError, EOFError) as err:
            raise self.error(f"reading the file failed ({type(err).__name__}: {err})") from err

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``offset`` (fewer at the end of the file)."""
        size = max(0, min(size, self.size - offset))
        if size == 0:
            return b""
        if self.buffer is not None:
            return bytes(self.buffer[offset : offset + size])
        with self._file_errors():
            if self.path is not None:
                if self._file is None:
                    self._file = open(self.path, "rb")
                self._file.seek(offset)
                return _read_exactly(self._file, size)
            position = self.fileobj.tell()
            try:
                self.fileobj.seek(self.start + offset)
                return _read_exactly(self.fileobj, size)
            finally:
                self.fileobj.seek(position)

    def head(self, size: int = 64) -> bytes:
        return self.read_at(0, size)

    def for_library(self):
        """What to hand to a library that opens files itself (soundfile, PyAV): a path or a file object."""
        if self.path is not None:
            return self.path
        if self.buffer is not None:
            return io.BytesIO(self.buffer)
        with self._file_errors():
            self.fileobj.seek(self.start)
        # Libraries seek to absolute offsets: audio that starts further in the object needs a window.
        return self.fileobj if self.start == 0 else _Window(self.fileobj, self.start)

    def rewind(self) -> None:
        if self.fileobj is not None:
            with self._file_errors():
                self.fileobj.seek(self.start)

    def close(self) -> None:
        """Close the handle this Source opened itself (never the caller's file object)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Window(io.RawIOBase):
    """The part of a seekable file object from ``start`` on, as a file object of its own."""

    def __init__(self, f, start: int):
        super().__init__()
        self._f, self._start = f, start

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self._f.read(len(b))
        b[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            offset += self._start
        return self._f.seek(offset, whence) - self._start

    def tell(self) -> int:
        return self._f.tell() - self._start


def _seekable(f) -> bool:
    try:
        if hasattr(f, "seekable") and not f.seekable():
            return False
        f.tell()
        return True
    except (OSError, AttributeError, ValueError):
        return False


def _check_bytes(data) -> bytes:
    if isinstance(data, str):
        raise TypeError("file object is opened in text mode; open it with 'rb'")
    return bytes(data) if data is not None else b""


def _read_exactly(f, size: int) -> bytes:
    """``size`` bytes from ``f`` (fewer only at its end): raw files and sockets may return short reads."""
    parts, left = [], size
    while left > 0:
        data = _check_bytes(f.read(left))
        if not data:
            break
        parts.append(data)
        left -= len(data)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _read_all(f, block: int = 1 << 20) -> bytes:
    """Everything left in a stream, read in sized blocks (some file-likes only implement ``read(n)``)."""
    parts = []
    while True:
        data = _check_bytes(f.read(block))
        if not data:
            return b"".join(parts)
        parts.append(data)
