"""MPEG audio frame headers: exact frame counts for MP3 files, and truncation checks.

libsndfile (mpg123) reads the length of a file with a Xing/Info/LAME tag from the tag (encoder
delay and padding removed), but only estimates it for a file without one; decoders then return
every frame's samples. Walking the frame headers gives that exact count without decoding.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
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


@dataclass
class Walk:
    """What the frame headers of an MPEG audio stream say."""

    samples: int  # samples per channel in the audio frames (the tag frame holds none)
    frames: int  # audio frames
    tag_frames: Optional[int]  # the frame count a Xing/Info/VBRI tag gives, if there is one
    clean: bool  # every byte is an audio frame or a known tag: decoders will return exactly these frames


# What may follow the last frame of an intact file: ID3v1, APE and Lyrics3 tags.
_TRAILERS = (b"TAG", b"APETAGEX", b"LYRICSBEGIN")


def walk(src: Source) -> Optional[Walk]:
    """Walk the frame headers of the whole file (one read, no decoding); None when the first bytes
    after the ID3v2 tag are not a frame. A stream that changes its sample rate, layer or channel
    count, or holds anything but frames and end tags (garbage, a cut frame), is not ``clean``."""
    data = src.read_at(0, src.size)
    pos = _skip_id3v2(data)
    if pos + 4 > len(data):
        return None
    first = struct.unpack(">I", data[pos : pos + 4])[0]
    info = _frame(first)
    if info is None:
        return None
    tag_frames = _tag_frames(data[pos : pos + 4 + 32 + 24], info[2])
    if tag_frames is not None:
        pos += info[0]  # the tag frame holds no audio
    # version, layer, sample rate and mono/stereo must not change within a stream
    shape = first & 0xFFFE0C00 | (0xC0 if (first >> 6) & 3 == 3 else 0)
    samples = frames = 0
    clean = False
    while pos + 4 <= len(data):
        header = struct.unpack(">I", data[pos : pos + 4])[0]
        info = _frame(header)
        if info is None or (header & 0xFFFE0C00 | (0xC0 if (header >> 6) & 3 == 3 else 0)) != shape:
            break
        if pos + info[0] > len(data):
            break  # a cut last frame
        samples += info[1]
        frames += 1
        pos += info[0]
    rest = data[pos:]
    clean = frames > 0 and (not rest or rest.startswith(_TRAILERS))
    return Walk(samples, frames, tag_frames, clean)


def _tag_frames(first: bytes, side: int) -> Optional[int]:
    """Frame count from a Xing/Info or VBRI tag in the first frame's bytes (None if it has none)."""
    at = 4 + side
    if first[at : at + 4] in (b"Xing", b"Info") and len(first) >= at + 12:
        flags = struct.unpack(">I", first[at + 4 : at + 8])[0]
        return struct.unpack(">I", first[at + 8 : at + 12])[0] if flags & 1 else None
    if first[36:40] == b"VBRI" and len(first) >= 36 + 18:
        return struct.unpack(">I", first[36 + 14 : 36 + 18])[0]
    return None


def find_frame(data: bytes) -> Optional[int]:
    """Offset of the first MPEG audio frame in ``data`` that another frame follows (or that ends ``data``)."""
    pos = data.find(b"\xff")
    while 0 <= pos <= len(data) - 4:
        info = _frame(struct.unpack(">I", data[pos : pos + 4])[0])
        if info is not None:
            nxt = pos + info[0]
            if nxt == len(data) or (nxt + 4 <= len(data) and _frame(struct.unpack(">I", data[nxt : nxt + 4])[0])):
                return pos
        pos = data.find(b"\xff", pos + 1)
    return None
