"""FFmpeg backend through PyAV (the optional extra ``torchsound[ffmpeg]``).

Reads whatever FFmpeg demuxes (AAC/M4A, WMA, ALAC, AMR, audio tracks of video containers, and the
formats libsndfile also reads) and writes with FFmpeg's encoders. Samples are counted from the
decoded frames, so frame positions are exact; FFmpeg itself drops MP3/AAC encoder delay and
padding where the file records them.
"""

from __future__ import annotations

import errno
import re
from typing import Iterator, Optional, Tuple

import numpy as np
import torch

from .._internal.optional import require
from ._source import Source

# FFmpeg sample format -> (numpy dtype, scale to [-1, 1], offset): float = (x - offset) * scale
_SAMPLE_FORMATS = {
    "u8": (np.uint8, 2.0**-7, 128), "s16": (np.int16, 2.0**-15, 0), "s32": (np.int32, 2.0**-31, 0),
    "s64": (np.int64, 2.0**-63, 0), "flt": (np.float32, 1.0, 0), "dbl": (np.float64, 1.0, 0),
}
# Output file format -> FFmpeg muxer.
_MUXERS = {"m4a": "ipod", "mp4": "mp4", "aac": "adts", "wma": "asf", "mka": "matroska", "mkv": "matroska",
           "vorbis": "ogg", "aif": "aiff", "amb": "wav", "oga": "ogg"}
# Encoders preferred over the muxer's default.
_ENCODERS = {"ogg": "vorbis", "vorbis": "vorbis", "oga": "vorbis"}


def _av():
    return require("av", "the 'ffmpeg' audio backend")


def _open_input(src: Source, format: Optional[str]):
    av = _av()
    try:
        container = av.open(src.for_library(), "r", format=_demuxer(format))
    except (av.error.FFmpegError, ValueError, OSError, UnicodeDecodeError) as err:
        raise src.error(f"cannot decode as audio with FFmpeg ({_reason(err)})") from None
    if not container.streams.audio:
        container.close()
        raise src.error("FFmpeg finds no audio stream in this file")
    if container.streams.audio[0].codec_context is None:
        container.close()
        raise src.error("cannot decode: FFmpeg has no decoder for this audio codec")
    return container


def _demuxer(format: Optional[str]) -> Optional[str]:
    if format is None:
        return None
    av = _av()
    format = {"vorbis": "ogg", "opus": "ogg", "m4a": "mp4", "aif": "aiff"}.get(format, format)
    return format if format in av.formats_available else None


def _reason(err: BaseException) -> str:
    """What an FFmpeg/PyAV/file-object error says, on one line. FFmpeg's ENOMEM on a file means a table in it
    claims more entries than can exist: the file is corrupt (the allocation was refused, nothing ran out)."""
    if getattr(err, "errno", None) == errno.ENOMEM:
        return "corrupt file: a table in it claims more data than can exist (FFmpeg: Cannot allocate memory)"
    return re.sub(r"\s+", " ", str(err)).strip() or type(err).__name__


def _codec_encoding(codec: str) -> Tuple[str, int]:
    """torchaudio's (encoding, bits_per_sample) for an FFmpeg codec name."""
    m = re.match(r"pcm_([suf])(\d+)", codec)
    if m:
        return {"s": "PCM_S", "u": "PCM_U", "f": "PCM_F"}[m.group(1)], int(m.group(2))
    if codec in ("pcm_mulaw", "pcm_alaw"):
        return ("ULAW" if codec == "pcm_mulaw" else "ALAW"), 8
    return _CODEC_NAMES.get(codec, codec.upper()), 0


# FFmpeg decoder names -> torchaudio's encoding names.
_CODEC_NAMES = {"mp3float": "MP3", "mp3": "MP3", "libopus": "OPUS", "opus": "OPUS", "vorbis": "VORBIS",
                "libvorbis": "VORBIS", "flac": "FLAC", "amrnb": "AMR_NB", "libopencore_amrnb": "AMR_NB",
                "amrwb": "AMR_WB", "libopencore_amrwb": "AMR_WB", "gsm": "GSM", "gsm_ms": "GSM"}


def decoded_frames(container, stream) -> Iterator[np.ndarray]:
    """Decoded samples of ``stream`` as (time, channel) arrays in the decoder's own sample type."""
    expected = stream.codec_context.layout.nb_channels
    try:
        for frame in container.decode(stream):
            data = frame.to_ndarray()
            channels = frame.layout.nb_channels
            if channels != expected:
                raise RuntimeError(f"the stream changes from {expected} to {channels} channels (unsupported)")
            if frame.format.is_planar:
                yield data.T
            else:
                yield data.reshape(-1, channels)
    except RuntimeError:
        raise
    except Exception as err:  # noqa: BLE001 - FFmpeg, numpy and file-object errors: the callers name the file
        raise RuntimeError(_reason(err)) from None


def to_float32(chunk: np.ndarray) -> np.ndarray:
    """(time, channel) samples of any FFmpeg sample type -> float32 in [-1, 1]."""
    if chunk.dtype == np.float32:
        return chunk
    key = {np.dtype(v[0]): k for k, v in _SAMPLE_FORMATS.items()}[chunk.dtype]
    _, scale, offset = _SAMPLE_FORMATS[key]
    out = chunk.astype(np.float32)
    if offset:
        out -= np.float32(offset)
    if scale != 1.0:
        out *= np.float32(scale)
    return out


def info(src: Source, format: Optional[str]):
    from ._dispatch import AudioMetaData

    with _open_input(src, format) as container:
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        encoding, bits = _codec_encoding(ctx.name)
        if encoding == "FLAC" or encoding == "ALAC":
            # PyAV does not expose bits_per_raw_sample: s16 holds 16-bit audio, s32 (almost always) 24-bit
            bits = {"u8": 8, "u8p": 8, "s16": 16, "s16p": 16}.get(ctx.format.name, 24)
        # Counting decoded samples is the only exact answer for formats without a trustworthy length.
        num_frames = 0
        try:
            for chunk in decoded_frames(container, stream):
                num_frames += chunk.shape[0]
        except RuntimeError as err:
            raise src.error(f"cannot decode audio data with FFmpeg ({err})") from None
        return AudioMetaData(int(ctx.sample_rate), num_frames, ctx.layout.nb_channels, bits, encoding)


def load(src: Source, frame_offset: int, num_frames: int, normalize: bool, channels_first: bool,
         format: Optional[str]) -> Tuple[torch.Tensor, int]:
    with _open_input(src, format) as container:
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        ctx = stream.codec_context
        sample_rate = int(ctx.sample_rate)
        channels = ctx.layout.nb_channels
        keep_native = not normalize and ctx.name.startswith("pcm_")  # integer PCM keeps its dtype (s24 as s32)
        parts, position, end = [], 0, None if num_frames < 0 else frame_offset + num_frames
        try:
            for chunk in decoded_frames(container, stream):
                start, stop = position, position + chunk.shape[0]
                position = stop
                if stop <= frame_offset:
                    continue
                chunk = chunk[max(frame_offset - start, 0): None if end is None else max(end - start, 0)]
                parts.append(chunk if keep_native else to_float32(chunk))
                if end is not None and position >= end:
                    break
        except RuntimeError as err:
            raise src.error(f"cannot decode audio data with FFmpeg ({err})") from None
        if parts:
            data = np.concatenate(parts) if len(parts) > 1 else np.array(parts[0])
        else:
            data = np.zeros((0, channels), np.float32)
        tensor = torch.from_numpy(np.ascontiguousarray(data))
        return (tensor.T if channels_first else tensor), sample_rate


def save(dst_file, src: torch.Tensor, sample_rate: int, format: str, encoding: Optional[str],
         bits_per_sample: Optional[int], compression) -> None:
    """Encode a (time, channel) tensor with FFmpeg into the open binary file ``dst_file``."""
    av = _av()
    from ._dispatch import _wav_encoding

    muxer = _MUXERS.get(format, format)
    if muxer not in av.formats_available:
        raise ValueError(f"save: FFmpeg has no muxer for format {format!r}")
    sample_fmt = int_bits = None
    if muxer == "wav":
        kind, bits = _wav_encoding(src.dtype, encoding, bits_per_sample)
        codec = {"ulaw": "pcm_mulaw", "alaw": "pcm_alaw"}.get(kind) or (
            "pcm_u8" if bits == 8 else f"pcm_{'f' if kind == 'float' else 's'}{bits}le")
        int_bits = None if kind == "float" else 16 if kind in ("ulaw", "alaw") else bits
    else:
        if encoding is not None or bits_per_sample is not None and muxer != "flac":
            raise ValueError(f"save: encoding/bits_per_sample are not available for format {format!r} with FFmpeg")
        codec = _ENCODERS.get(format)
        if codec is None:
            with av.open(_Null(), "w", format=muxer) as probe:
                codec = probe.default_audio_codec
        if muxer == "flac" or codec == "flac":
            if bits_per_sample not in (None, 16, 24):
                raise ValueError(f"save: FLAC bits_per_sample must be 16 or 24 with FFmpeg, got {bits_per_sample}")
            sample_fmt = "s32" if bits_per_sample == 24 else "s16"
            int_bits = bits_per_sample or 16
    channels = src.shape[1]
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
    try:
        with av.open(dst_file, "w", format=muxer) as container:
            stream = container.add_stream(codec, rate=sample_rate, layout=layout)
            ctx = stream.codec_context
            formats = [f.name for f in (ctx.codec.audio_formats or [])]
            ctx.format = sample_fmt or next((f for f in ("flt", "fltp", "s16", "s16p") if f in formats), formats[0] if formats else "flt")
            if sample_fmt == "s32":
                ctx.options = {**ctx.options, "bits_per_raw_sample": "24"}
            if codec == "vorbis":  # FFmpeg's own Vorbis encoder is marked experimental
                ctx.options = {**ctx.options, "strict": "experimental"}
            if codec in ("wmav1", "wmav2") and compression is None:
                ctx.bit_rate = 128000  # the WMA encoders refuse to open without a bit rate
            _apply_compression(ctx, compression)
            frame_data, in_fmt = _input_frame(src, int_bits)
            block = 1 << 15
            for start in range(0, frame_data.shape[0], block):
                piece = np.ascontiguousarray(frame_data[start:start + block].reshape(1, -1))
                frame = av.AudioFrame.from_ndarray(piece, format=in_fmt, layout=layout)
                frame.sample_rate, frame.pts = sample_rate, start
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
    except (av.error.FFmpegError, ValueError) as err:
        raise ValueError(f"save: FFmpeg cannot write {format} with {codec} ({sample_rate} Hz, {channels} channels): "
                         f"{_reason(err)}") from None


def _input_frame(src: torch.Tensor, int_bits: Optional[int]) -> Tuple[np.ndarray, str]:
    """Samples in a packed FFmpeg input format. For integer codecs (PCM, FLAC) we quantize ourselves,
    ``round(x * 2**(bits-1))`` as the native writer does, so FFmpeg only copies the integers."""
    from ._wav import pcm_integers

    if int_bits is None:
        if src.is_floating_point():
            return src.to(torch.float32).numpy(), "flt"
        int_bits = {torch.uint8: 8, torch.int16: 16}.get(src.dtype, 32)
    ints = pcm_integers(src, int_bits)
    if int_bits == 8:
        return (ints + 128).to(torch.uint8).numpy(), "u8"
    if int_bits <= 16:
        return (ints.to(torch.int16) << (16 - int_bits)).numpy(), "s16"
    return (ints.to(torch.int32) << (32 - int_bits)).numpy(), "s32"


def _apply_compression(ctx, compression) -> None:
    """CodecConfig -> codec options; a number is a bit rate in kbit/s for lossy codecs, a level for FLAC."""
    if compression is None:
        return
    if hasattr(compression, "bit_rate"):
        if compression.bit_rate > 0:
            ctx.bit_rate = int(compression.bit_rate)
        if compression.compression_level >= 0:
            ctx.options = {**ctx.options, "compression_level": str(compression.compression_level)}
        if compression.qscale is not None:
            raise ValueError("save: CodecConfig.qscale is not supported; give bit_rate instead")
        return
    if isinstance(compression, bool) or not isinstance(compression, (int, float)):
        raise TypeError(f"save: compression must be a number or CodecConfig, got {type(compression).__name__}")
    if ctx.name == "flac":
        ctx.options = {**ctx.options, "compression_level": str(int(compression))}
    else:
        ctx.bit_rate = int(compression * 1000)


class _Null:
    """A write-only sink, to ask a muxer for its default codec without touching the disk."""

    def write(self, data):
        return len(data)

    def seek(self, *args):
        return 0

    def tell(self):
        return 0
