"""Native WAV reader and writer (numpy, memory-mapped).

Reads RIFF and RF64/BW64 WAVE files holding PCM (u8, s16, s24, s32), IEEE float (32, 64 bit),
mu-law or A-law samples, plain or WAVE_FORMAT_EXTENSIBLE. Only the frames asked for are read, and
every size in the header is checked against the file size before anything is allocated.
Anything else (RIFX, ADPCM, GSM, ...) raises :class:`Unsupported` so the caller can fall back to
libsndfile.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import numpy as np
import torch

from ._source import Source

_PCM, _FLOAT, _ALAW, _MULAW, _EXTENSIBLE = 0x0001, 0x0003, 0x0006, 0x0007, 0xFFFE
_KIND_OF_TAG = {_PCM: "pcm", _FLOAT: "float", _ALAW: "alaw", _MULAW: "ulaw"}
_ENCODING_OF_KIND = {"float": "PCM_F", "alaw": "ALAW", "ulaw": "ULAW"}
# The GUID tail every KSDATAFORMAT_SUBTYPE_* shares; the first two bytes are the format tag.
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_UNKNOWN_SIZE = 0xFFFFFFFF
# Data size sox writes to a pipe: 0x7FFFF000 rounded down to whole frames (0x7FFFEFFF for 24-bit
# mono); FFmpeg writes 0xFFFFFFFF.
_SOX_STREAMING_SIZE = 0x7FFFF000


def _is_streaming_size(size: int, fmt: Optional[bytes]) -> bool:
    """Whether ``size`` is the placeholder a streaming writer puts in a header it can't go back to fix."""
    if size == _UNKNOWN_SIZE:
        return True
    block_align = struct.unpack("<H", fmt[12:14])[0] if fmt is not None else 0
    return size == _SOX_STREAMING_SIZE - (_SOX_STREAMING_SIZE % block_align if block_align else 0)
_MAX_CHANNELS = 0xFFFF  # all the fmt chunk can say; the sizes are checked against the file anyway
# Real WAV files have a handful of chunks; a walk this long is a corrupt header, not a file to search.
_MAX_CHUNKS = 4096


class Unsupported(Exception):
    """A valid WAVE file in a variant this reader does not decode (left to libsndfile)."""


@dataclass
class WavHeader:
    sample_rate: int
    num_channels: int
    bits_per_sample: int  # as the header states it (may be below the container width, e.g. 20 in 24)
    sample_bytes: int  # container width of one sample
    kind: str  # "pcm", "float", "ulaw" or "alaw"
    data_offset: int
    num_frames: int

    @property
    def encoding(self) -> str:
        if self.kind == "pcm":
            return "PCM_U" if self.sample_bytes == 1 else "PCM_S"
        return _ENCODING_OF_KIND[self.kind]

    @property
    def block_align(self) -> int:
        return self.sample_bytes * self.num_channels


def read_header(src: Source) -> WavHeader:
    """Parse the chunks of a WAVE file up to its ``data`` chunk; raise on anything inconsistent.

    The one WAV parser: ``info``, ``load`` and ``StreamReader`` all read their numbers from it.
    The chunk walk visits at most ``_MAX_CHUNKS`` chunks with two small reads each, so a corrupt
    file costs bounded work whatever its size.

    A data size that streaming writers put in a header they cannot go back to fix (FFmpeg writes
    0xFFFFFFFF, sox 0x7FFFF000 rounded down to whole frames) means "to the end of the file", as FFmpeg reads it. Any other size
    past the end of the file is a truncated file, an error.
    """
    head = src.read_at(0, 12)
    if len(head) < 12:
        raise src.error(f"truncated WAV header ({src.size} bytes)")
    riff, _, wave = struct.unpack("<4sI4s", head)
    if wave != b"WAVE" or riff not in (b"RIFF", b"RF64", b"BW64", b"RIFX"):
        raise src.error("not a WAV file (no RIFF/WAVE signature)")
    if riff == b"RIFX":
        raise Unsupported("big-endian RIFX")
    is_rf64 = riff != b"RIFF"
    fmt = None
    data = None  # (offset, size)
    ds64_data_size = None
    placeholder = None  # the data size of a streamed header, if it has one
    pos = 12
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > src.size:
            break
        chunk_id, size = struct.unpack("<4sI", src.read_at(pos, 8))
        body = pos + 8
        if chunk_id == b"ds64":
            if size < 24 or body + 24 > src.size:
                raise src.error(f"corrupt RF64 header: ds64 chunk of {size} bytes (at least 24 expected)")
            _, ds64_data_size = struct.unpack("<QQ", src.read_at(body, 16))
        elif chunk_id == b"fmt ":
            if size < 16 or body + 16 > src.size:
                raise src.error(f"corrupt WAV header: fmt chunk of {size} bytes (at least 16 expected)")
            fmt = src.read_at(body, min(size, 40))
        elif chunk_id == b"data":
            if is_rf64 and size == _UNKNOWN_SIZE:
                if ds64_data_size is None:
                    raise src.error("corrupt RF64 header: the data size belongs in a ds64 chunk, which is missing")
                size = ds64_data_size
            elif size > src.size - body and _is_streaming_size(size, fmt):  # written by a streaming tool that could not go back to fix it
                placeholder, size = size, src.size - body
            if size > src.size - body:
                raise src.error(
                    f"WAV header claims {size} bytes of audio data but the file holds only "
                    f"{src.size - body} after the header (truncated or corrupt file)"
                )
            data = (body, size)
            if fmt is not None:
                break
        if size > src.size - body:
            raise src.error(f"corrupt WAV header: chunk {chunk_id!r} claims {size} bytes, past the end of the file")
        pos = body + size + (size & 1)
    else:
        if data is None or fmt is None:
            missing = "fmt and data chunks" if data is None and fmt is None else "data chunk" if data is None else "fmt chunk"
            raise src.error(f"corrupt WAV header: no {missing} among the first {_MAX_CHUNKS} chunks")
    if fmt is None:
        raise src.error("corrupt WAV file: no fmt chunk")
    if data is None:
        raise src.error("corrupt WAV file: no data chunk (truncated file?)")
    header = _parse_fmt(src, fmt, *data)
    if placeholder is not None and header.num_frames == 0:
        raise src.error(f"WAV header gives a placeholder data size (0x{placeholder:X}) and no audio data "
                        "follows it (empty stream or truncated file)")
    return header


def _parse_fmt(src: Source, fmt: bytes, data_offset: int, data_size: int) -> WavHeader:
    tag, channels, sample_rate, _, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == _EXTENSIBLE:
        if len(fmt) < 40:
            raise src.error("corrupt WAV header: WAVE_FORMAT_EXTENSIBLE fmt chunk shorter than 40 bytes")
        sub = fmt[24:40]
        if sub[2:] != _GUID_TAIL:
            raise Unsupported(f"WAVE_FORMAT_EXTENSIBLE sub-format {sub.hex()}")
        tag = struct.unpack("<H", sub[:2])[0]
        valid_bits = struct.unpack("<H", fmt[18:20])[0]
        bits = valid_bits if 0 < valid_bits <= bits else bits  # e.g. 20 valid bits in 24-bit samples
    if tag not in _KIND_OF_TAG:
        raise Unsupported(f"WAV format tag 0x{tag:04x}")
    kind = _KIND_OF_TAG[tag]
    if not 1 <= channels <= _MAX_CHANNELS:
        raise src.error(f"corrupt WAV header: {channels} channels")
    if sample_rate == 0:
        raise src.error("corrupt WAV header: sample rate 0")
    if block_align == 0 or block_align % channels:
        raise src.error(f"corrupt WAV header: block align {block_align} for {channels} channels")
    width = block_align // channels
    allowed = {"pcm": (1, 2, 3, 4), "float": (4, 8), "ulaw": (1,), "alaw": (1,)}[kind]
    if width not in allowed or not 0 < bits <= 8 * width:
        raise src.error(f"corrupt or unsupported WAV header: {kind} with {bits} bits in {width}-byte samples")
    return WavHeader(sample_rate, channels, bits, width, kind, data_offset, data_size // block_align)


# ----------------------------------------------------------------------------- reading

_RAW_DTYPE = {("pcm", 1): "u1", ("pcm", 2): "<i2", ("pcm", 4): "<i4", ("float", 4): "<f4", ("float", 8): "<f8",
              ("ulaw", 1): "u1", ("alaw", 1): "u1", ("pcm", 3): "u1"}


def read_frames(src: Source, hdr: WavHeader, frame_offset: int, num_frames: int) -> np.ndarray:
    """The raw samples of frames ``[frame_offset, frame_offset + num_frames)``: (frames, channels[, 3]).

    For a path this is a read-only memory map of just those bytes; nothing else is read.
    """
    start = min(frame_offset, hdr.num_frames)
    count = hdr.num_frames - start if num_frames < 0 else min(num_frames, hdr.num_frames - start)
    dtype = np.dtype(_RAW_DTYPE[(hdr.kind, hdr.sample_bytes)])
    shape = (count, hdr.num_channels, 3) if hdr.sample_bytes == 3 else (count, hdr.num_channels)
    offset = hdr.data_offset + start * hdr.block_align
    nbytes = count * hdr.block_align
    if count == 0:
        return np.zeros(shape, dtype)
    if src.path is not None:
        return np.memmap(src.path, dtype=dtype, mode="r", offset=offset, shape=shape)
    if src.buffer is not None:
        return np.frombuffer(src.buffer, dtype=dtype, count=int(np.prod(shape)), offset=offset).reshape(shape)
    raw = src.read_at(offset, nbytes)
    if len(raw) < nbytes:
        raise src.error(f"file ended after {len(raw)} of {nbytes} bytes of audio data")
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def to_tensor(raw: np.ndarray, hdr: WavHeader, normalize: bool, channels_first: bool) -> torch.Tensor:
    """Convert raw samples to a tensor: float32 in [-1, 1] when ``normalize``, else the file's own dtype.

    Native dtypes: u8 -> uint8, s16 -> int16, s24 -> int32 (left-aligned: value << 8, as FFmpeg
    decodes it), s32 -> int32, float -> float32/float64, mu-law/A-law -> int16 (decoded).
    One vectorized pass reads the (memory-mapped) samples; with ``channels_first`` the result is
    a transposed view of a (time, channel) buffer, as torchaudio's FFmpeg backend returns it.
    """
    kind, width = hdr.kind, hdr.sample_bytes
    if kind in ("ulaw", "alaw"):
        table = _ulaw_table() if kind == "ulaw" else _alaw_table()
        if normalize:
            out = (table.astype(np.float32) / np.float32(32768))[raw]
        else:
            out = table[raw]
    elif width == 3:
        out = np.zeros(raw.shape[:2] + (4,), np.uint8)
        out[..., 1:] = raw
        out = out.view("<i4")[..., 0]
        if normalize:
            out = out.astype(np.float32)
            out *= np.float32(2.0**-31)
    elif normalize and kind == "pcm":
        out = raw.astype(np.float32)
        if width == 1:
            out -= np.float32(128)
        out *= np.float32(2.0 ** -(8 * width - 1))
    elif normalize:
        out = raw.astype(np.float32)  # a copy also for float32: never hand out the memory map
    else:
        out = raw.astype(raw.dtype.newbyteorder("="))
    tensor = torch.from_numpy(np.asarray(out))
    return tensor.T if channels_first else tensor


# ----------------------------------------------------------------------------- G.711

@lru_cache(maxsize=None)
def _ulaw_table() -> np.ndarray:
    """The 256 mu-law codes decoded to int16 (ITU-T G.711)."""
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)


@lru_cache(maxsize=None)
def _alaw_table() -> np.ndarray:
    """The 256 A-law codes decoded to int16 (ITU-T G.711)."""
    a = np.arange(256, dtype=np.int32) ^ 0x55
    seg = (a & 0x70) >> 4
    t = (a & 0x0F) << 4
    t = np.where(seg == 0, t + 8, (t + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, t, -t).astype(np.int16)


@lru_cache(maxsize=None)
def _ulaw_encoder() -> np.ndarray:
    """mu-law code of every int16 value (index: value + 32768), on the 14-bit scale G.711 uses."""
    x = np.minimum((np.arange(-32768, 32768, dtype=np.int32) + 2) >> 2, 8191)  # rounded to 14 bits, as sox does
    mask = np.where(x < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(x), 8159) + 0x21
    seg = np.searchsorted(np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]), mag)
    code = np.where(seg >= 8, 0x7F, (seg << 4) | ((mag >> (seg + 1)) & 0x0F))
    return (code ^ mask).astype(np.uint8)


@lru_cache(maxsize=None)
def _alaw_encoder() -> np.ndarray:
    """A-law code of every int16 value (index: value + 32768), on the 13-bit scale G.711 uses."""
    x = np.minimum((np.arange(-32768, 32768, dtype=np.int32) + 4) >> 3, 4095)  # rounded to 13 bits, as sox does
    mask = np.where(x >= 0, 0xD5, 0x55)
    mag = np.where(x >= 0, x, -x - 1)
    seg = np.searchsorted(np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]), mag)
    code = (seg << 4) | ((mag >> np.where(seg < 2, 1, seg)) & 0x0F)
    code = np.where(seg >= 8, 0x7F, code)
    return (code ^ mask).astype(np.uint8)


# ----------------------------------------------------------------------------- writing

def encode_samples(src: torch.Tensor, kind: str, bits: int) -> np.ndarray:
    """(time, channel) tensor -> samples as stored on disk: (time, channel) or (time, channel, 3) bytes.

    Float input is expected in [-1, 1] and scaled by 2**(bits-1), rounded half to even and
    clipped (as FFmpeg and SoX do). Integer input is full scale for its dtype and is converted by
    bit shifts, so an int16 tensor written as 16-bit PCM keeps its exact values.
    """
    if kind == "float":
        return src.to(torch.float32 if bits == 32 else torch.float64).numpy()
    if kind in ("ulaw", "alaw"):
        table = _ulaw_encoder() if kind == "ulaw" else _alaw_encoder()
        return table[pcm_integers(src, 16).numpy().astype(np.int32) + 32768]
    ints = pcm_integers(src, bits)
    if bits == 8:
        return (ints + 128).to(torch.uint8).numpy()
    if bits == 24:
        little = np.ascontiguousarray(ints.to(torch.int32).numpy(), dtype="<i4")
        return little.view(np.uint8).reshape(little.shape + (4,))[..., :3]
    return ints.numpy().astype({16: "<i2", 32: "<i4"}[bits])


def pcm_integers(src: torch.Tensor, bits: int) -> torch.Tensor:
    """Signed integers of ``bits`` width (in int16/int32/int64) from a float or integer tensor."""
    top = 2 ** (bits - 1)
    container = torch.int16 if bits <= 16 else torch.int32
    if src.is_floating_point():
        scaled = torch.round(src.to(torch.float64) * top)
        return scaled.clamp_(-top, top - 1).to(container)
    if src.dtype == torch.uint8:
        signed, width = src.to(torch.int32) - 128, 8
    elif src.dtype in (torch.int8, torch.int16, torch.int32, torch.int64):
        signed, width = src.to(torch.int64), torch.iinfo(src.dtype).bits
    else:
        raise TypeError(f"save: unsupported tensor dtype {src.dtype}")
    signed = signed.to(torch.int64)
    shifted = signed << (bits - width) if bits >= width else signed >> (width - bits)
    return shifted.to(container)


def header_bytes(sample_rate: int, num_channels: int, kind: str, bits: int, num_frames: int, *, rf64: Optional[bool] = None) -> bytes:
    """A canonical WAV header for ``num_frames`` frames; RF64 (with a ds64 chunk) when the data passes 4 GiB."""
    width = (bits + 7) // 8
    block_align = width * num_channels
    data_size = num_frames * block_align
    tag = {"pcm": _PCM, "float": _FLOAT, "ulaw": _MULAW, "alaw": _ALAW}[kind]
    extensible = num_channels > 2 and kind in ("pcm", "float")
    if extensible:
        fmt = struct.pack("<HHIIHHHHI", _EXTENSIBLE, num_channels, sample_rate, sample_rate * block_align,
                          block_align, 8 * width, 22, bits, 0) + struct.pack("<H", tag) + _GUID_TAIL
    elif kind in ("ulaw", "alaw"):
        fmt = struct.pack("<HHIIHHH", tag, num_channels, sample_rate, sample_rate * block_align, block_align, 8, 0)
    else:
        fmt = struct.pack("<HHIIHH", tag, num_channels, sample_rate, sample_rate * block_align, block_align, 8 * width)
        if kind == "float":
            fmt += b"\x00\x00"  # cbSize: non-PCM formats carry it
    fact = struct.pack("<4sII", b"fact", 4, min(num_frames, _UNKNOWN_SIZE)) if kind != "pcm" else b""
    pad = data_size & 1
    body_size = 4 + (8 + len(fmt)) + len(fact) + 8 + data_size + pad
    if rf64 is None:
        rf64 = body_size + 36 > _UNKNOWN_SIZE  # leave room for the ds64 chunk
    if not rf64:
        return (struct.pack("<4sI4s", b"RIFF", body_size, b"WAVE") + struct.pack("<4sI", b"fmt ", len(fmt)) + fmt
                + fact + struct.pack("<4sI", b"data", data_size))
    ds64 = struct.pack("<4sIQQQI", b"ds64", 28, body_size + 36, data_size, num_frames, 0)
    return (struct.pack("<4sI4s", b"RF64", _UNKNOWN_SIZE, b"WAVE") + ds64 + struct.pack("<4sI", b"fmt ", len(fmt))
            + fmt + fact + struct.pack("<4sI", b"data", _UNKNOWN_SIZE))


def write(f, src: torch.Tensor, sample_rate: int, kind: str, bits: int, *, rf64: Optional[bool] = None) -> None:
    """Write a (time, channel) tensor to the binary file ``f`` as a WAV file."""
    samples = encode_samples(src, kind, bits)
    num_frames, num_channels = src.shape
    f.write(header_bytes(sample_rate, num_channels, kind, bits, num_frames, rf64=rf64))
    f.write(np.ascontiguousarray(samples).tobytes() if not samples.flags.c_contiguous else memoryview(samples).cast("B"))
    if samples.nbytes & 1:
        f.write(b"\x00")
