"""MPEG audio frame headers: exact frame counts for MP3 files, and truncation checks.

libsndfile (mpg123) reads the length of a file with a Xing/Info/LAME tag from the tag (encoder
delay and padding removed), but only estimates it for a file without one; decoders then return
every frame's samples. Walking the frame headers gives that exact count without decoding.
"""

from __future__ import annotations

import struct
from typing import Optional

from ._source import Source

# Bit rates (kbit/s) by [MPEG-1?][layer 1..3][index]; index 0 is "free format", 15 is invalid.
_BITRATES = {
    (True, 1): [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    (True, 2): [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    (True, 3): [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    (False, 1): [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    (False, 2): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    (False, 3): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}  # by version bits


def _frame(header: int):
    """(frame bytes, samples per frame, side-info size) of a 4-byte header, or None if it is not one."""
    if header >> 21 != 0x7FF:
        return None
    version, layer_bits = (header >> 19) & 3, (header >> 17) & 3
    bitrate_index, rate_index, padding = (header >> 12) & 15, (header >> 10) & 3, (header >> 9) & 1
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values, or free format (no length in the header)
    layer, mpeg1 = 4 - layer_bits, version == 3
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    rate = _RATES[version][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4, 384, 0
    samples = 1152 if layer == 2 or mpeg1 else 576
    mono = (header >> 6) & 3 == 3
    side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    return samples // 8 * bitrate // rate + padding, samples, side if layer == 3 else 0


def _skip_id3v2(data: bytes) -> int:
    if data[:3] == b"ID3" and len(data) >= 10:
        size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        return 10 + size + (10 if data[5] & 0x10 else 0)
    return 0


def tag_stream_bytes(src: Source) -> Optional[int]:
    """Bytes of audio the Xing/Info tag says the stream holds (None without such a tag)."""
    head = src.read_at(0, 10)
    start = _skip_id3v2(head)
    first = src.read_at(start, 4 + 32 + 16)
    if len(first) < 4:
        return None
    info = _frame(struct.unpack(">I", first[:4])[0])
    if info is None:
        return None
    at = 4 + info[2]
    if first[at : at + 4] not in (b"Xing", b"Info"):
        return None
    flags = struct.unpack(">I", first[at + 4 : at + 8])[0]
    if not flags & 2:
        return None
    offset = at + 8 + (4 if flags & 1 else 0)
    return start + struct.unpack(">I", first[offset : offset + 4])[0]


def has_tag(src: Source) -> bool:
    head = src.read_at(0, 10)
    start = _skip_id3v2(head)
    first = src.read_at(start, 4 + 32 + 16)
    info = _frame(struct.unpack(">I", first[:4])[0]) if len(first) >= 4 else None
    if info is None:
        return False
    at = 4 + info[2]
    return first[at : at + 4] in (b"Xing", b"Info") or first[36:40] == b"VBRI"


def count_samples(src: Source) -> Optional[int]:
    """Samples per channel in all frames of an untagged MPEG audio stream; None when the headers can't tell
    (free format, or no frame found at the start)."""
    data = src.read_at(0, src.size)
    pos = _skip_id3v2(data)
    total, frames = 0, 0
    while pos + 4 <= len(data):
        info = _frame(struct.unpack(">I", data[pos : pos + 4])[0])
        if info is None:
            break  # ID3v1/APE tag or garbage at the end
        length, samples, _ = info
        if pos + length > len(data):
            break  # a cut last frame: decoders drop it
        total += samples
        frames += 1
        pos += length
    return total if frames else None
