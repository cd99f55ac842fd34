"""What ``torch.jit.script`` compiles for the IIR filters of ``_filtering`` (see ``_internal/script.py``).

The eager ``lfilter`` evaluates the recursion with block state-space products and a parallel scan, which
TorchScript cannot compile; here the same difference equation runs as a sample loop (in float64, like the
eager path), and the biquads build their coefficients with the eager path's formulas (``_biquad_coeffs``) from numbers. Scripted calls take
numbers for frequencies, Q and gains (as torchaudio's scripted functions do); tensors with gradients work in
eager mode only.

Shapes are as in ``_filtering``: waveform ``(..., time)``, output ``(..., time)``.
"""

from __future__ import annotations

import math
from typing import List, Tuple

import torch
import torch.nn.functional as nnf

from .._internal.script import restore_s, upcast_s
from . import _biquad_coeffs as coeffs


def _lfilter_script(
    waveform: torch.Tensor,
    a_coeffs: torch.Tensor,
    b_coeffs: torch.Tensor,
    clamp: bool = True,
    batching: bool = True,
    check_stability: bool = False,
) -> torch.Tensor:
    """``a0 y[n] = sum_k b_k x[n-k] - sum_{k>=1} a_k y[n-k]``, coefficients ``(order+1,)`` or ``(filters, order+1)``."""
    x, dtype = upcast_s(waveform)
    a = a_coeffs.to(device=x.device, dtype=torch.float64)
    b = b_coeffs.to(device=x.device, dtype=torch.float64)
    if a.dim() == 1:
        a, b = a.unsqueeze(0), b.unsqueeze(0)
    filters = a.shape[0]
    length = x.shape[-1]
    if filters > 1 and not batching:  # every filter on every waveform: (..., filters, time)
        x = x.unsqueeze(-2).expand(list(x.shape[:-1]) + [filters, length])
    shape = x.shape
    order = max(a.shape[1], b.shape[1])
    a = nnf.pad(a, [0, order - a.shape[1]])
    b = nnf.pad(b, [0, order - b.shape[1]])
    b = b / a[:, :1]
    a = a / a[:, :1]
    flat = x.reshape(-1, filters, length).to(torch.float64)
    fir = torch.zeros_like(flat)
    for k in range(order):  # moving-average part: sum_k b_k x[n-k]
        fir = fir + b[:, k : k + 1] * nnf.pad(flat, [k, 0])[..., :length]
    history = order - 1
    out = nnf.pad(torch.zeros_like(flat), [history, 0])  # history zeros, then y
    feedback = a[:, 1:].flip(1)  # (filters, order - 1): a_{order-1} .. a_1, aligned with y[n-order+1] .. y[n-1]
    for n in range(length):
        out[..., n + history] = fir[..., n] - (out[..., n : n + history] * feedback).sum(-1)
    y = out[..., history:]
    if clamp:
        y = y.clamp(-1.0, 1.0)
    return restore_s(y.to(x.dtype).reshape(shape), dtype)


def _biquad_script(waveform: torch.Tensor, b0: float, b1: float, b2: float, a0: float, a1: float,
                   a2: float) -> torch.Tensor:
    a = torch.tensor([a0, a1, a2], dtype=torch.float64, device=waveform.device)
    b = torch.tensor([b0, b1, b2], dtype=torch.float64, device=waveform.device)
    return _lfilter_script(waveform, a, b)


def _filter_by(waveform: torch.Tensor, ba: List[torch.Tensor]) -> torch.Tensor:
    """Run the biquad ``[b0, b1, b2, a0, a1, a2]`` from one of ``_biquad_coeffs``' formulas."""
    c = torch.stack(ba)
    return _lfilter_script(waveform, c[3:], c[:3])


def _filtfilt_script(waveform: torch.Tensor, a_coeffs: torch.Tensor, b_coeffs: torch.Tensor,
                     clamp: bool = True) -> torch.Tensor:
    forward = _lfilter_script(waveform, a_coeffs, b_coeffs, False, True)
    return _lfilter_script(forward.flip(-1), a_coeffs, b_coeffs, clamp, True).flip(-1)


def _number(waveform: torch.Tensor, value: float) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float64, device=waveform.device)


def _w0_alpha(waveform: torch.Tensor, sample_rate: int, freq: float, Q: float) -> Tuple[torch.Tensor, torch.Tensor]:
    w0 = 2 * math.pi * freq / sample_rate
    return _number(waveform, w0), _number(waveform, math.sin(w0) / 2 / Q)


def _lowpass_script(waveform: torch.Tensor, sample_rate: int, cutoff_freq: float, Q: float = 0.707) -> torch.Tensor:
    w0, alpha = _w0_alpha(waveform, sample_rate, cutoff_freq, Q)
    return _filter_by(waveform, coeffs.lowpass(w0, alpha))


def _highpass_script(waveform: torch.Tensor, sample_rate: int, cutoff_freq: float, Q: float = 0.707) -> torch.Tensor:
    w0, alpha = _w0_alpha(waveform, sample_rate, cutoff_freq, Q)
    return _filter_by(waveform, coeffs.highpass(w0, alpha))


def _allpass_script(waveform: torch.Tensor, sample_rate: int, central_freq: float, Q: float = 0.707) -> torch.Tensor:
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    return _filter_by(waveform, coeffs.allpass(w0, alpha))


def _bandpass_script(waveform: torch.Tensor, sample_rate: int, central_freq: float, Q: float = 0.707,
                     const_skirt_gain: bool = False) -> torch.Tensor:
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    return _filter_by(waveform, coeffs.bandpass(w0, alpha, const_skirt_gain))


def _bandreject_script(waveform: torch.Tensor, sample_rate: int, central_freq: float, Q: float = 0.707) -> torch.Tensor:
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    return _filter_by(waveform, coeffs.bandreject(w0, alpha))


def _band_script(waveform: torch.Tensor, sample_rate: int, central_freq: float, Q: float = 0.707,
                 noise: bool = False) -> torch.Tensor:
    w0 = _number(waveform, 2 * math.pi * central_freq / sample_rate)
    bandwidth_w = _number(waveform, 2 * math.pi * (central_freq / Q) / sample_rate)
    return _filter_by(waveform, coeffs.band(w0, bandwidth_w, noise))


def _bass_script(waveform: torch.Tensor, sample_rate: int, gain: float, central_freq: float = 100,
                 Q: float = 0.707) -> torch.Tensor:
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    return _filter_by(waveform, coeffs.shelf(_number(waveform, gain), w0, alpha, False))


def _treble_script(waveform: torch.Tensor, sample_rate: int, gain: float, central_freq: float = 3000,
                   Q: float = 0.707) -> torch.Tensor:
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    return _filter_by(waveform, coeffs.shelf(_number(waveform, gain), w0, alpha, True))


def _equalizer_script(waveform: torch.Tensor, sample_rate: int, center_freq: float, gain: float,
                      Q: float = 0.707) -> torch.Tensor:
    w0, alpha = _w0_alpha(waveform, sample_rate, center_freq, Q)
    return _filter_by(waveform, coeffs.equalizer(_number(waveform, gain), w0, alpha))


def _preemphasis_script(waveform: torch.Tensor, coeff: float = 0.97) -> torch.Tensor:
    out = waveform.clone()
    out[..., 1:] -= coeff * waveform[..., :-1]
    return out


def _deemphasis_script(waveform: torch.Tensor, coeff: float = 0.97, clamp: bool = True) -> torch.Tensor:
    a = torch.tensor([1.0, -coeff], dtype=torch.float64, device=waveform.device)
    b = torch.tensor([1.0, 0.0], dtype=torch.float64, device=waveform.device)
    return _lfilter_script(waveform, a, b, clamp)


def _deemph_script(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    gain, w0, alpha = coeffs.deemph_shelf(sample_rate)
    return _filter_by(waveform, coeffs.shelf(_number(waveform, gain), _number(waveform, w0), _number(waveform, alpha), True))


def _riaa_script(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    c = coeffs.riaa(sample_rate)
    return _biquad_script(waveform, c[0], c[1], c[2], c[3], c[4], c[5])
