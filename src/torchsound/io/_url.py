"""``http(s)://`` sources for ``load``, ``info`` and ``StreamReader``, as torchaudio 2.8's FFmpeg backend took them.

``load``/``info`` fetch the body with the standard library into memory (then decode it like a bytes
buffer); ``StreamReader`` hands the URL to FFmpeg (PyAV), which decodes the stream as it arrives, so
long and live streams work in bounded memory. Both wait at most ``TORCHSOUND_HTTP_TIMEOUT`` seconds
(default 30) for the connection and for every read, so a dead server never hangs a loader.
"""

from __future__ import annotations

import http.client
import os
import socket
import urllib.error
import urllib.request

# Seconds to wait for the connection and for each read; TORCHSOUND_HTTP_TIMEOUT overrides it.
DEFAULT_TIMEOUT = 30.0
_BLOCK = 1 << 20


def is_url(uri) -> bool:
    return isinstance(uri, str) and uri[:8].lower().startswith(("http://", "https://"))


def _timeout() -> float:
    value = os.environ.get("TORCHSOUND_HTTP_TIMEOUT")
    if value is None:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ValueError(f"TORCHSOUND_HTTP_TIMEOUT must be a positive number of seconds, got {value!r}")
    return seconds


def fetch(url: str) -> bytes:
    """The body of ``url``; raises AudioFileError naming the URL when the server or the network fails."""
    from ._source import AudioFileError

    def failure(problem: str) -> AudioFileError:
        return AudioFileError(f"{url}: {problem}")

    timeout = _timeout()
    request = urllib.request.Request(url, headers={"User-Agent": "torchsound"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            parts = []
            while True:
                block = response.read(_BLOCK)
                if not block:
                    break
                parts.append(block)
            expected = response.headers.get("Content-Length")
            data = b"".join(parts)
    except urllib.error.HTTPError as err:
        raise failure(f"the server answered HTTP {err.code} {err.reason}") from None
    except (socket.timeout, TimeoutError):
        raise failure(f"no answer within {timeout:g} s (TORCHSOUND_HTTP_TIMEOUT sets the limit)") from None
    except urllib.error.URLError as err:
        raise failure(f"cannot connect ({err.reason}); is the network up?") from None
    except (OSError, http.client.HTTPException) as err:  # connection reset, incomplete read, ...
        raise failure(f"the download failed ({type(err).__name__}: {err})") from None
    if expected is not None and expected.isdigit() and int(expected) != len(data):
        raise failure(f"the download stopped after {len(data)} of {expected} bytes")
    return data


class UrlSource:
    """A URL that FFmpeg opens and streams itself (StreamReader): nothing is fetched ahead, so a long or live
    stream is decoded as it arrives. It offers what the FFmpeg decoder uses of :class:`~._source.Source`."""

    path = buffer = fileobj = None
    size = 0  # unknown

    def __init__(self, url: str):
        self.uri = self.name = url

    def ffmpeg_options(self, option) -> dict:
        """FFmpeg's read timeout (microseconds) unless the caller set one."""
        return {"rw_timeout": str(int(_timeout() * 1e6)), **(option or {})}

    def error(self, problem: str):
        from ._source import AudioFileError

        return AudioFileError(f"{self.name}: {problem}")

    def for_library(self) -> str:
        return self.uri

    def rewind(self) -> None:
        pass

    def head(self, size: int = 64) -> bytes:
        return b""

    def close(self) -> None:
        pass
