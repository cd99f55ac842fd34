"""sox's ``reverb``: a freeverb-style reverberator (8 damped combs + 4 allpasses per channel).

The reverberator is linear and time invariant, so instead of running its feedback loops sample by
sample we take its impulse response from the exact transfer function (on an FFT grid long enough
for the tail to decay below -150 dB, cached) and convolve with it in the frequency domain. That is fast on any device, batched, and
differentiable in the waveform.
"""

from __future__ import annotations

import math

import torch

from .._internal.cache import cached
from .._internal.checks import check_float, check_positive
from .._internal.dtypes import restore, upcast

# freeverb's delay lengths in samples at 44.1 kHz, and the stereo spread between the two outputs
_COMB_LENGTHS = (1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617)
_ALLPASS_LENGTHS = (225, 341, 441, 556)
_STEREO_SPREAD = 12


def _reverb_params(reverberance: float, hf_damping: float, room_scale: float):
    # sox maps reverberance 0..100 % onto comb feedback 0.3..0.98 on a log curve
    a = -1 / math.log(1 - 0.3)
    b = 100 / (math.log(1 - 0.98) * a + 1)
    feedback = 1 - math.exp((reverberance - b) / (a * b))
    damping = hf_damping / 100 * 0.3 + 0.2
    scale = room_scale / 100 * 0.9 + 0.1
    return feedback, damping, scale


def _delay_lengths(sample_rate: float, scale: float, offset: float):
    r = sample_rate / 44100.0
    combs, allpasses = [], []
    for length in _COMB_LENGTHS:  # the spread alternates in sign from one filter to the next
        combs.append(int(scale * r * (length + _STEREO_SPREAD * offset) + 0.5))
        offset = -offset
    for length in _ALLPASS_LENGTHS:
        allpasses.append(int(r * (length + _STEREO_SPREAD * offset) + 0.5))
        offset = -offset
    return combs, allpasses


def _tail_length(sample_rate, feedback, damping, scale) -> int:
    # Samples until the comb with the longest loop has decayed by 150 dB (its loop gain is <= feedback).
    longest = max(_delay_lengths(sample_rate, scale, 1.0)[0])
    passes = math.log(10 ** (-150 / 20)) / math.log(max(feedback, 1e-6))
    return int(passes * longest) + 4 * max(_ALLPASS_LENGTHS) + 1


@cached()
def reverb_impulse_response(length: int, sample_rate: float, reverberance: float, hf_damping: float,
                            room_scale: float, offsets: tuple, pre_delay_samples: int, wet_gain_db: float,
                            device: torch.device) -> torch.Tensor:
    """The first ``length`` samples of the wet reverb path's impulse response, one row per stereo offset.

    Computed from the exact transfer function on an FFT grid at least as long as the tail (so the
    time aliasing is below -150 dB). Returns float64 of shape `(len(offsets), length)`.
    """
    feedback, damping, scale = _reverb_params(reverberance, hf_damping, room_scale)
    n_fft = 1 << max(1, (max(length, _tail_length(sample_rate, feedback, damping, scale)) + pre_delay_samples).bit_length())
    w = torch.arange(n_fft // 2 + 1, dtype=torch.float64, device=device) * (2 * math.pi / n_fft)

    def z_pow(m):  # z^-m on the unit circle
        return torch.polar(torch.ones_like(w), -w * m)

    rows = []
    z1 = z_pow(1)
    for offset in offsets:
        combs, allpasses = _delay_lengths(sample_rate, scale, offset)
        total = torch.zeros_like(z1)
        for m in combs:
            # y = z^-m v,  v = x + fb * s,  s = (1 - d) z^-m v / (1 - d z^-1)
            zm = z_pow(m)
            total = total + zm * (1 - damping * z1) / (1 - damping * z1 - feedback * (1 - damping) * zm)
        for m in allpasses:
            # u = x + u z^-m / 2,  y = z^-m u - x
            zm = z_pow(m)
            total = total * (zm / (1 - 0.5 * zm) - 1)
        gain = 10 ** (wet_gain_db / 20) * 0.015
        rows.append(torch.fft.irfft(total * gain * z_pow(pre_delay_samples), n=n_fft)[:length])
    return torch.stack(rows)


def reverb(waveform: torch.Tensor, sample_rate: float, reverberance: float = 50.0, hf_damping: float = 50.0,
           room_scale: float = 100.0, stereo_depth: float = 100.0, pre_delay: float = 0.0, wet_gain: float = 0.0,
           *, wet_only: bool = False) -> torch.Tensor:
    """Add reverberation, as sox's ``reverb`` effect (freeverb design).

    Each input channel drives one reverberator (two with a stereo spread when ``stereo_depth`` > 0
    and the input is mono or stereo). Mono input with ``stereo_depth`` > 0 becomes stereo, as in
    libsox; stereo input keeps two channels, each mixing both reverberators; more than two channels
    are reverberated independently (no stereo spread). The output has the input's length (no tail).

    Args:
        waveform: audio of shape `(..., channel, time)`.
        sample_rate: sample rate in Hz.
        reverberance: reverb time, in percent (0 to 100).
        hf_damping: high-frequency damping, in percent (0 to 100).
        room_scale: room size, in percent (0 to 100).
        stereo_depth: stereo spread, in percent (0 to 100).
        pre_delay: delay before the reverb starts, in ms (0 to 500).
        wet_gain: gain of the reverberated signal, in dB (-10 to 10).
        wet_only: output only the reverberated signal (sox's ``-w``).

    Returns:
        Tensor: the reverberated audio.

    Shape:
        `(..., C, time)` -> `(..., C', time)` with ``C' = 2`` if ``C == 1`` and ``stereo_depth > 0``, else ``C``.
    """
    check_float("waveform", waveform, fn="reverb")
    check_positive("sample_rate", sample_rate, fn="reverb")
    if waveform.dim() < 2:
        raise ValueError(f"reverb: waveform must be (..., channel, time), got shape {tuple(waveform.shape)}")
    for name, value, lo, hi in [("reverberance", reverberance, 0, 100), ("hf_damping", hf_damping, 0, 100),
                                ("room_scale", room_scale, 0, 100), ("stereo_depth", stereo_depth, 0, 100),
                                ("pre_delay", pre_delay, 0, 500), ("wet_gain", wet_gain, -10, 10)]:
        if not lo <= value <= hi:
            raise ValueError(f"reverb: {name} must be in [{lo}, {hi}], got {value}")
    x, dtype = upcast(waveform)
    channels, n = x.shape[-2], x.shape[-1]
    depth = stereo_depth / 100 if channels <= 2 else 0.0
    offsets = (0.0, depth) if depth > 0 else (0.0,)
    feedback, damping, scale = _reverb_params(reverberance, hf_damping, room_scale)
    pre_delay_samples = int(pre_delay / 1000 * sample_rate + 0.5)
    out_channels = 2 if channels == 1 and depth > 0 else channels
    if x.numel() == 0:
        return restore(x.new_zeros(*x.shape[:-2], out_channels, n), dtype)
    response = reverb_impulse_response(n, float(sample_rate), float(reverberance), float(hf_damping),
                                       float(room_scale), offsets, pre_delay_samples, float(wet_gain), x.device)
    n_fft = 1 << (2 * n - 1).bit_length()
    spectrum = torch.fft.rfft(x, n=n_fft).unsqueeze(-2)  # (..., C, 1, F)
    kernels = torch.fft.rfft(response.to(x.dtype), n=n_fft)  # (K, F)
    # wet[..., c, k, :] is input channel c through reverberator k
    wet = torch.fft.irfft(spectrum * kernels, n=n_fft)[..., :n]
    dry = 0.0 if wet_only else x
    if channels == 2 and depth > 0:
        out = dry + 0.5 * (wet[..., 0, :, :] + wet[..., 1, :, :])
    elif channels == 1 and depth > 0:
        out = dry + wet[..., 0, :, :]
    else:
        out = dry + wet[..., 0, :]
    return restore(out, dtype)
