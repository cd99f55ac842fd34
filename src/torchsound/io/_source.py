"""Where audio bytes come from and go to: paths, file-like objects and bytes buffers.

Every backend reads through :class:`Source`, so errors name the file the same way everywhere, and
writes go through :func:`atomic_output`, so a failed save never leaves a truncated file behind.
"""

from __future__ import annotations

import io
import os
from typing import Optional

from .._internal.atomic import atomic_output  # noqa: F401 - re-exported for the backends


class AudioFileError(RuntimeError):
    """A file that cannot be read or written as audio. The message names the file and the problem."""


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

    Non-seekable streams are read into memory once, so every backend can seek.
    """

    def __init__(self, uri):
        self.uri = uri
        self.name = _name_of(uri)
        self.path: Optional[str] = None
        self.buffer: Optional[memoryview] = None
        self.fileobj = None
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
            if _seekable(uri):
                self.fileobj = uri
                self.start = uri.tell()
                uri.seek(0, io.SEEK_END)
                self.size = uri.tell() - self.start
                uri.seek(self.start)
            else:  # a pipe or socket: read it once so that backends can seek
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

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``offset`` (fewer at the end of the file)."""
        size = max(0, min(size, self.size - offset))
        if size == 0:
            return b""
        if self.buffer is not None:
            return bytes(self.buffer[offset : offset + size])
        if self.path is not None:
            with open(self.path, "rb") as f:
                f.seek(offset)
                return f.read(size)
        self.fileobj.seek(self.start + offset)
        return self.fileobj.read(size)

    def head(self, size: int = 64) -> bytes:
        return self.read_at(0, size)

    def for_library(self):
        """What to hand to a library that opens files itself (soundfile, PyAV): a path or a file object."""
        if self.path is not None:
            return self.path
        if self.buffer is not None:
            return io.BytesIO(self.buffer)
        self.fileobj.seek(self.start)
        return self.fileobj

    def rewind(self) -> None:
        if self.fileobj is not None:
            self.fileobj.seek(self.start)


def _seekable(f) -> bool:
    try:
        if hasattr(f, "seekable") and not f.seekable():
            return False
        f.tell()
        return True
    except (OSError, AttributeError, ValueError):
        return False


def _read_all(f) -> bytes:
    data = f.read()
    if isinstance(data, str):
        raise TypeError(f"{_name_of(f)}: file object is opened in text mode; open it with 'rb'")
    return bytes(data)


