"""Small sox primitives: earwax (headphone cross-feed), FIR filtering with sox's delay
compensation, and sox's Hilbert-transform FIR design."""

from __future__ import annotations

import math
from typing import Sequence, Union

import torch

from .._internal.checks import check_float
from .._internal.dtypes import restore, upcast

# sox's earwax: a 32-tap stereo FIR (30 and 330 degrees from the ear) run over the interleaved
# stream, scaled by 1/64, for 44.1 kHz stereo.
_EARWAX_TAPS = (4, -6, 4, -11, -1, -5, 3, 3, -2, 5, -5, 0, 9, 1, 6, 3, -4, -1, -5, -3, -2, -5, -7, 1, 6, -7, 30, -29,
                12, -3, -11, 4, -3, 7, -20, 23, 2, 0, 1, -6, -14, -5, 15, -18, 6, 7, 15, -10, -14, 22, -7, -2, -4, 9,
                6, -12, 6, -6, 0, -11, 0, -5, 4, 0)


def _causal_fir(x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """``y[n] = sum_k taps[k] x[n - k]`` over the last dimension, same length as ``x``."""
    shape = x.shape
    flat = x.reshape(-1, 1, shape[-1])
    if flat.shape[0] == 0:
        return x.clone()
    padded = torch.nn.functional.pad(flat, (taps.numel() - 1, 0))
    y = torch.nn.functional.conv1d(padded, taps.flip(0).reshape(1, 1, -1).to(x.dtype))
    return y.reshape(shape)


def earwax(waveform: torch.Tensor) -> torch.Tensor:
    """sox's ``earwax``: moves the stereo image of headphone listening out in front of the listener.

    Args:
        waveform: 44.1 kHz stereo audio of shape `(..., 2, time)`.

    Returns:
        Tensor: the filtered audio.

    Shape:
        `(..., 2, time)` -> `(..., 2, time)`.
    """
    check_float("waveform", waveform, fn="earwax")
    if waveform.dim() < 2 or waveform.shape[-2] != 2:
        raise ValueError(f"earwax: waveform must be stereo (..., 2, time), got shape {tuple(waveform.shape)}")
    x, dtype = upcast(waveform)
    interleaved = x.transpose(-1, -2).reshape(*x.shape[:-2], 2 * x.shape[-1])
    taps = torch.tensor(_EARWAX_TAPS, dtype=torch.float64, device=x.device) / 64
    y = _causal_fir(interleaved, taps)
    return restore(y.reshape(*x.shape[:-2], x.shape[-1], 2).transpose(-1, -2), dtype)


def fir_filter(waveform: torch.Tensor, coefficients: Union[Sequence[float], torch.Tensor]) -> torch.Tensor:
    """Filter with an FIR, centred as sox's ``fir`` does (delay of ``(taps - 1) // 2`` removed).

    Args:
        waveform: audio of shape `(..., time)`.
        coefficients: the impulse response (1-D).

    Returns:
        Tensor: the filtered audio, same length as the input.

    Shape:
        `(..., time)` -> `(..., time)`.
    """
    check_float("waveform", waveform, fn="fir_filter")
    taps = torch.as_tensor(coefficients, dtype=torch.float64).to(waveform.device).reshape(-1)
    if taps.numel() == 0:
        raise ValueError("fir_filter: coefficients must not be empty")
    x, dtype = upcast(waveform)
    delay = (taps.numel() - 1) // 2
    y = _causal_fir(torch.nn.functional.pad(x, (0, delay)), taps)[..., delay:]
    return restore(y, dtype)


def hilbert_fir(num_taps: int, *, dtype: torch.dtype = torch.float64, device=None) -> torch.Tensor:
    """sox's Hilbert-transform FIR: ``(1 - cos(pi k)) / (pi k)`` for ``k = -(n // 2) .. n // 2``
    (0 at even ``k``), Blackman windowed. ``num_taps`` must be odd. Shape `(num_taps,)`."""
    if num_taps < 3 or num_taps % 2 == 0:
        raise ValueError(f"hilbert_fir: num_taps must be an odd number >= 3, got {num_taps}")
    k = torch.arange(num_taps, dtype=torch.float64) - num_taps // 2
    pk = math.pi * k
    h = torch.where(k % 2 == 0, torch.zeros_like(k), (1 - torch.cos(pk)) / torch.where(k == 0, 1.0, pk))
    phase = 2 * math.pi * torch.arange(num_taps, dtype=torch.float64) / (num_taps - 1)
    window = 0.42 - 0.5 * torch.cos(phase) + 0.08 * torch.cos(2 * phase)  # Blackman, as sox 14.4.2 applies
    return (h * window).to(dtype=dtype, device=device)
