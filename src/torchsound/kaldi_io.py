"""Kaldi archives (``.ark``) and script files (``.scp``): read and write vectors and matrices.

Readers have torchaudio's names and yield ``(key, tensor)`` pairs; writers write the same
formats, optionally with a matching ``.scp`` index. Pure Python and numpy.

Formats handled (Kaldi's own, as written by ``copy-feats``, ``copy-vector``, ``copy-int-vector``):
    - binary: float and double matrices (``FM``/``DM``) and vectors (``FV``/``DV``), int32 vectors,
      and, on read, compressed matrices (``CM``, ``CM2``, ``CM3``);
    - text (``ark,t:``): ``key  [ ... ]`` matrices and vectors, ``key 1 2 3`` int vectors.

Compressed matrices decompress with the same float32 arithmetic as ``kaldiio``, which may differ
from Kaldi's C++ by one unit in the last place.

Malformed, truncated or non-Kaldi input raises :class:`KaldiFormatError` (a ``ValueError``) naming
the file and the byte offset. Sizes in headers are checked against the bytes that remain before
anything is allocated. Shell pipes in file names (``"cmd |"``) are not run; they are errors.
"""

from __future__ import annotations

import io
import os
import re
from contextlib import contextmanager
from typing import IO, Any, Dict, Iterable, Iterator, Mapping, Optional, Tuple, Union

import numpy as np
import torch

from ._internal.atomic import atomic_output

__all__ = [
    "KaldiFormatError",
    "read_vec_int_ark",
    "read_vec_flt_scp",
    "read_vec_flt_ark",
    "read_mat_scp",
    "read_mat_ark",
    "write_vec_int_ark",
    "write_vec_flt_ark",
    "write_mat_ark",
]

PathOrFile = Union[str, "os.PathLike[str]", IO[bytes]]

_CHUNK = 1 << 20  # read streams of unknown length in pieces, so memory follows the data, not a header
_MAX_KEY = 1 << 16
_MAX_LINE = 1 << 26  # a text row of a million numbers; beyond that the input is not Kaldi text
_WHITESPACE = b" \t\n\r"
_SPECIFIER = re.compile(r"^(?:ark|scp)(?:,[a-z]+)*:")


class KaldiFormatError(ValueError):
    """Malformed, truncated or non-Kaldi data; the message names the file and the byte offset."""


# ----------------------------------------------------------------------------- byte source


class _Source:
    """A binary file with a byte position, peeking, and reads bounded by what the file holds."""

    def __init__(self, fd: IO[bytes], name: str):
        self.fd = fd
        self.name = name
        self.pending = b""  # bytes read ahead by peek()
        try:
            self.pos = fd.tell()
            fd.seek(0, os.SEEK_END)
            self.end: Optional[int] = fd.tell()
            fd.seek(self.pos)
        except (AttributeError, OSError, ValueError):
            self.pos, self.end = 0, None

    def error(self, problem: str, offset: Optional[int] = None) -> KaldiFormatError:
        return KaldiFormatError(f"{self.name}: {problem} at byte {self.pos if offset is None else offset}")

    def seek(self, offset: int) -> None:
        if self.end is None:
            raise KaldiFormatError(f"{self.name}: cannot seek to byte {offset} in a stream that is not seekable")
        if offset > self.end:
            raise KaldiFormatError(f"{self.name}: offset {offset} is past the end of the file ({self.end} bytes)")
        self.fd.seek(offset)
        self.pos, self.pending = offset, b""

    def _raw_read(self, n: int) -> bytes:
        parts, got = [], 0
        while got < n:
            part = self.fd.read(min(_CHUNK, n - got))
            if not part:
                break
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end of the file)."""
        head, self.pending = self.pending[:n], self.pending[n:]
        data = head + self._raw_read(n - len(head)) if len(head) < n else head
        self.pos += len(data)
        return data

    def peek(self, n: int) -> bytes:
        if len(self.pending) < n:
            self.pending += self._raw_read(n - len(self.pending))
        return self.pending[:n]

    def read_exact(self, n: int, what: str) -> bytes:
        start = self.pos
        if n < 0:
            raise self.error(f"{what} has a negative size ({n})")
        if self.end is not None and n > self.end - self.pos:
            raise self.error(f"{what} needs {n} bytes but only {self.end - self.pos} remain (truncated or corrupt header)")
        data = self.read(n)
        if len(data) < n:
            raise self.error(f"truncated {what}: needs {n} bytes, the file ends after {len(data)}", start)
        return data

    def skip_whitespace(self) -> bool:
        """Skip spaces and newlines; False at the end of the file."""
        while True:
            c = self.peek(1)
            if not c:
                return False
            if c not in _WHITESPACE:
                return True
            self.read(1)

    def read_word(self, what: str, limit: int) -> bytes:
        """Bytes up to the next whitespace (consumed)."""
        start, word = self.pos, bytearray()
        while True:
            c = self.read(1)
            if not c or c in _WHITESPACE:
                break
            word += c
            if len(word) > limit:
                raise self.error(f"{what} longer than {limit} bytes: not a Kaldi archive", start)
        return bytes(word)

    def readline(self, what: str) -> bytes:
        """One line without its newline; error at the end of the file if the line never ends."""
        start, parts = self.pos, []
        while True:
            if not self.pending:
                self.pending = self.fd.read(_CHUNK)
                if not self.pending:
                    raise self.error(f"truncated {what}: the file ends inside it", start)
            cut = self.pending.find(b"\n")
            if cut >= 0:
                parts.append(self.pending[:cut])
                self.pending = self.pending[cut + 1 :]
                self.pos += cut + 1
                return b"".join(parts)
            parts.append(self.pending)
            self.pos += len(self.pending)
            self.pending = b""
            if self.pos - start > _MAX_LINE:
                raise self.error(f"{what}: a line longer than {_MAX_LINE} bytes: not a Kaldi text archive", start)


def _name_of(file_or_fd: Any) -> str:
    if isinstance(file_or_fd, (str, os.PathLike)):
        return os.fspath(file_or_fd)
    return str(getattr(file_or_fd, "name", "<stream>"))


def _path_of(spec: Union[str, "os.PathLike[str]"]) -> str:
    path = _SPECIFIER.sub("", os.fspath(spec)).strip()
    if path.endswith("|") or path.startswith("|") or path == "-":
        raise ValueError(f"kaldi_io: {spec!r} is a pipe or standard stream; run the command yourself and pass the file")
    return path


@contextmanager
def _open_source(file_or_fd: PathOrFile, fn: str):
    if isinstance(file_or_fd, (str, os.PathLike)):
        path = _path_of(file_or_fd)
        with open(path, "rb") as fd:
            yield _Source(fd, path)
        return
    if not hasattr(file_or_fd, "read"):
        raise TypeError(f"{fn}: file_or_fd must be a path or a binary file object, got {type(file_or_fd).__name__}")
    if isinstance(file_or_fd, io.TextIOBase):
        raise TypeError(f"{fn}: file_or_fd must be opened in binary mode ('rb'), got a text-mode file")
    yield _Source(file_or_fd, _name_of(file_or_fd))


# ----------------------------------------------------------------------------- decoding


def _int32(src: _Source, what: str) -> int:
    at = src.pos
    size = src.read_exact(1, what)
    if size != b"\x04":
        raise src.error(f"{what}: expected a 4-byte integer, found size byte {size!r}", at)
    return int(np.frombuffer(src.read_exact(4, what), "<i4")[0])


def _read_token(src: _Source) -> str:
    at = src.pos
    token = src.read_word("type token", 8)
    try:
        return token.decode("ascii")
    except UnicodeDecodeError:
        raise src.error(f"unknown binary object type {token!r}", at) from None


def _array(data: bytes, dtype: str, shape: Tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(bytearray(data), dtype=dtype).reshape(shape)


def _global_to_float(values: np.ndarray, minimum: np.float32, span: np.float32, levels: float) -> np.ndarray:
    # kaldiio's arithmetic, in float32: min + value * range / levels
    return minimum + values.astype(np.float32) * span / np.float32(levels)


def _decompress(src: _Source, token: str) -> np.ndarray:
    at = src.pos
    header = src.read_exact(16, f"{token} header")
    minimum, span = np.frombuffer(header[:8], "<f4")
    rows, cols = (int(v) for v in np.frombuffer(header[8:], "<i4"))
    if rows < 0 or cols < 0:
        raise src.error(f"{token} header has a negative size {rows} x {cols}", at)
    if token == "CM2":
        data = _array(src.read_exact(2 * rows * cols, "CM2 data"), "<u2", (rows, cols))
        return _global_to_float(data, minimum, span, 65535.0)
    if token == "CM3":
        data = _array(src.read_exact(rows * cols, "CM3 data"), "<u1", (rows, cols))
        return _global_to_float(data, minimum, span, 255.0)
    # CM: per-column quantiles (0, 25, 75, 100 %), then one byte per value, column by column.
    quantiles = _array(src.read_exact(8 * cols, "CM column headers"), "<u2", (cols, 4))
    quantiles = _global_to_float(quantiles, minimum, span, 65535.0)
    p0, p25, p75, p100 = (quantiles[:, i : i + 1] for i in range(4))
    data = _array(src.read_exact(rows * cols, "CM data"), "<u1", (cols, rows)).astype(np.float32)
    low = p0 + (p25 - p0) * data * np.float32(1 / 64.0)
    mid = p25 + (p75 - p25) * (data - np.float32(64.0)) * np.float32(1 / 128.0)
    high = p75 + (p100 - p75) * (data - np.float32(192.0)) * np.float32(1 / 63.0)
    out = np.where(data <= 64, low, np.where(data <= 192, mid, high))
    return np.ascontiguousarray(out.T)


def _read_binary_float(src: _Source, want: str) -> np.ndarray:
    """After ``\\0B``: a matrix (``want="matrix"``) or a float vector (``want="vector"``)."""
    at = src.pos
    token = _read_token(src)
    if want == "matrix" and token in ("CM", "CM2", "CM3"):
        return _decompress(src, token)
    kinds = {"FM": ("matrix", "<f4"), "DM": ("matrix", "<f8"), "FV": ("vector", "<f4"), "DV": ("vector", "<f8")}
    if token not in kinds:
        raise src.error(f"unknown binary object type {token!r}", at)
    kind, dtype = kinds[token]
    if kind != want:
        raise src.error(f"expected a {want}, found a {kind} ({token})", at)
    itemsize = np.dtype(dtype).itemsize
    if kind == "vector":
        n = _int32(src, f"{token} size")
        if n < 0:
            raise src.error(f"{token} has a negative size {n}", at)
        return _array(src.read_exact(n * itemsize, f"{token} data"), dtype, (n,))
    rows = _int32(src, f"{token} rows")
    cols = _int32(src, f"{token} columns")
    if rows < 0 or cols < 0:
        raise src.error(f"{token} has a negative size {rows} x {cols}", at)
    return _array(src.read_exact(rows * cols * itemsize, f"{token} data"), dtype, (rows, cols))


def _read_binary_int_vector(src: _Source) -> np.ndarray:
    at = src.pos
    n = _int32(src, "int vector size")
    if n < 0:
        raise src.error(f"int vector has a negative size {n}", at)
    pairs = np.frombuffer(src.read_exact(5 * n, "int vector data"), dtype=[("size", "u1"), ("value", "<i4")])
    if n and not np.all(pairs["size"] == 4):
        bad = int(np.argmax(pairs["size"] != 4))
        raise src.error(f"int vector element {bad} is not a 4-byte integer", at + 5 + 5 * bad)
    return pairs["value"].copy()


def _parse_numbers(src: _Source, text: bytes, dtype, at: int, what: str) -> np.ndarray:
    try:
        with np.errstate(over="ignore"):  # text read as float32 (torchaudio's choice) turns 1e300 into inf
            return np.array(text.split(), dtype=np.float64 if dtype is float else dtype).astype(dtype, copy=False)
    except (ValueError, OverflowError):
        raise src.error(f"{what} holds something that is not a number", at) from None


def _read_text_matrix(src: _Source) -> np.ndarray:
    at = src.pos
    if src.read(1) != b"[":
        raise src.error("expected '[' opening a text matrix", at)
    rows, width, line_at = [], None, src.pos
    while True:
        line = src.readline("text matrix")
        closing = b"]" in line
        body = line.split(b"]", 1)[0] if closing else line
        if body.strip():
            row = _parse_numbers(src, body, np.float32, line_at, "text matrix row")
            if width is not None and row.size != width:
                raise src.error(f"text matrix rows differ in length ({width} and {row.size})", line_at)
            width = row.size
            rows.append(row)
        if closing:
            if line.split(b"]", 1)[1].strip():
                raise src.error("unexpected data after ']'", line_at)
            break
        line_at = src.pos
    return np.stack(rows) if rows else np.zeros((0, 0), np.float32)


def _read_text_vector(src: _Source) -> np.ndarray:
    at = src.pos
    line = src.readline("text vector").strip()
    if not (line.startswith(b"[") and line.endswith(b"]")):
        raise src.error("expected a text vector '[ ... ]' on one line", at)
    return _parse_numbers(src, line[1:-1], float, at, "text vector")


def _read_object(src: _Source, kind: str) -> np.ndarray:
    """One object at the current position: ``kind`` is ``"matrix"``, ``"vector"`` or ``"int"``."""
    if src.peek(2) == b"\0B":
        src.read(2)
        if kind == "int":
            return _read_binary_int_vector(src)
        return _read_binary_float(src, kind)
    at = src.pos
    if kind == "int":  # text: the rest of the line ("key 1 2 3 \n"; "key \n" is empty)
        line = src.readline("text int vector")
        return _parse_numbers(src, line.replace(b"[", b" ").replace(b"]", b" "), np.int32, at, "text int vector")
    src.skip_whitespace()
    first = src.peek(1)
    if not first:
        raise src.error(f"the file ends where a {kind} should start")
    if first != b"[":
        raise src.error(f"expected a Kaldi {kind} (binary '\\0B' or text '['), found {first!r}")
    return _read_text_matrix(src) if kind == "matrix" else _read_text_vector(src)


def _read_key(src: _Source) -> Optional[str]:
    if not src.skip_whitespace():
        return None
    at = src.pos
    key = src.read_word("key", _MAX_KEY)
    if any(b < 0x20 or b == 0x7F for b in key):
        raise src.error(f"key {key[:40]!r} holds control bytes: not a Kaldi archive", at)
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        raise src.error(f"key {key[:40]!r} is not text: not a Kaldi archive", at) from None


def _iter_ark(file_or_fd: PathOrFile, kind: str, fn: str) -> Iterator[Tuple[str, torch.Tensor]]:
    with _open_source(file_or_fd, fn) as src:
        while True:
            key = _read_key(src)
            if key is None:
                return
            yield key, torch.from_numpy(_read_object(src, kind))


_RANGE = re.compile(r"^(.*)\[(\d*):(\d*)(?:,(\d*):(\d*))?\]$")


def _iter_scp(file_or_fd: PathOrFile, kind: str, fn: str) -> Iterator[Tuple[str, torch.Tensor]]:
    sources: Dict[str, _Source] = {}
    files = []
    try:
        with _open_source(file_or_fd, fn) as scp:
            for number, raw in enumerate(scp.fd.read().splitlines(), start=1):
                line = raw.decode("utf-8", errors="replace").strip()
                if not line:
                    continue
                parts = line.split(None, 1)
                if len(parts) != 2:
                    raise KaldiFormatError(f"{scp.name}: line {number}: expected 'key rxfilename', got {line!r}")
                key, spec = parts
                spec = spec.strip()
                ranges = None
                match = _RANGE.match(spec)
                if match and kind == "matrix":
                    spec, ranges = match.group(1), match.groups()[1:]
                match = re.match(r"^(.*):(\d+)$", spec)
                path, offset = (match.group(1), int(match.group(2))) if match else (spec, 0)
                path = _path_of(path)
                if path not in sources:
                    fd = open(path, "rb")
                    files.append(fd)
                    sources[path] = _Source(fd, path)
                src = sources[path]
                src.seek(offset)
                array = _read_object(src, kind)
                if ranges is not None:
                    array = _apply_range(array, ranges, f"{scp.name}: line {number}")
                yield key, torch.from_numpy(np.ascontiguousarray(array))
    finally:
        for fd in files:
            fd.close()


def _apply_range(array: np.ndarray, ranges, where: str) -> np.ndarray:
    """Kaldi's ``[first_row:last_row,first_col:last_col]`` (inclusive ends; empty means all)."""
    out = array
    for axis, (first, last) in enumerate([ranges[:2], ranges[2:]]):
        if first is None:
            continue
        lo = int(first) if first else 0
        hi = int(last) if last else array.shape[axis] - 1
        if not 0 <= lo <= hi < array.shape[axis]:
            raise KaldiFormatError(f"{where}: range {lo}:{hi} is outside the {array.shape[axis]} entries of axis {axis}")
        out = out[lo : hi + 1] if axis == 0 else out[:, lo : hi + 1]
    return out


# ----------------------------------------------------------------------------- readers (torchaudio)


def read_vec_int_ark(file_or_fd: Any) -> Iterable[Tuple[str, torch.Tensor]]:
    """Read int32 vectors (e.g. alignments) from a Kaldi archive.

    Args:
        file_or_fd: path (``"ark:"`` prefixes are accepted) or binary file object.

    Returns:
        Iterable of ``(key, vector)`` pairs; vectors are int32.

    Shape:
        - vector: ``(length,)``
    """
    return _iter_ark(file_or_fd, "int", "read_vec_int_ark")


def read_vec_flt_ark(file_or_fd: Any) -> Iterable[Tuple[str, torch.Tensor]]:
    """Read float vectors from a Kaldi archive.

    Binary ``FV``/``DV`` vectors come back as float32/float64; text vectors as float64 (as torchaudio).

    Shape:
        - vector: ``(length,)``
    """
    return _iter_ark(file_or_fd, "vector", "read_vec_flt_ark")


def read_vec_flt_scp(file_or_fd: Any) -> Iterable[Tuple[str, torch.Tensor]]:
    """Read the float vectors a Kaldi script file (``key ark_path:offset`` lines) points to.

    Shape:
        - vector: ``(length,)``
    """
    return _iter_scp(file_or_fd, "vector", "read_vec_flt_scp")


def read_mat_ark(file_or_fd: Any) -> Iterable[Tuple[str, torch.Tensor]]:
    """Read matrices (e.g. features) from a Kaldi archive.

    ``FM``/``DM`` come back as float32/float64; compressed (``CM``, ``CM2``, ``CM3``) and text
    matrices as float32.

    Shape:
        - matrix: ``(rows, cols)``
    """
    return _iter_ark(file_or_fd, "matrix", "read_mat_ark")


def read_mat_scp(file_or_fd: Any) -> Iterable[Tuple[str, torch.Tensor]]:
    """Read the matrices a Kaldi script file points to.

    Lines are ``key path[:offset][range]``, with Kaldi's optional inclusive row/column range
    ``[r0:r1]`` or ``[r0:r1,c0:c1]``.

    Shape:
        - matrix: ``(rows, cols)``
    """
    return _iter_scp(file_or_fd, "matrix", "read_mat_scp")


# ----------------------------------------------------------------------------- writers


Items = Union[Mapping[str, Any], Iterable[Tuple[str, Any]]]


def _items(items: Items) -> Iterator[Tuple[str, Any]]:
    pairs = items.items() if isinstance(items, Mapping) else items
    for pair in pairs:
        try:
            key, value = pair
        except (TypeError, ValueError):
            raise TypeError(f"kaldi_io: items must be a mapping or (key, array) pairs, got {pair!r}") from None
        if not isinstance(key, str) or not key or any(c.isspace() for c in key):
            raise ValueError(f"kaldi_io: keys must be non-empty strings without whitespace, got {key!r}")
        yield key, value


def _to_numpy(value: Any, fn: str, key: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach()
        if value.dtype in (torch.float16, torch.bfloat16):
            value = value.float()
        value = value.cpu().numpy()
    return np.asarray(value)


def _format(values: np.ndarray) -> str:
    # Shortest forms that read back bit-exactly: 9 significant digits for float32, repr for float64.
    if values.dtype == np.float64:
        return " ".join(repr(v) for v in values.tolist())
    return " ".join("%.9g" % v for v in values.tolist())


def _encode_matrix(a: np.ndarray, binary: bool) -> bytes:
    if binary:
        token = b"FM " if a.dtype == np.float32 else b"DM "
        return b"\0B" + token + b"\x04" + np.int32(a.shape[0]).tobytes() + b"\x04" + np.int32(a.shape[1]).tobytes() + np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    if a.shape[0] == 0:
        return b" [ ]\n"
    rows = "".join(f"\n  {_format(row)} " for row in a)
    return f" [{rows}]\n".encode()


def _encode_vector(a: np.ndarray, binary: bool) -> bytes:
    if binary:
        token = b"FV " if a.dtype == np.float32 else b"DV "
        return b"\0B" + token + b"\x04" + np.int32(a.shape[0]).tobytes() + np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    return f" [ {_format(a)} ]\n".encode() if a.size else b" [ ]\n"


def _encode_int_vector(a: np.ndarray, binary: bool) -> bytes:
    if binary:
        pairs = np.empty(a.shape[0], dtype=[("size", "u1"), ("value", "<i4")])
        pairs["size"], pairs["value"] = 4, a
        return b"\0B\x04" + np.int32(a.shape[0]).tobytes() + pairs.tobytes()
    return (" ".join(str(v) for v in a.tolist()) + " \n").encode()


def _check_float(a: np.ndarray, ndim: int, fn: str, key: str) -> np.ndarray:
    if a.ndim != ndim:
        raise ValueError(f"{fn}: {key!r} must be {ndim}-D, got shape {a.shape}")
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"{fn}: {key!r} must be float32 or float64, got {a.dtype}")
    return a


def _check_int(a: np.ndarray, fn: str, key: str) -> np.ndarray:
    if a.ndim != 1:
        raise ValueError(f"{fn}: {key!r} must be 1-D, got shape {a.shape}")
    if a.dtype.kind not in "iub":
        raise TypeError(f"{fn}: {key!r} must hold integers, got {a.dtype}")
    if a.size and (a.min() < np.iinfo(np.int32).min or a.max() > np.iinfo(np.int32).max):
        raise ValueError(f"{fn}: {key!r} has values outside int32")
    return a.astype(np.int32)


_WSPECIFIER = re.compile(r"^ark((?:,[a-z]+)*):(.*)$")


def _parse_wspecifier(spec: str, scp, binary: bool, fn: str):
    """Kaldi's ``ark[,t][,scp]:ark_path[,scp_path]`` -> ``(ark_path, scp, binary)``."""
    match = _WSPECIFIER.match(spec)
    if not match:
        return spec, scp, binary
    options, target = set(filter(None, match.group(1).split(","))), match.group(2)
    if "scp" in options:
        target, _, scp_path = target.partition(",")
        if not scp_path:
            raise ValueError(f"{fn}: {spec!r} names no scp file; Kaldi's form is 'ark,scp:feats.ark,feats.scp'")
        if scp is not None:
            raise ValueError(f"{fn}: {spec!r} names an scp file and scp= names another")
        scp = scp_path
    if "t" in options:
        binary = False
    elif "b" in options:
        binary = True
    return target, scp, binary


def _write(file_or_fd: PathOrFile, items: Items, scp, binary: bool, encode, fn: str) -> None:
    if isinstance(file_or_fd, (str, os.PathLike)):
        file_or_fd, scp, binary = _parse_wspecifier(os.fspath(file_or_fd), scp, binary, fn)

    def emit(f, start: int, name: str):
        index = []
        position = start
        for key, value in _items(items):
            payload = encode(_to_numpy(value, fn, key), key, binary)
            head = key.encode() + b" "
            f.write(head)
            index.append(f"{key} {name}:{position + len(head)}\n")
            f.write(payload)
            position += len(head) + len(payload)
        return index

    if isinstance(file_or_fd, (str, os.PathLike)):
        path = _path_of(file_or_fd)
        with atomic_output(path, "wb") as f:
            index = emit(f, 0, path)
    else:
        if not hasattr(file_or_fd, "write"):
            raise TypeError(f"{fn}: file_or_fd must be a path or a binary file object, got {type(file_or_fd).__name__}")
        start = 0
        if scp is not None:
            try:
                start = file_or_fd.tell()
            except (AttributeError, OSError) as err:
                raise ValueError(f"{fn}: an scp index needs a seekable ark file, got {file_or_fd!r}") from err
            if not isinstance(getattr(file_or_fd, "name", None), str):
                raise ValueError(f"{fn}: an scp index needs an ark file with a name (open it from a path)")
        index = emit(file_or_fd, start, _name_of(file_or_fd))
    if scp is not None:
        if isinstance(scp, (str, os.PathLike)):
            with atomic_output(os.fspath(scp), "w") as f:
                f.writelines(index)
        else:
            scp.writelines(line if isinstance(scp, io.TextIOBase) else line.encode() for line in index)


def write_mat_ark(file_or_fd: PathOrFile, items: Items, *, scp: Optional[PathOrFile] = None, binary: bool = True) -> None:
    """Write matrices as a Kaldi archive, and optionally its ``.scp`` index.

    Args:
        file_or_fd: path of the ark (written to a temporary file, then renamed) or a binary file.
            Kaldi's write specifiers work too: ``"ark,scp:feats.ark,feats.scp"`` writes both
            files, ``"ark,t:feats.txt"`` the text form.
        items: mapping ``key -> matrix`` or iterable of ``(key, matrix)``; tensors or arrays,
            float32 (``FM``) or float64 (``DM``); float16/bfloat16 tensors are written as float32.
        scp: path or file for the script file: one ``key ark_path:offset`` line per item.
        binary: Kaldi's binary form (default) or its text form (``ark,t:``), which reads back
            bit-exactly too.

    Shape:
        - matrix: ``(rows, cols)``
    """
    fn = "write_mat_ark"
    _write(file_or_fd, items, scp, binary, lambda a, key, b: _encode_matrix(_check_float(a, 2, fn, key), b), fn)


def write_vec_flt_ark(file_or_fd: PathOrFile, items: Items, *, scp: Optional[PathOrFile] = None, binary: bool = True) -> None:
    """Write float vectors (``FV``/``DV``) as a Kaldi archive; arguments as :func:`write_mat_ark`.

    Shape:
        - vector: ``(length,)``
    """
    fn = "write_vec_flt_ark"
    _write(file_or_fd, items, scp, binary, lambda a, key, b: _encode_vector(_check_float(a, 1, fn, key), b), fn)


def write_vec_int_ark(file_or_fd: PathOrFile, items: Items, *, scp: Optional[PathOrFile] = None, binary: bool = True) -> None:
    """Write int32 vectors (e.g. alignments) as a Kaldi archive; arguments as :func:`write_mat_ark`.

    Shape:
        - vector: ``(length,)``
    """
    fn = "write_vec_int_ark"
    _write(file_or_fd, items, scp, binary, lambda a, key, b: _encode_int_vector(_check_int(a, fn, key), b), fn)
