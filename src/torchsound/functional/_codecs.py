"""mu-law companding and codec round trips (``apply_codec``, in memory through PyAV)."""

from __future__ import annotations

import io
import math

import torch

from .._internal.checks import check_float, check_int, check_tensor
from .._internal.optional import require


def mu_law_encoding(x: torch.Tensor, quantization_channels: int) -> torch.Tensor:
    r"""Encode ``x`` in ``[-1, 1]`` to integers ``0 .. quantization_channels - 1`` by mu-law companding.

    Shape:
        - x: ``(...)``
        - output: ``(...)``, int64
    """
    check_float("x", x, fn="mu_law_encoding")
    check_int("quantization_channels", quantization_channels, fn="mu_law_encoding", minimum=2)
    mu = float(quantization_channels - 1)
    compressed = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)
    return ((compressed + 1) / 2 * mu + 0.5).to(torch.int64)


def mu_law_decoding(x_mu: torch.Tensor, quantization_channels: int) -> torch.Tensor:
    r"""Decode mu-law integers (or floats) ``0 .. quantization_channels - 1`` back to ``[-1, 1]``.

    Shape:
        - x_mu: ``(...)``
        - output: ``(...)``, float (float32 for integer input)
    """
    check_tensor("x_mu", x_mu, fn="mu_law_decoding")
    check_int("quantization_channels", quantization_channels, fn="mu_law_decoding", minimum=2)
    if not x_mu.is_floating_point():
        x_mu = x_mu.to(torch.float32)
    mu = float(quantization_channels - 1)
    x = x_mu / mu * 2 - 1.0
    return torch.sign(x) * (torch.exp(x.abs() * math.log1p(mu)) - 1.0) / mu


# format -> (container, codec) ; WAV codecs come from ``encoding`` and ``bits_per_sample``.
_FORMATS = {
    "mp3": ("mp3", "libmp3lame"),
    "ogg": ("ogg", "vorbis"),
    "vorbis": ("ogg", "vorbis"),
    "opus": ("ogg", "libopus"),
    "flac": ("flac", "flac"),
    "aac": ("adts", "aac"),
    "amr-nb": ("amr", "libopencore_amrnb"),
}
_WAV_CODECS = {
    ("PCM_S", 16): "pcm_s16le", ("PCM_S", 24): "pcm_s24le", ("PCM_S", 32): "pcm_s32le",
    ("PCM_U", 8): "pcm_u8", ("PCM_F", 32): "pcm_f32le", ("PCM_F", 64): "pcm_f64le",
    ("ULAW", 8): "pcm_mulaw", ("ALAW", 8): "pcm_alaw",
}
_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}
_WAV_DEFAULT_BITS = {"PCM_S": 16, "PCM_U": 8, "PCM_F": 32, "ULAW": 8, "ALAW": 8}


def apply_codec(
    waveform: torch.Tensor,
    sample_rate: int,
    format: str,
    channels_first: bool = True,
    compression: float | None = None,
    encoding: str | None = None,
    bits_per_sample: int | None = None,
) -> torch.Tensor:
    r"""Encode ``waveform`` with a codec and decode it again, in memory (needs the ``ffmpeg`` extra, PyAV).

    Args:
        waveform: audio in ``[-1, 1]``.
        sample_rate: Hz.
        format: ``"wav"``, ``"mp3"``, ``"ogg"``/``"vorbis"``, ``"opus"``, ``"flac"``, ``"aac"`` or ``"amr-nb"``.
        channels_first: layout of ``waveform`` and of the result.
        compression: mp3/aac/opus: bit rate in kbit/s; vorbis: quality (-1..10); flac: level (0..12).
        encoding: WAV only: ``"PCM_S"``, ``"PCM_U"``, ``"PCM_F"``, ``"ULAW"``, ``"ALAW"`` (default ``"PCM_F"``).
        bits_per_sample: WAV only (default depends on ``encoding``).

    Shape:
        - waveform: ``(channel, time)`` (``(time, channel)`` if not ``channels_first``)
        - output: ``(channel, time')``; lossy codecs may change the length (encoder delay, padding).
    """
    fn = "apply_codec"
    check_float("waveform", waveform, fn=fn)
    if waveform.ndim != 2:
        raise ValueError(f"{fn}: waveform must be 2-D (channel, time) or (time, channel), got shape {list(waveform.shape)}")
    check_int("sample_rate", sample_rate, fn=fn, minimum=1)
    av = require("av", "apply_codec")
    fmt = format.lower() if isinstance(format, str) else format
    if fmt == "wav":
        enc = (encoding or "PCM_F").upper()
        bits = bits_per_sample or _WAV_DEFAULT_BITS.get(enc, 0)
        if (enc, bits) not in _WAV_CODECS:
            raise ValueError(f"{fn}: unsupported WAV encoding/bits_per_sample {repr(encoding)}/{repr(bits_per_sample)}; "
                             f"supported: {sorted(_WAV_CODECS)}")
        container, codec = "wav", _WAV_CODECS[(enc, bits)]
    elif fmt in _FORMATS:
        if encoding is not None or bits_per_sample is not None:
            raise ValueError(f"{fn}: encoding and bits_per_sample apply to WAV only, got format {repr(format)}")
        container, codec = _FORMATS[fmt]
    else:
        raise ValueError(f"{fn}: format must be one of {['wav', *sorted(_FORMATS)]}, got {repr(format)}")
    x = waveform if channels_first else waveform.t()
    channels = x.shape[0]
    data = x.detach().to(device="cpu", dtype=torch.float32).contiguous().numpy()
    layout = _LAYOUTS.get(channels)
    if layout is None:
        raise ValueError(f"{fn}: 1 to {len(_LAYOUTS)} channels are supported, got {channels}")
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=sample_rate, layout=layout)
        if codec == "vorbis":  # FFmpeg's native Vorbis encoder is marked experimental
            stream.codec_context.options = {"strict": "experimental"}
        if compression is not None:
            _set_compression(stream, fmt, compression)
        frame = av.AudioFrame.from_ndarray(data, format="fltp", layout=layout)
        frame.sample_rate = sample_rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    buffer.seek(0)
    chunks = []
    with av.open(buffer, mode="r", format=container) as inp:
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
        for decoded in inp.decode(audio=0):
            for converted in resampler.resample(decoded):
                chunks.append(torch.from_numpy(converted.to_ndarray().copy()))
        for converted in resampler.resample(None):
            chunks.append(torch.from_numpy(converted.to_ndarray().copy()))
    result = torch.cat(chunks, dim=-1) if chunks else torch.zeros(channels, 0)
    result = result.to(device=waveform.device, dtype=waveform.dtype)
    return result if channels_first else result.t()


def _set_compression(stream, fmt: str, compression: float) -> None:
    if fmt in ("mp3", "aac", "opus"):
        stream.bit_rate = int(compression * 1000)
    elif fmt in ("ogg", "vorbis"):
        stream.codec_context.qscale = float(compression)
        stream.codec_context.flags |= 2  # AV_CODEC_FLAG_QSCALE: use the fixed quality
    elif fmt == "flac":
        stream.codec_context.options = {**stream.codec_context.options, "compression_level": str(int(compression))}
    else:
        raise ValueError(f"apply_codec: compression is not supported for format {repr(fmt)}")
