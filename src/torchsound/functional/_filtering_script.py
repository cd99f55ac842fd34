"""What ``torch.jit.script`` compiles for the IIR filters of ``_filtering`` (see ``_internal/script.py``).

The eager ``lfilter`` evaluates the recursion with block state-space products and a parallel scan, which
TorchScript cannot compile; here the same difference equation runs as a sample loop (in float64, like the
eager path), and the biquads build the same RBJ/sox coefficients from Python numbers. Scripted calls take
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


def _filtfilt_script(waveform: torch.Tensor, a_coeffs: torch.Tensor, b_coeffs: torch.Tensor,
                     clamp: bool = True) -> torch.Tensor:
    forward = _lfilter_script(waveform, a_coeffs, b_coeffs, False, True)
    return _lfilter_script(forward.flip(-1), a_coeffs, b_coeffs, clamp, True).flip(-1)


def _w0(sample_rate: int, freq: float) -> float:
    return 2 * math.pi * freq / sample_rate


def _lowpass_script(waveform: torch.Tensor, sample_rate: int, cutoff_freq: float, Q: float = 0.707) -> torch.Tensor:
    w0 = _w0(sample_rate, cutoff_freq)
    alpha, cos = math.sin(w0) / 2 / Q, math.cos(w0)
    return _biquad_script(waveform, (1 - cos) / 2, 1 - cos, (1 - cos) / 2, 1 + alpha, -2 * cos, 1 - alpha)


def _highpass_script(waveform: torch.Tensor, sample_rate: int, cutoff_freq: float, Q: float = 0.707) -> torch.Tensor:
    w0 = _w0(sample_rate, cutoff_freq)
    alpha, cos = math.sin(w0) / 2 / Q, math.cos(w0)
    return _biquad_script(waveform, (1 + cos) / 2, -1 - cos, (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha)


def _allpass_script(waveform: torch.Tensor, sample_rate: int, central_freq: float, Q: float = 0.707) -> torch.Tensor:
    w0 = _w0(sample_rate, central_freq)
    alpha, cos = math.sin(w0) / 2 / Q, math.cos(w0)
    return _biquad_script(waveform, 1 - alpha, -2 * cos, 1 + alpha, 1 + alpha, -2 * cos, 1 - alpha)


def _bandpass_script(waveform: torch.Tensor, sample_rate: int, central_freq: float, Q: float = 0.707,
                     const_skirt_gain: bool = False) -> torch.Tensor:
    w0 = _w0(sample_rate, central_freq)
    alpha, cos = math.sin(w0) / 2 / Q, math.cos(w0)
    gain = math.sin(w0) / 2 if const_skirt_gain else alpha
    return _biquad_script(waveform, gain, 0.0, -gain, 1 + alpha, -2 * cos, 1 - alpha)


def _bandreject_script(waveform: torch.Tensor, sample_rate: int, central_freq: float, Q: float = 0.707) -> torch.Tensor:
    w0 = _w0(sample_rate, central_freq)
    alpha, cos = math.sin(w0) / 2 / Q, math.cos(w0)
    return _biquad_script(waveform, 1.0, -2 * cos, 1.0, 1 + alpha, -2 * cos, 1 - alpha)


def _band_script(waveform: torch.Tensor, sample_rate: int, central_freq: float, Q: float = 0.707,
                 noise: bool = False) -> torch.Tensor:
    # sox "band": a two-pole resonator whose peak gain is 1 (or whose noise gain is 1)
    w0 = _w0(sample_rate, central_freq)
    a2 = math.exp(-2 * math.pi * (central_freq / Q) / sample_rate)
    a1 = -4 * a2 / (1 + a2) * math.cos(w0)
    b0 = math.sqrt(1 - a1 * a1 / (4 * a2)) * (1 - a2)
    if noise:
        b0 = math.sqrt(((1 + a2) * (1 + a2) - a1 * a1) * (1 - a2) / (1 + a2))
    return _biquad_script(waveform, b0, 0.0, 0.0, 1.0, a1, a2)


def _shelf_script(waveform: torch.Tensor, gain: float, w0: float, alpha: float, treble: bool) -> torch.Tensor:
    """RBJ low (bass) or high (treble) shelf with ``A = 10 ** (gain / 40)``."""
    big_a = math.exp(gain / 40 * math.log(10))
    t1, t2, t3 = 2 * math.sqrt(big_a) * alpha, (big_a - 1) * math.cos(w0), (big_a + 1) * math.cos(w0)
    s = 1.0 if treble else -1.0
    return _biquad_script(
        waveform,
        big_a * ((big_a + 1) + s * t2 + t1), -s * 2 * big_a * ((big_a - 1) + s * t3), big_a * ((big_a + 1) + s * t2 - t1),
        (big_a + 1) - s * t2 + t1, s * 2 * ((big_a - 1) - s * t3), (big_a + 1) - s * t2 - t1,
    )


def _bass_script(waveform: torch.Tensor, sample_rate: int, gain: float, central_freq: float = 100,
                 Q: float = 0.707) -> torch.Tensor:
    w0 = _w0(sample_rate, central_freq)
    return _shelf_script(waveform, gain, w0, math.sin(w0) / 2 / Q, False)


def _treble_script(waveform: torch.Tensor, sample_rate: int, gain: float, central_freq: float = 3000,
                   Q: float = 0.707) -> torch.Tensor:
    w0 = _w0(sample_rate, central_freq)
    return _shelf_script(waveform, gain, w0, math.sin(w0) / 2 / Q, True)


def _equalizer_script(waveform: torch.Tensor, sample_rate: int, center_freq: float, gain: float,
                      Q: float = 0.707) -> torch.Tensor:
    w0 = _w0(sample_rate, center_freq)
    big_a = math.exp(gain / 40 * math.log(10))
    alpha, cos = math.sin(w0) / 2 / Q, math.cos(w0)
    return _biquad_script(waveform, 1 + alpha * big_a, -2 * cos, 1 - alpha * big_a, 1 + alpha / big_a, -2 * cos,
                          1 - alpha / big_a)


def _preemphasis_script(waveform: torch.Tensor, coeff: float = 0.97) -> torch.Tensor:
    out = waveform.clone()
    out[..., 1:] -= coeff * waveform[..., :-1]
    return out


def _deemphasis_script(waveform: torch.Tensor, coeff: float = 0.97, clamp: bool = True) -> torch.Tensor:
    a = torch.tensor([1.0, -coeff], dtype=torch.float64, device=waveform.device)
    b = torch.tensor([1.0, 0.0], dtype=torch.float64, device=waveform.device)
    return _lfilter_script(waveform, a, b, clamp)


def _deemph_script(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    # sox's CD/DAT de-emphasis: a treble shelf whose centre, slope and gain depend on the rate
    if sample_rate == 44100:
        freq, slope, gain = 5283.0, 0.4845, -9.477
    elif sample_rate == 48000:
        freq, slope, gain = 5356.0, 0.479, -9.62
    else:
        raise ValueError("deemph_biquad: sample_rate must be 44100 (audio CD) or 48000 (DAT)")
    w0 = _w0(sample_rate, freq)
    amp = math.exp(gain / 40 * math.log(10))
    alpha = math.sin(w0) / 2 * math.sqrt((amp + 1 / amp) * (1 / slope - 1) + 2)
    return _shelf_script(waveform, gain, w0, alpha, True)


def _riaa_roots(sample_rate: int) -> Tuple[List[float], List[float]]:
    """sox's RIAA playback equalisation: (zeros, poles) of the digital filter per sample rate."""
    if sample_rate == 44100:
        return [-0.2014898, 0.9233820], [0.7083149, 0.9924091]
    if sample_rate == 48000:
        return [-0.1766069, 0.9321590], [0.7396325, 0.9931330]
    if sample_rate == 88200:
        return [-0.1168735, 0.9648312], [0.8590646, 0.9964002]
    if sample_rate == 96000:
        return [-0.1141486, 0.9676817], [0.8699137, 0.9966946]
    raise ValueError("riaa_biquad: sample_rate must be one of 44100, 48000, 88200, 96000")


def _gain_at(coeffs: List[float], w: float) -> float:
    """``|sum_k c_k e^{-i k w}|``."""
    re, im = 0.0, 0.0
    for k in range(len(coeffs)):
        re += coeffs[k] * math.cos(k * w)
        im -= coeffs[k] * math.sin(k * w)
    return math.sqrt(re * re + im * im)


def _riaa_script(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    zeros, poles = _riaa_roots(sample_rate)
    b = [1.0, -(zeros[0] + zeros[1]), zeros[0] * zeros[1]]
    a = [1.0, -(poles[0] + poles[1]), poles[0] * poles[1]]
    w = 2 * math.pi * 1000 / sample_rate  # 0 dB at 1 kHz
    g = _gain_at(a, w) / _gain_at(b, w)
    return _biquad_script(waveform, b[0] * g, b[1] * g, b[2] * g, a[0], a[1], a[2])
