"""``AudioEffector``: FFmpeg filters and codecs applied to waveforms in memory (PyAV, extra ``ffmpeg``)."""

from __future__ import annotations

import io
import re
from typing import Iterator, List, Optional, Tuple

import numpy as np
import torch

from ._stream import CodecConfig, StreamReader, StreamWriter, _FilterGraph

_DTYPE_FORMATS = {torch.uint8: "u8", torch.int16: "s16", torch.int32: "s32", torch.float32: "flt", torch.float64: "dbl"}


class AudioEffector:
    """Apply FFmpeg filters (``effect``) and/or a codec round trip (``format``) to a waveform (torchaudio 2.8).

    Args:
        effect: an FFmpeg audio filter chain, e.g. ``"atempo=1.5"`` or ``"lowpass=f=1000,volume=0.5"``; None for none.
        format: encode into this format (``"wav"``, ``"mp3"``, ``"ogg"``, ``"webm"``, ...) and decode back; None for none.
        encoder: encoder overriding the format's default (with ``format``).
        codec_config: :class:`CodecConfig` for the encoder (with ``format``).
        pad_end: pad with silence to the input's frame count when the result is shorter.

    Shape:
        waveform: ``(time, channel)``, as in torchaudio; the result is ``(time', channel)`` in the
        input dtype, ``time'`` depending on the effect, the codec and ``output_sample_rate``.
    """

    def __init__(self, effect: Optional[str] = None, format: Optional[str] = None, *, encoder: Optional[str] = None,
                 codec_config: Optional[CodecConfig] = None, pad_end: bool = True):
        if format is None and (encoder is not None or codec_config is not None):
            raise ValueError("AudioEffector: encoder and codec_config need format")
        self.effect, self.format, self.encoder, self.codec_config, self.pad_end = effect, format, encoder, codec_config, pad_end

    def _check(self, waveform: torch.Tensor) -> str:
        if not isinstance(waveform, torch.Tensor) or waveform.ndim != 2:
            raise ValueError(f"AudioEffector: waveform must be a 2D (time, channel) tensor, got "
                             f"{tuple(waveform.shape) if isinstance(waveform, torch.Tensor) else type(waveform).__name__}")
        if waveform.dtype not in _DTYPE_FORMATS:
            raise ValueError(f"AudioEffector: dtype must be one of {list(_DTYPE_FORMATS)}, got {waveform.dtype}")
        return _DTYPE_FORMATS[waveform.dtype]

    def _output_chain(self, sample_rate: int, fmt: str, num_channels: int, num_frames: int) -> str:
        # Back to the input's sample format and channel count, at the requested rate; pad if asked.
        chain = f"aresample={sample_rate},aformat=sample_fmts={fmt}:channel_layouts={num_channels}c"
        return chain + (f",apad=whole_len={num_frames}" if self.pad_end else "")

    def apply(self, waveform: torch.Tensor, sample_rate: int, output_sample_rate: Optional[int] = None) -> torch.Tensor:
        """Apply the effect and/or codec to the whole waveform; returns ``(time', channel)``."""
        fmt = self._check(waveform)
        if waveform.numel() == 0:
            return waveform
        out_rate = int(output_sample_rate or sample_rate)
        num_frames, channels = waveform.shape
        data = waveform.detach().cpu().contiguous().numpy()
        if self.format is None:
            chain = ",".join(x for x in [self.effect, self._output_chain(out_rate, fmt, channels, num_frames)] if x)
            graph = _FilterGraph(chain, int(sample_rate), channels, fmt)
            blocks = graph.push(data) + graph.push(None)
            return torch.from_numpy(np.concatenate(blocks)) if blocks else waveform[:0]
        encoded, coded_rate, coded_channels = self._encode(waveform.detach().cpu(), int(sample_rate), fmt)
        # Read back with the same format: headerless ones (G.722, raw mu-law) can't be recognized otherwise,
        # and raw PCM needs its rate and channels, as torchaudio passes them.
        option = {"sample_rate": str(coded_rate), "ch_layout": f"{coded_channels}c"} if _is_raw_pcm(self.format) else None
        reader = StreamReader(encoded.getvalue(), format=self.format, option=option)
        reader.add_audio_stream(-1, -1, filter_desc=self._output_chain(out_rate, fmt, channels, num_frames))
        reader.process_all_packets()
        (chunk,) = reader.pop_chunks()
        return chunk.clone() if chunk is not None else waveform[:0]

    def _encode(self, waveform: torch.Tensor, sample_rate: int, fmt: str) -> Tuple[io.BytesIO, int, int]:
        """The encoded bytes, and the rate and channel count they were encoded at."""
        buffer = io.BytesIO()
        writer = StreamWriter(buffer, format=self.format)
        # Encoders with fixed rates or channels (G.722: 16 kHz mono; Opus: 8-48 kHz) get the input
        # converted for them; the decoded result is converted back below.
        rate, channels = _encoder_rate_channels(self.format, self.encoder, sample_rate, waveform.shape[1])
        writer.add_audio_stream(sample_rate, waveform.shape[1], format=fmt, encoder=self.encoder,
                                codec_config=self.codec_config, filter_desc=self.effect,
                                encoder_sample_rate=rate, encoder_num_channels=channels)
        with writer:
            writer.write_audio_chunk(0, waveform)
        buffer.seek(0)
        return buffer, rate or sample_rate, channels or waveform.shape[1]

    def stream(self, waveform: torch.Tensor, sample_rate: int, frames_per_chunk: int,
               output_sample_rate: Optional[int] = None) -> Iterator[torch.Tensor]:
        """Apply chunk by chunk: yields ``(frames_per_chunk, channel)`` tensors (the last may be shorter).

        Filters alone run incrementally, chunk in, chunks out; with a codec the waveform is encoded
        once and the result handed out chunk by chunk.
        """
        fmt = self._check(waveform)
        if isinstance(frames_per_chunk, bool) or not isinstance(frames_per_chunk, int) or frames_per_chunk <= 0:
            raise ValueError(f"AudioEffector.stream: frames_per_chunk must be a positive int, got {frames_per_chunk!r}")
        if waveform.numel() == 0:
            return
        if self.format is not None:
            applied = self.apply(waveform, sample_rate, output_sample_rate)
            yield from applied.split(frames_per_chunk)
            return
        num_frames, channels = waveform.shape
        chain = ",".join(x for x in [self.effect, self._output_chain(int(output_sample_rate or sample_rate), fmt, channels, num_frames)] if x)
        graph = _FilterGraph(chain, int(sample_rate), channels, fmt)
        data = waveform.detach().cpu().contiguous().numpy()
        pending: List[np.ndarray] = []
        buffered = 0
        pieces = [data[start : start + frames_per_chunk] for start in range(0, num_frames, frames_per_chunk)]
        for piece in pieces + [None]:  # None flushes the filters
            blocks = graph.push(piece)
            pending.extend(blocks)
            buffered += sum(len(b) for b in blocks)
            while buffered >= frames_per_chunk or (piece is None and buffered > 0):
                joined = np.concatenate(pending)
                n = min(frames_per_chunk, buffered)
                yield torch.from_numpy(joined[:n].copy())
                pending, buffered = [joined[n:]], buffered - n


def _is_raw_pcm(format: str) -> bool:
    """FFmpeg's headerless PCM formats ("mulaw", "alaw", "s16le", "u8", "f32be", ...)."""
    return re.fullmatch(r"mulaw|alaw|[suf](8|16|24|32|64)(le|be)?", format) is not None


def _encoder_rate_channels(format: str, encoder: Optional[str], sample_rate: int, channels: int) -> Tuple[Optional[int], Optional[int]]:
    """(encoder_sample_rate, encoder_num_channels) for the codec ``format`` uses; None where the input fits."""
    try:
        import av
    except ImportError:  # without PyAV only libsndfile's formats are written, at any rate they take
        return None, None

    from ._ffmpeg import _ENCODERS, _MUXERS
    from ._stream import encoder_limits

    codec = encoder or _ENCODERS.get(format)
    if codec is None:
        try:
            with av.open(io.BytesIO(), "w", format=_MUXERS.get(format, format)) as probe:
                codec = probe.default_audio_codec
        except Exception:  # noqa: BLE001 - an unknown format: the writer reports it
            return None, None
    rates, most = encoder_limits(codec)
    rate = None
    if rates and sample_rate not in rates:  # the nearest rate at or above the input, else the highest
        rate = next((r for r in rates if r >= sample_rate), rates[-1])
    return rate, (most if most is not None and channels > most and codec not in ("vorbis", "libvorbis") else None)
