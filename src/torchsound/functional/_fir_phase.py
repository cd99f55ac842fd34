"""Minimum and intermediate phase versions of a linear-phase FIR (sox's ``-M``, ``-I`` and ``-p PHASE``).

The magnitude response is kept; the phase is moved towards the minimum phase computed by the homomorphic
(real cepstrum) method. sox's phase scale: 0 = minimum, 50 = linear, 100 = maximum phase (the minimum
phase filter time-reversed); 25 is its "intermediate" phase.
"""

from __future__ import annotations

import math
from typing import Tuple

import torch

from .._internal.dtypes import restore, upcast


def fir_to_phase(taps: torch.Tensor, phase: float) -> Tuple[torch.Tensor, int]:
    """Re-phase the linear-phase FIR ``taps`` to ``phase`` (0-100, sox's scale).

    Returns the new taps (float64, same device) and the index of their main peak: filtering with the
    output advanced by that many samples keeps the signal aligned, as sox does.
    """
    taps = taps.to(torch.float64)
    n = taps.numel()
    if phase == 50:
        return taps, (n - 1) // 2
    toward_linear = (100 - phase if phase > 50 else phase) / 50  # 0 = minimum phase, 1 = linear
    size = 32
    while size < 16 * n:  # a long DFT keeps the cepstrum's time aliasing negligible
        size *= 2
    spectrum = torch.fft.rfft(taps, size)
    # real cepstrum of the log magnitude, folded onto positive quefrencies: the minimum-phase log spectrum
    cepstrum = torch.fft.irfft(torch.log(spectrum.abs().clamp_min(1e-300)), size)
    fold = torch.zeros_like(cepstrum)
    fold[0], fold[size // 2] = cepstrum[0], cepstrum[size // 2]
    fold[1:size // 2] = 2 * cepstrum[1:size // 2]
    log_min = torch.fft.rfft(fold)
    omega = torch.arange(log_min.numel(), dtype=torch.float64, device=taps.device) * (2 * math.pi / size)
    linear_phase = -omega * (n - 1) / 2
    # sox interpolates against the linear phase *with* its pi steps where the (real) amplitude changes sign in
    # the stop band; those steps leave a constant phase offset in later bands, so count them the same way
    amplitude = (spectrum * torch.exp(torch.complex(torch.zeros_like(omega), -linear_phase))).real
    flips = torch.cat([amplitude.new_zeros(1), torch.cumsum(((amplitude[1:] * amplitude[:-1]) < 0).double(), 0)])
    angle = toward_linear * (linear_phase + math.pi * flips) + (1 - toward_linear) * log_min.imag
    impulse = torch.fft.irfft(torch.exp(torch.complex(log_min.real, angle)), size)
    # the main peak: where the running sum (step response) is largest, moved back onto the largest tap
    search = min(size, n + 1)
    running = torch.cumsum(impulse[:search], 0).abs()
    peak = int(torch.argmax(running))
    while peak and abs(impulse[peak - 1]) > abs(impulse[peak]) and impulse[peak - 1] * impulse[peak] > 0:
        peak -= 1
    if toward_linear == 0:
        begin, length = 0, n
    else:  # keep a pre-ringing part before the peak and a longer tail after it (sox's proportions)
        before = int((0.997 - (2 - toward_linear) * 0.22) * n + 0.5) & ~3
        after = (int((0.997 - toward_linear * 0.22) * n + 0.5) + 3) & ~3
        begin, length = peak - before, before + 1 + after
    index = (torch.arange(length, device=taps.device) + begin) % size
    out = impulse[index]
    advance = peak - begin
    if phase > 50:  # maximum phase: the time reverse
        out, advance = out.flip(0), length - 1 - advance
    return out, advance


def fir_filter_advanced(waveform: torch.Tensor, taps: torch.Tensor, advance: int) -> torch.Tensor:
    """Causal FIR filtering with the output moved ``advance`` samples earlier; same length as the input.

    Shape:
        `(..., time)` -> `(..., time)`.
    """
    from ._sox_misc import _causal_fir

    x, dtype = upcast(waveform)
    y = _causal_fir(torch.nn.functional.pad(x, (0, advance)), taps.to(x.device))[..., advance:]
    return restore(y, dtype)


def to_minimum_phase(waveform: torch.Tensor, reference_taps: torch.Tensor) -> torch.Tensor:
    """Re-phase a zero-phase (centred) low-passed signal as if its low-pass had been minimum phase.

    ``reference_taps`` is a linear-phase FIR with the low-pass's magnitude, at the signal's rate. The signal is
    multiplied in the frequency domain by a unit-magnitude correction: the minimum-phase filter's phase (its
    main peak moved to time 0, as sox aligns it) minus the linear-phase one's. Same length as the input.

    Shape:
        `(..., time)` -> `(..., time)`.
    """
    x, dtype = upcast(waveform)
    taps = reference_taps.to(device=x.device, dtype=torch.float64)
    n, length = x.shape[-1], taps.numel()
    minimum, advance = fir_to_phase(taps, 0)
    size = 1 << max(n + 2 * length, 16).bit_length()  # room for the phase change's ringing on both ends
    omega = torch.arange(size // 2 + 1, dtype=torch.float64, device=x.device) * (2 * math.pi / size)
    lin = torch.fft.rfft(taps, size) * torch.exp(torch.complex(torch.zeros_like(omega), omega * (length - 1) / 2))
    mini = torch.fft.rfft(minimum, size) * torch.exp(torch.complex(torch.zeros_like(omega), omega * advance))
    correction = torch.exp(torch.complex(torch.zeros_like(omega), torch.angle(mini) - torch.angle(lin)))
    y = torch.fft.irfft(torch.fft.rfft(x.to(torch.float64), size) * correction, size)[..., :n]
    return restore(y.to(x.dtype), dtype)
