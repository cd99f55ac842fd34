"""Pitch detection by normalised cross-correlation (NCCF) and median smoothing (torchaudio's algorithm)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as nnf

from .._internal.checks import check_float, check_int, check_positive
from .._internal.dtypes import restore, upcast


def _nccf(waveform: torch.Tensor, sample_rate: int, frame_time: float, freq_low: float) -> torch.Tensor:
    """NCCF of each frame for lags ``1..ceil(sample_rate / freq_low)``: (batch, n_frames, lags).

    ``nccf[k, l - 1] = <a, b_l> / (eps + |a|)^2 / (eps + |b_l|)^2`` with ``a`` frame ``k`` and ``b_l`` the
    same span ``l`` samples later (torchaudio's normalisation). The products for all lags come from one
    FFT cross-correlation per frame instead of a loop over lags.
    """
    lags = int(math.ceil(sample_rate / freq_low))
    frame_size = int(math.ceil(sample_rate * frame_time))
    length = waveform.shape[-1]
    n_frames = int(math.ceil(length / frame_size))
    waveform = nnf.pad(waveform, (0, lags + n_frames * frame_size - length))
    segments = waveform.unfold(-1, frame_size + lags, frame_size)  # (batch, n_frames, frame_size + lags)
    frames = segments[..., :frame_size]
    if segments.numel() == 0:  # MKL rejects empty transforms
        return segments.new_zeros(segments.shape[:-1] + (lags,))
    n = frame_size + lags  # circular correlation does not wrap for non-negative lags at this size
    corr = torch.fft.irfft(torch.fft.rfft(segments, n=n) * torch.fft.rfft(frames, n=n).conj(), n=n)
    products = corr[..., 1 : lags + 1]
    energy = torch.nn.functional.pad(segments.to(torch.float64).square().cumsum(-1), (1, 0))
    later = (energy[..., frame_size + 1 : frame_size + lags + 1] - energy[..., 1 : lags + 1]).clamp_min(0)
    norm_later = later.sqrt().to(waveform.dtype)
    norm_frame = torch.linalg.vector_norm(frames, dim=-1, keepdim=True)
    return products / (1e-9 + norm_frame).square() / (1e-9 + norm_later).square()


def _best_lag(nccf: torch.Tensor, sample_rate: int, freq_high: float) -> torch.Tensor:
    """Lag (in samples) of the NCCF peak, preferring the first half's peak when it is within 1 %."""
    lag_min = int(math.ceil(sample_rate / freq_high))
    best_value, best_index = torch.max(nccf[..., lag_min:], -1)
    half = nccf.shape[-1] // 2
    half_value, half_index = torch.max(nccf[..., lag_min:half], -1)
    take_half = half_value > 0.99 * best_value
    index = torch.where(take_half, half_index, best_index)
    return index + lag_min + 1  # back to a lag in samples (+1: lags start at 1)


def _median_smoothing(indices: torch.Tensor, win_length: int) -> torch.Tensor:
    pad = (win_length - 1) // 2
    # the front is padded with the first value, so early frames see a full window
    padded = torch.cat([indices[..., :1].expand(list(indices.shape[:-1]) + [pad]), indices], dim=-1)
    return torch.median(padded.unfold(-1, win_length, 1), -1).values


def detect_pitch_frequency(
    waveform: torch.Tensor,
    sample_rate: int,
    frame_time: float = 10 ** (-2),
    win_length: int = 30,
    freq_low: int = 85,
    freq_high: int = 3400,
) -> torch.Tensor:
    r"""Pitch (Hz) of each frame: NCCF peak between ``freq_low`` and ``freq_high``, median-smoothed.

    Args:
        waveform: real audio.
        sample_rate: sample rate (Hz).
        frame_time: frame duration (s).
        win_length: median filter length (frames).
        freq_low, freq_high: search range (Hz).

    Shape:
        waveform: ``(..., time)``; output: ``(..., n_frames)`` with
        ``n_frames = ceil(time / ceil(sample_rate * frame_time)) - (win_length - 1) + (win_length - 1) // 2``.
    """
    fn = "detect_pitch_frequency"
    check_float("waveform", waveform, fn=fn)
    check_positive("sample_rate", sample_rate, fn=fn)
    check_positive("frame_time", frame_time, fn=fn)
    check_int("win_length", win_length, fn=fn, minimum=1)
    check_positive("freq_low", freq_low, fn=fn)
    check_positive("freq_high", freq_high, fn=fn)
    if freq_high <= freq_low:
        raise ValueError(f"{fn}: freq_high must be above freq_low={freq_low}, got {freq_high}")
    x, orig_dtype = upcast(waveform)
    shape = x.shape
    x = x.reshape(-1, shape[-1])
    nccf = _nccf(x, sample_rate, frame_time, float(freq_low))
    if nccf.shape[-2] + (win_length - 1) // 2 < win_length:
        raise ValueError(f"{fn}: waveform of {shape[-1]} samples gives {nccf.shape[-2]} frames, too few for "
                         f"win_length={win_length}")
    lags = _median_smoothing(_best_lag(nccf, sample_rate, float(freq_high)), win_length)
    freq = sample_rate / (1e-9 + lags.to(x.dtype))
    return restore(freq.reshape(shape[:-1] + freq.shape[-1:]), orig_dtype)
