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
    (0 at even ``k``), Blackman windowed. ``num_taps`` must be odd.

    Shape:
        `(num_taps,)`.
    """
    if num_taps < 3 or num_taps % 2 == 0:
        raise ValueError(f"hilbert_fir: num_taps must be an odd number >= 3, got {num_taps}")
    k = torch.arange(num_taps, dtype=torch.float64) - num_taps // 2
    pk = math.pi * k
    h = torch.where(k % 2 == 0, torch.zeros_like(k), (1 - torch.cos(pk)) / torch.where(k == 0, 1.0, pk))
    phase = 2 * math.pi * torch.arange(num_taps, dtype=torch.float64) / (num_taps - 1)
    window = 0.42 - 0.5 * torch.cos(phase) + 0.08 * torch.cos(2 * phase)  # Blackman, as sox 14.4.2 applies
    return (h * window).to(dtype=dtype, device=device)


def _bessel_i0(x: torch.Tensor) -> torch.Tensor:
    return torch.special.i0(x)


def kaiser_beta(attenuation: float) -> float:
    """sox's Kaiser window beta for a stopband ``attenuation`` in dB."""
    if attenuation > 100:
        return 0.1117 * attenuation - 1.11
    if attenuation > 50:
        return 0.1102 * (attenuation - 8.7)
    if attenuation > 20.96:
        return 0.58417 * (attenuation - 20.96) ** 0.4 + 0.07886 * (attenuation - 20.96)
    return 0.0


def lowpass_num_taps(attenuation: float, transition: float) -> int:
    """sox's odd FIR length for ``attenuation`` dB over a ``transition`` band (fraction of the rate)."""
    if attenuation <= 80:
        n = int(0.25 / math.pi * (attenuation - 7.95) / (2.285 * transition) + 0.5)
    else:
        n160 = (0.0425 * attenuation - 1.4) / transition
        n = int(n160 * (16.556 / (attenuation - 39.6) + 0.8625) + 0.5)
    return 2 * (n + (n & 1)) + 1


def kaiser_lowpass(num_taps: int, cutoff: float, beta: float) -> torch.Tensor:
    """sox's Kaiser-windowed sinc low-pass (``cutoff`` as a fraction of Nyquist): float64 `(num_taps,)`."""
    m = num_taps - 1
    i = torch.arange(num_taps, dtype=torch.float64)
    x = math.pi * (i - 0.5 * m)
    h = torch.where(x == 0, torch.full_like(x, cutoff), torch.sin(cutoff * x) / torch.where(x == 0, 1.0, x))
    y = 2 * i / m - 1
    return h * _bessel_i0(beta * torch.sqrt((1 - y * y).clamp_min(0))) / _bessel_i0(torch.tensor(beta, dtype=torch.float64))


def sinc_fir(sample_rate: float, highpass_freq: float = 0.0, lowpass_freq: float = 0.0, *, attenuation: float = 120.0,
             beta: float = None, transition: tuple = (None, None), num_taps: tuple = (0, 0)) -> torch.Tensor:
    """The FIR of sox's ``sinc`` effect: high-pass above ``highpass_freq``, low-pass below
    ``lowpass_freq`` (0 = unused), band-pass if both (band-reject if high > low); linear phase.

    ``transition`` (Hz) or ``num_taps`` per side set the lengths (default: a 5 % band); ``beta``
    overrides the Kaiser shape from ``attenuation``. Returns float64 of odd length.
    """
    nyquist = sample_rate / 2
    beta = kaiser_beta(attenuation) if beta is None else beta
    filters = []
    for freq, tbw, taps in ((highpass_freq, transition[0], num_taps[0]), (lowpass_freq, transition[1], num_taps[1])):
        cutoff = freq / nyquist
        if not 0 < cutoff < 1:
            filters.append(None)
            continue
        if not taps:
            taps = min(max(lowpass_num_taps(attenuation, (tbw / nyquist if tbw else 0.05) * 0.5), 11), 32767)
        filters.append(kaiser_lowpass(taps | 1, cutoff, beta))
    high, low = filters
    if high is not None:  # invert the low-pass into a high-pass
        high = -high
        high[(high.numel() - 1) // 2] += 1
    if high is None or low is None:
        h = high if low is None else low
        if h is None:
            raise ValueError("sinc_fir: give a high-pass and/or a low-pass frequency below half the sample rate")
        return h
    longer, shorter = (low, high) if low.numel() > high.numel() else (high, low)
    offset = (longer.numel() - shorter.numel()) // 2
    h = longer.clone()
    h[offset:offset + shorter.numel()] += shorter
    if highpass_freq < lowpass_freq:  # the sum is a band-reject; sox inverts it into the band-pass
        h = -h
        h[(h.numel() - 1) // 2] += 1
    return h


# ISO 226 (2003) equal-loudness parameters: frequency (Hz), alpha_f, L_U (dB), T_f (dB)
_ISO226 = (
    (20, 0.532, -31.6, 78.5), (25, 0.506, -27.2, 68.7), (31.5, 0.480, -23.0, 59.5), (40, 0.455, -19.1, 51.1),
    (50, 0.432, -15.9, 44.0), (63, 0.409, -13.0, 37.5), (80, 0.387, -10.3, 31.5), (100, 0.367, -8.1, 26.5),
    (125, 0.349, -6.2, 22.1), (160, 0.330, -4.5, 17.9), (200, 0.315, -3.1, 14.4), (250, 0.301, -2.0, 11.4),
    (315, 0.288, -1.1, 8.6), (400, 0.276, -0.4, 6.2), (500, 0.267, 0.0, 4.4), (630, 0.259, 0.3, 3.0),
    (800, 0.253, 0.5, 2.2), (1000, 0.250, 0.0, 2.4), (1250, 0.246, -2.7, 3.5), (1600, 0.244, -4.1, 1.7),
    (2000, 0.243, -1.0, -1.3), (2500, 0.243, 1.7, -4.2), (3150, 0.243, 2.5, -6.0), (4000, 0.242, 1.2, -5.4),
    (5000, 0.242, -2.1, -1.5), (6300, 0.245, -7.1, 6.0), (8000, 0.254, -11.2, 12.6), (10000, 0.271, -10.7, 13.9),
    (12500, 0.301, -3.1, 12.3),
)


def _iso226_spl(phon: float, af: float, lu: float, tf: float) -> float:
    """Sound pressure level (dB) of a tone at loudness ``phon`` (ISO 226)."""
    inner = 4.47e-3 * (10 ** (0.025 * phon) - 1.15) + (0.4 * 10 ** ((tf + lu) / 10 - 9)) ** af
    return 10 / af * math.log10(inner) - lu + 94


def _natural_spline(xs, ys):
    """Second derivatives of the natural cubic spline through (xs, ys)."""
    import numpy as np

    n = len(xs)
    a = np.zeros((n, n))
    r = np.zeros(n)
    a[0, 0] = a[-1, -1] = 1.0
    for i in range(1, n - 1):
        a[i, i - 1] = (xs[i] - xs[i - 1]) / 6
        a[i, i] = (xs[i + 1] - xs[i - 1]) / 3
        a[i, i + 1] = (xs[i + 1] - xs[i]) / 6
        r[i] = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]) - (ys[i] - ys[i - 1]) / (xs[i] - xs[i - 1])
    return np.linalg.solve(a, r)


def loudness_fir(sample_rate: float, gain_db: float = -10.0, reference_db: float = 65.0, num_taps: int = 2047) -> torch.Tensor:
    """The FIR of sox's ``loudness``: the ISO 226 equal-loudness difference between ``reference_db``
    and ``reference_db + gain_db`` phon, splined over log frequency, Kaiser windowed. float64 `(num_taps,)`."""
    import numpy as np

    fs = [0.0] + [math.log(f) for f, *_ in _ISO226] + [math.log(100000.0)]
    spl = [gain_db * 0.2] + [_iso226_spl(reference_db + gain_db, *t[1:]) - _iso226_spl(reference_db, *t[1:])
                             for t in _ISO226] + [gain_db * 0.2]
    fs, spl = np.array(fs), np.array(spl)
    d2 = _natural_spline(fs, spl)
    work_len = 8192
    while work_len < sample_rate / 2:
        work_len <<= 1
    f = sample_rate * np.arange(1, work_len // 2 + 1) / work_len
    logf = np.log(np.maximum(f, 1.0))
    k = np.clip(np.searchsorted(fs, logf) - 1, 0, len(fs) - 2)
    h = fs[k + 1] - fs[k]
    a_, b_ = (fs[k + 1] - logf) / h, (logf - fs[k]) / h
    level = a_ * spl[k] + b_ * spl[k + 1] + ((a_ ** 3 - a_) * d2[k] + (b_ ** 3 - b_) * d2[k + 1]) * h * h / 6
    level = np.where(f < 1, spl[0], level)
    spectrum = np.zeros(work_len // 2 + 1)
    spectrum[1:] = 10 ** (level / 20)
    spectrum[0] = 10 ** (spl[0] / 20)  # sox gives DC the level it uses below 1 Hz
    impulse = np.fft.irfft(spectrum, work_len)
    taps = impulse[(work_len - num_taps // 2 + np.arange(num_taps)) % work_len]
    y = 2 * np.arange(num_taps) / (num_taps - 1) - 1
    beta = kaiser_beta(40 + 2 / 3 * abs(gain_db))
    window = np.i0(beta * np.sqrt(np.maximum(1 - y * y, 0))) / np.i0(beta)
    return torch.from_numpy(taps * window)
