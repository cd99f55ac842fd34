"""Kaldi-compatible features: ``spectrogram``, ``fbank`` and ``mfcc`` (torchaudio.compliance.kaldi).

The numbers follow Kaldi's ``compute-spectrogram-feats``, ``compute-fbank-feats`` and
``compute-mfcc-feats`` (and torchaudio's port of them): frames are cut with Kaldi's
``snip_edges`` rules, and each frame is dithered, DC-removed, pre-emphasised and windowed as
Kaldi's ``ProcessWindow`` does.

Beyond torchaudio, every feature works on a batch, runs on the input's device and is
differentiable when ``dither=0``. The waveform is ``(..., channel, time)``: as in torchaudio, the
second-to-last dimension holds channels and ``channel`` picks one of them; every dimension in
front of it is a batch dimension, and a 1-D ``(time,)`` input is a single channel. A batch gives
the same result as looping over its items. To batch mono clips, stack them as ``(batch, 1, time)``.
Costly pieces (window, mel filterbank, DCT) are built once per options, dtype and device.
"""

from __future__ import annotations

import math
from typing import Tuple

import torch

from .._internal.cache import cached
from .._internal.checks import check_choice, check_float, check_int, check_positive
from .._internal.dtypes import restore, upcast
from ..functional._spectral import _band_plan, _project

__all__ = [
    "get_mel_banks",
    "inverse_mel_scale",
    "inverse_mel_scale_scalar",
    "mel_scale",
    "mel_scale_scalar",
    "spectrogram",
    "fbank",
    "mfcc",
    "vtln_warp_freq",
    "vtln_warp_mel_freq",
]

# Window names accepted by ``window_type``.
HAMMING = "hamming"
HANNING = "hanning"
POVEY = "povey"
RECTANGULAR = "rectangular"
BLACKMAN = "blackman"
WINDOWS = [HAMMING, HANNING, POVEY, RECTANGULAR, BLACKMAN]

MILLISECONDS_TO_SECONDS = 0.001
# Kaldi floors energies and powers at float32's epsilon before taking logs, in every dtype.
EPSILON = torch.tensor(torch.finfo(torch.float).eps)
_EPS = float(torch.finfo(torch.float32).eps)


# ----------------------------------------------------------------------------- mel scale and VTLN


def mel_scale_scalar(freq: float) -> float:
    """Hz to mel on Kaldi's (HTK) scale: ``1127 * ln(1 + freq / 700)``."""
    return 1127.0 * math.log(1.0 + freq / 700.0)


def mel_scale(freq: torch.Tensor) -> torch.Tensor:
    """Hz to mel on Kaldi's (HTK) scale, elementwise.

    Shape:
        - freq: any shape. Returns the same shape.
    """
    return 1127.0 * torch.log1p(freq / 700.0)


def inverse_mel_scale_scalar(mel_freq: float) -> float:
    """Mel to Hz, the inverse of :func:`mel_scale_scalar`."""
    return 700.0 * (math.exp(mel_freq / 1127.0) - 1.0)


def inverse_mel_scale(mel_freq: torch.Tensor) -> torch.Tensor:
    """Mel to Hz, the inverse of :func:`mel_scale`, elementwise.

    Shape:
        - mel_freq: any shape. Returns the same shape.
    """
    return 700.0 * torch.expm1(mel_freq / 1127.0)


def _vtln_breakpoints(fn, vtln_low_cutoff, vtln_high_cutoff, low_freq, high_freq, vtln_warp_factor):
    check_positive("vtln_warp_factor", vtln_warp_factor, fn=fn)
    if not vtln_low_cutoff > low_freq:
        raise ValueError(f"{fn}: vtln_low_cutoff must be above low_freq={low_freq}, got {vtln_low_cutoff}")
    if not vtln_high_cutoff < high_freq:
        raise ValueError(f"{fn}: vtln_high_cutoff must be below high_freq={high_freq}, got {vtln_high_cutoff}")
    lower = vtln_low_cutoff * max(1.0, vtln_warp_factor)
    upper = vtln_high_cutoff * min(1.0, vtln_warp_factor)
    if not (lower > low_freq and upper < high_freq):
        raise ValueError(
            f"{fn}: with vtln_warp_factor={vtln_warp_factor} the warped band [{lower}, {upper}] Hz "
            f"must lie inside (low_freq, high_freq) = ({low_freq}, {high_freq})"
        )
    return lower, upper


def vtln_warp_freq(
    vtln_low_cutoff: float,
    vtln_high_cutoff: float,
    low_freq: float,
    high_freq: float,
    vtln_warp_factor: float,
    freq: torch.Tensor,
) -> torch.Tensor:
    """Kaldi's piecewise-linear VTLN frequency warp.

    Frequencies in ``[low_freq, high_freq]`` are scaled by ``1 / vtln_warp_factor`` between the
    breakpoints ``l = vtln_low_cutoff * max(1, warp)`` and ``h = vtln_high_cutoff * min(1, warp)``
    and joined linearly to the band edges, which stay fixed; frequencies outside the band are
    returned unchanged.

    Shape:
        - freq: any shape (Hz). Returns the same shape.
    """
    lower, upper = _vtln_breakpoints(
        "vtln_warp_freq", vtln_low_cutoff, vtln_high_cutoff, low_freq, high_freq, vtln_warp_factor
    )
    scale = 1.0 / vtln_warp_factor
    scale_left = (scale * lower - low_freq) / (lower - low_freq)
    scale_right = (high_freq - scale * upper) / (high_freq - upper)
    warped = torch.where(
        freq < lower,
        low_freq + scale_left * (freq - low_freq),
        torch.where(freq < upper, scale * freq, high_freq + scale_right * (freq - high_freq)),
    )
    outside = (freq < low_freq) | (freq > high_freq)
    return torch.where(outside, freq, warped)


def vtln_warp_mel_freq(
    vtln_low_cutoff: float,
    vtln_high_cutoff: float,
    low_freq,
    high_freq: float,
    vtln_warp_factor: float,
    mel_freq: torch.Tensor,
) -> torch.Tensor:
    """:func:`vtln_warp_freq` applied on the mel scale (mel in, mel out).

    Shape:
        - mel_freq: any shape. Returns the same shape.
    """
    hz = inverse_mel_scale(mel_freq)
    return mel_scale(vtln_warp_freq(vtln_low_cutoff, vtln_high_cutoff, low_freq, high_freq, vtln_warp_factor, hz))


def _mel_banks_float64(num_bins, window_length_padded, sample_freq, low_freq, high_freq, vtln_low, vtln_high, vtln_warp_factor):
    fn = "get_mel_banks"
    check_int("num_bins", num_bins, fn=fn, minimum=3)  # Kaldi's minimum
    check_int("window_length_padded", window_length_padded, fn=fn, minimum=2)
    if window_length_padded % 2:
        raise ValueError(f"{fn}: window_length_padded must be even, got {window_length_padded}")
    check_positive("sample_freq", sample_freq, fn=fn)
    num_fft_bins = window_length_padded // 2
    nyquist = 0.5 * sample_freq
    if high_freq <= 0.0:
        high_freq += nyquist
    if not 0.0 <= low_freq < nyquist:
        raise ValueError(f"{fn}: low_freq must be in [0, {nyquist}) (Nyquist), got {low_freq}")
    if not 0.0 < high_freq <= nyquist or not low_freq < high_freq:
        raise ValueError(
            f"{fn}: high_freq must resolve to a frequency in (low_freq={low_freq}, {nyquist}] "
            f"(values <= 0 count back from Nyquist), got {high_freq}"
        )
    if vtln_high < 0.0:
        vtln_high += nyquist
    if vtln_warp_factor != 1.0 and not (
        low_freq < vtln_low < high_freq and 0.0 < vtln_high < high_freq and vtln_low < vtln_high
    ):
        raise ValueError(
            f"{fn}: VTLN needs low_freq < vtln_low < vtln_high < high_freq; got low_freq={low_freq}, "
            f"vtln_low={vtln_low}, vtln_high={vtln_high}, high_freq={high_freq}"
        )

    mel_low = mel_scale_scalar(low_freq)
    mel_delta = (mel_scale_scalar(high_freq) - mel_low) / (num_bins + 1)
    index = torch.arange(num_bins, dtype=torch.float64).unsqueeze(1)
    left = mel_low + index * mel_delta
    center = mel_low + (index + 1.0) * mel_delta
    right = mel_low + (index + 2.0) * mel_delta
    if vtln_warp_factor != 1.0:
        warp = lambda m: vtln_warp_mel_freq(vtln_low, vtln_high, low_freq, high_freq, vtln_warp_factor, m)  # noqa: E731
        left, center, right = warp(left), warp(center), warp(right)

    fft_bin_width = sample_freq / window_length_padded
    mel = mel_scale(fft_bin_width * torch.arange(num_fft_bins, dtype=torch.float64)).unsqueeze(0)
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    # A triangle over (left, right), peaking at center; zero elsewhere.
    rising = (mel > left) & (mel <= center)
    falling = (mel > center) & (mel < right)
    bins = torch.where(rising, up, torch.where(falling, down, torch.zeros_like(up)))
    return bins, inverse_mel_scale(center.squeeze(1))


def get_mel_banks(
    num_bins: int,
    window_length_padded: int,
    sample_freq: float,
    low_freq: float,
    high_freq: float,
    vtln_low: float,
    vtln_high: float,
    vtln_warp_factor: float,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Kaldi's triangular mel filterbank.

    Args:
        num_bins: number of mel bins.
        window_length_padded: FFT size (the padded frame length).
        sample_freq: sample rate in Hz.
        low_freq: lowest band edge in Hz.
        high_freq: highest band edge in Hz; ``<= 0`` counts back from Nyquist.
        vtln_low, vtln_high: VTLN breakpoints in Hz (``vtln_high < 0`` counts back from Nyquist).
        vtln_warp_factor: VTLN warp factor (1.0 for none).

    Returns:
        ``(bins, center_freqs)``: the weights of each mel bin on the FFT bins below Nyquist, and
        each bin's center frequency in Hz (float32, like torchaudio).

    Shape:
        - bins: ``(num_bins, window_length_padded // 2)``
        - center_freqs: ``(num_bins,)``
    """
    bins, centers = _mel_banks_float64(
        num_bins, window_length_padded, sample_freq, low_freq, high_freq, vtln_low, vtln_high, vtln_warp_factor
    )
    return bins.float(), centers.float()


# ----------------------------------------------------------------------------- cached builders


@cached()
def _mel_matrix(num_bins, padded, sample_freq, low_freq, high_freq, vtln_low, vtln_high, vtln_warp, dtype, device):
    """``(padded // 2 + 1, num_bins)`` filterbank for ``power @ matrix`` (Nyquist row is zero), and its band plan.

    The plan (see :func:`~torchsound.functional._spectral._band_plan`) lets the product skip the
    zeros of the triangles: 80 bins over 257 FFT bins take about 2.4x less time on CPU.
    """
    bins, _ = _mel_banks_float64(num_bins, padded, sample_freq, low_freq, high_freq, vtln_low, vtln_high, vtln_warp)
    matrix = torch.cat([bins, bins.new_zeros(num_bins, 1)], dim=1).T.contiguous().to(device=device, dtype=dtype)
    return matrix, _band_plan(matrix)


@cached()
def _mel_matrix_torchaudio(num_bins, padded, sample_freq, low_freq, high_freq, vtln_low, vtln_high, vtln_warp, dtype, device):
    """:func:`_mel_matrix` with torchaudio 2.8's float32 arithmetic for the triangles.

    A triangle's edge can fall within float32 rounding of an FFT bin; float32 and float64 then give that
    bin a weight of ~1e-4 or 0, which shows on a loud bin. The checks and band edges are the float64 builder's.
    """
    _mel_banks_float64(num_bins, padded, sample_freq, low_freq, high_freq, vtln_low, vtln_high, vtln_warp)  # checks
    nyquist = 0.5 * sample_freq
    high_freq = high_freq + nyquist if high_freq <= 0.0 else high_freq
    vtln_high = vtln_high + nyquist if vtln_high < 0.0 else vtln_high
    mel_low = mel_scale_scalar(low_freq)
    mel_delta = (mel_scale_scalar(high_freq) - mel_low) / (num_bins + 1)
    index = torch.arange(num_bins).unsqueeze(1)
    left = mel_low + index * mel_delta
    center = mel_low + (index + 1.0) * mel_delta
    right = mel_low + (index + 2.0) * mel_delta
    if vtln_warp != 1.0:  # torchaudio's mel conversions: exp() - 1 and log(1 + x), not expm1/log1p

        def warp(m):
            hz = vtln_warp_freq(vtln_low, vtln_high, low_freq, high_freq, vtln_warp, 700.0 * ((m / 1127.0).exp() - 1.0))
            return 1127.0 * (1.0 + hz / 700.0).log()

        left, center, right = warp(left), warp(center), warp(right)
    mel = 1127.0 * (1.0 + sample_freq / padded * torch.arange(padded / 2) / 700.0).log()
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    if vtln_warp == 1.0:
        bins = torch.clamp(torch.minimum(up, down), min=0.0)
    else:
        rising = (mel > left) & (mel <= center)
        falling = (mel > center) & (mel < right)
        bins = torch.where(rising, up, torch.where(falling, down, torch.zeros_like(up)))
    matrix = torch.cat([bins, bins.new_zeros(num_bins, 1)], dim=1).T.contiguous().to(device=device, dtype=dtype)
    return matrix, _band_plan(matrix)


@cached()
def _window(window_type, window_size, padded, blackman_coeff, dtype, device):
    """The window, followed by ``padded - window_size`` zeros (the FFT's zero padding)."""
    n = torch.arange(window_size, dtype=torch.float64)
    a = 2.0 * math.pi / (window_size - 1)
    if window_type == HANNING:
        w = 0.5 - 0.5 * torch.cos(a * n)
    elif window_type == HAMMING:
        w = 0.54 - 0.46 * torch.cos(a * n)
    elif window_type == POVEY:
        w = (0.5 - 0.5 * torch.cos(a * n)).pow(0.85)
    elif window_type == RECTANGULAR:
        w = torch.ones(window_size, dtype=torch.float64)
    else:  # BLACKMAN
        w = blackman_coeff - 0.5 * torch.cos(a * n) + (0.5 - blackman_coeff) * torch.cos(2.0 * a * n)
    w = torch.cat([w, w.new_zeros(padded - window_size)])
    return w.to(device=device, dtype=dtype)


@cached()
def _cepstral_matrix(num_ceps, num_mel_bins, cepstral_lifter, dtype, device):
    """Orthonormal DCT-II (Kaldi's ``ComputeDctMatrix``) times the cepstral lifter: ``(num_mel_bins, num_ceps)``."""
    n = torch.arange(num_mel_bins, dtype=torch.float64).unsqueeze(1)
    k = torch.arange(num_ceps, dtype=torch.float64).unsqueeze(0)
    dct = torch.cos(math.pi / num_mel_bins * (n + 0.5) * k) * math.sqrt(2.0 / num_mel_bins)
    dct[:, 0] = math.sqrt(1.0 / num_mel_bins)
    if cepstral_lifter != 0.0:
        dct = dct * (1.0 + 0.5 * cepstral_lifter * torch.sin(math.pi * k / cepstral_lifter))
    return dct.to(device=device, dtype=dtype)


@cached()
def _window_torchaudio(window_type, window_size, blackman_coeff, dtype, device):
    """The window as torchaudio 2.8 builds it (torch's window functions in ``dtype``): same rounding as torchaudio."""
    if window_type == HANNING:
        return torch.hann_window(window_size, periodic=False, device=device, dtype=dtype)
    if window_type == HAMMING:
        return torch.hamming_window(window_size, periodic=False, alpha=0.54, beta=0.46, device=device, dtype=dtype)
    if window_type == POVEY:
        return torch.hann_window(window_size, periodic=False, device=device, dtype=dtype).pow(0.85)
    if window_type == RECTANGULAR:
        return torch.ones(window_size, device=device, dtype=dtype)
    a = 2 * math.pi / (window_size - 1)
    n = torch.arange(window_size, device=device, dtype=dtype)
    return blackman_coeff - 0.5 * torch.cos(a * n) + (0.5 - blackman_coeff) * torch.cos(2 * a * n)


@cached()
def _cepstral_torchaudio(num_ceps, num_mel_bins, cepstral_lifter, dtype, device):
    """``(dct, lifter)`` as torchaudio 2.8 builds them (float32 arithmetic, then ``dtype``); ``lifter`` may be None."""
    n = torch.arange(float(num_mel_bins))
    k = torch.arange(float(num_mel_bins)).unsqueeze(1)
    dct = torch.cos(math.pi / float(num_mel_bins) * (n + 0.5) * k)
    dct[0] *= 1.0 / math.sqrt(2.0)
    dct *= math.sqrt(2.0 / float(num_mel_bins))
    dct = dct.t()
    dct[:, 0] = math.sqrt(1 / float(num_mel_bins))
    dct = dct[:, :num_ceps].to(device=device, dtype=dtype)
    if cepstral_lifter == 0.0:
        return dct, None
    lifter = 1.0 + 0.5 * cepstral_lifter * torch.sin(math.pi * torch.arange(num_ceps) / cepstral_lifter)
    return dct, lifter.to(device=device, dtype=dtype)


# ----------------------------------------------------------------------------- framing


def _next_power_of_2(x: int) -> int:
    return 1 if x == 0 else 2 ** (x - 1).bit_length()


def _select_channel(fn: str, waveform: torch.Tensor, channel: int) -> torch.Tensor:
    """``(..., channel, time)`` or ``(time,)`` -> ``(..., time)``; ``channel=-1`` means the first (mono)."""
    check_float("waveform", waveform, fn=fn)
    check_int("channel", channel, fn=fn)
    if waveform.dim() == 0:
        raise ValueError(f"{fn}: waveform must have a time dimension, got a 0-d tensor")
    num_channels = 1 if waveform.dim() == 1 else waveform.shape[-2]
    if not -1 <= channel < num_channels:
        raise ValueError(
            f"{fn}: channel must be -1 (first channel) or in [0, {num_channels - 1}] for a waveform "
            f"of shape {tuple(waveform.shape)} with {num_channels} channel(s), got {channel}"
        )
    if waveform.dim() == 1:
        return waveform
    return waveform.select(-2, max(channel, 0))


def _window_sizes(fn, num_samples, sample_frequency, frame_length, frame_shift, round_to_power_of_two, preemphasis_coefficient):
    check_positive("sample_frequency", sample_frequency, fn=fn)
    check_positive("frame_length", frame_length, fn=fn)
    check_positive("frame_shift", frame_shift, fn=fn)
    shift = int(sample_frequency * frame_shift * MILLISECONDS_TO_SECONDS)
    size = int(sample_frequency * frame_length * MILLISECONDS_TO_SECONDS)
    padded = _next_power_of_2(size) if round_to_power_of_two else size
    if size < 2:
        raise ValueError(f"{fn}: frame_length={frame_length} ms is {size} sample(s) at {sample_frequency} Hz; need at least 2")
    if size > num_samples:
        raise ValueError(
            f"{fn}: frame_length={frame_length} ms is {size} samples at {sample_frequency} Hz, longer than "
            f"the waveform ({num_samples} samples)"
        )
    if shift < 1:
        raise ValueError(f"{fn}: frame_shift={frame_shift} ms is less than one sample at {sample_frequency} Hz")
    if padded % 2:
        raise ValueError(
            f"{fn}: the frame of {padded} samples must be even for the FFT; change frame_length or set round_to_power_of_two=True"
        )
    if not 0.0 <= preemphasis_coefficient <= 1.0:
        raise ValueError(f"{fn}: preemphasis_coefficient must be in [0, 1], got {preemphasis_coefficient}")
    return size, shift, padded


def _centered_signal(x: torch.Tensor, size: int, shift: int) -> torch.Tensor:
    """The samples ``snip_edges=False`` frames cover, so that frame ``t`` starts at ``t * shift``.

    Kaldi centres frame ``t`` on ``t * shift + shift // 2`` and mirrors samples beyond the ends
    (sample ``-1`` is sample ``0``, sample ``time`` is sample ``time - 1``).
    """
    num_samples = x.shape[-1]
    num_frames = (num_samples + shift // 2) // shift
    first = shift // 2 - size // 2
    index = torch.arange(first, first + max(num_frames - 1, 0) * shift + size, device=x.device)
    index = torch.remainder(index, 2 * num_samples)
    index = torch.where(index >= num_samples, 2 * num_samples - 1 - index, index)
    signal = x.index_select(-1, index)
    return signal if num_frames > 0 else signal[..., :0]


def _energy(frames: torch.Tensor) -> torch.Tensor:
    """Sum of squares over the last dimension (a norm reduction: no squared copy of the frames)."""
    return torch.linalg.vector_norm(frames, dim=-1).square()


def _log_energy(energy: torch.Tensor, energy_floor: float) -> torch.Tensor:
    energy = energy.clamp_min(_EPS).log()
    if energy_floor > 0.0:
        energy = energy.clamp_min(math.log(energy_floor))
    return energy


def _windowed_frames_per_frame(signal, size, shift, padded, window, *, dither, remove_dc_offset, preemphasis, need_raw_energy):
    """Kaldi's ``ProcessWindow`` frame by frame (needed with dither, which differs per frame)."""
    frames = signal.unfold(-1, size, shift)
    if dither != 0.0:
        frames = frames + dither * torch.randn_like(frames)
    if remove_dc_offset:
        frames = frames - frames.mean(-1, keepdim=True)
    raw_energy = _energy(frames) if need_raw_energy else None
    if preemphasis != 0.0:
        # x[i] - c * x[i - 1], with x[-1] taken as x[0] (Kaldi's convention).
        frames = frames - preemphasis * torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
    frames = torch.nn.functional.pad(frames, (0, padded - size)) * window
    return frames, raw_energy


def _windowed_frames_fast(signal, size, shift, padded, window, *, remove_dc_offset, preemphasis, need_raw_energy):
    """``_windowed_frames_per_frame`` without dither, in fewer passes over the frames.

    Pre-emphasis is linear, so it runs once on the signal and the frames of its output are cut
    ``padded`` long (the zero tail of ``window`` masks the extra samples, which gives the FFT's zero
    padding for free). Then, with frame mean ``m``, ``(x[i] - m) - c (x[i-1] - m) = e[i] - (1 - c) m``
    for every sample but the first of each frame, which is set apart (Kaldi uses ``x[-1] = x[0]``).
    """
    raw = signal.unfold(-1, size, shift)
    mean = raw.mean(-1, keepdim=True) if remove_dc_offset else None
    raw_energy = None
    if need_raw_energy:
        raw_energy = _energy(raw - mean if remove_dc_offset else raw)
    c = preemphasis
    tail = signal.new_zeros(*signal.shape[:-1], padded - size)
    if c == 0.0:
        emphasised = torch.cat([signal, tail], dim=-1)
    else:  # (the first sample's value does not matter: it is replaced below)
        emphasised = torch.cat([signal[..., :1], torch.sub(signal[..., 1:], signal[..., :-1], alpha=c), tail], dim=-1)
    frames = emphasised.unfold(-1, padded, shift)
    frames = (frames - (1.0 - c) * mean) * window if remove_dc_offset else frames * window
    if c != 0.0:
        first = raw[..., 0] - mean[..., 0] if remove_dc_offset else raw[..., 0]
        frames[..., 0] = (1.0 - c) * first * window[0]
    return frames, raw_energy


def _windowed_frames_torchaudio(signal, size, shift, padded, window, *, dither, remove_dc_offset, preemphasis, need_raw_energy):
    """Kaldi's ``ProcessWindow`` in torchaudio 2.8's order of operations, so the frames round as torchaudio's do.

    Quiet bins of the spectrum sit at the level of the frames' rounding noise (DC removal and
    pre-emphasis cancel most of a low-frequency frame), so only the same operations in the same order
    give torchaudio's numbers there.
    """
    frames = signal.unfold(-1, size, shift)
    if dither != 0.0:
        frames = frames + torch.randn(frames.shape, device=frames.device, dtype=frames.dtype) * dither
    if remove_dc_offset:
        frames = frames - frames.mean(-1, keepdim=True)
    raw_energy = frames.pow(2).sum(-1) if need_raw_energy else None
    if preemphasis != 0.0:
        frames = frames - preemphasis * torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
    frames = torch.nn.functional.pad(frames * window, (0, padded - size))
    return frames, raw_energy


def _power_spectrum_and_energy(
    fn,
    x,
    *,
    blackman_coeff,
    dither,
    energy_floor,
    frame_length,
    frame_shift,
    preemphasis_coefficient,
    raw_energy,
    remove_dc_offset,
    round_to_power_of_two,
    sample_frequency,
    snip_edges,
    window_type,
    use_power=True,
    need_energy=True,
    precise=False,
):
    """Kaldi's per-frame processing of ``x`` ``(..., time)``. Returns ``(spectrum, log_energy or None, padded)``.

    ``spectrum`` is the power (or magnitude) spectrum ``(..., frame, padded // 2 + 1)``. ``precise`` picks
    torchsound's path (fewer passes, float64-built window) over torchaudio's order of operations.
    """
    check_choice("window_type", window_type, WINDOWS, fn=fn)
    size, shift, padded = _window_sizes(
        fn, x.shape[-1], sample_frequency, frame_length, frame_shift, round_to_power_of_two, preemphasis_coefficient
    )
    signal = x if snip_edges else _centered_signal(x, size, shift)
    options = dict(remove_dc_offset=remove_dc_offset, preemphasis=preemphasis_coefficient, need_raw_energy=need_energy and raw_energy)
    if not precise:
        window = _window_torchaudio(window_type, size, float(blackman_coeff), x.dtype, x.device)
    else:
        window = _window(window_type, size, padded, float(blackman_coeff), x.dtype, x.device)
    if signal.shape[-1] < size:  # snip_edges=False on a signal shorter than half a shift: no frame
        frames, energy = signal.new_zeros(*signal.shape[:-1], 0, padded), signal.new_zeros(*signal.shape[:-1], 0)
    elif not precise:
        frames, energy = _windowed_frames_torchaudio(signal, size, shift, padded, window, dither=dither, **options)
    elif dither != 0.0:
        frames, energy = _windowed_frames_per_frame(signal, size, shift, padded, window, dither=dither, **options)
    else:
        frames, energy = _windowed_frames_fast(signal, size, shift, padded, window, **options)
    if need_energy and not raw_energy:
        energy = _energy(frames)
    energy = _log_energy(energy, energy_floor) if need_energy else None
    if frames.numel() == 0:  # empty batch or no frame: MKL's FFT rejects empty inputs
        return frames.new_zeros(*frames.shape[:-1], padded // 2 + 1), energy, padded
    spectrum = torch.fft.rfft(frames)
    if not precise:  # torchaudio's |X|^2: a square root, then a square (3x the cost of re^2 + im^2, ~1 ulp apart)
        spectrum = spectrum.abs().pow(2.0) if use_power else spectrum.abs()
    elif use_power:
        spectrum = spectrum.real.square() + spectrum.imag.square()
    else:
        spectrum = spectrum.abs()
    return spectrum, energy, padded


def _too_short(x: torch.Tensor, min_duration: float, sample_frequency: float) -> bool:
    return x.shape[-1] < min_duration * sample_frequency


def _empty(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """torchaudio returns ``torch.empty(0)`` for a too-short waveform; a batch gets one per item."""
    return torch.empty(*x.shape[:-1], 0, device=x.device, dtype=dtype)


# Samples of work per block. On CPU about 16 s of audio at 16 kHz, whose frames (~1 MB) stay in
# cache and in the allocator's reusable memory; one huge batch-wide buffer per step is slower than
# a loop there (page faults on every fresh allocation, cache misses on every pass). An accelerator
# wants the opposite: few, large kernels, so a block holds about 17 min of 16 kHz audio (~0.2 GB
# of frames per step).
_BLOCK_SAMPLES = 1 << 18
_ACCELERATOR_BLOCK_SAMPLES = 1 << 24


def _map_rows(compute, x: torch.Tensor) -> torch.Tensor:
    """Apply ``compute`` (``(rows, time) -> (rows, frame, bin)``) to ``x`` ``(..., time)`` block by block."""
    flat = x.reshape(-1, x.shape[-1])
    block_samples = _BLOCK_SAMPLES if x.device.type == "cpu" else _ACCELERATOR_BLOCK_SAMPLES
    rows = max(1, block_samples // max(1, x.shape[-1]))
    if flat.shape[0] <= rows:
        out = compute(flat)
    else:
        out = torch.cat([compute(block) for block in flat.split(rows)], dim=0)
    return out.reshape(*x.shape[:-1], *out.shape[1:])


def _subtract_mean(feature: torch.Tensor, subtract_mean: bool) -> torch.Tensor:
    return feature - feature.mean(dim=-2, keepdim=True) if subtract_mean else feature


# ----------------------------------------------------------------------------- features


def spectrogram(
    waveform: torch.Tensor,
    blackman_coeff: float = 0.42,
    channel: int = -1,
    dither: float = 0.0,
    energy_floor: float = 1.0,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    min_duration: float = 0.0,
    preemphasis_coefficient: float = 0.97,
    raw_energy: bool = True,
    remove_dc_offset: bool = True,
    round_to_power_of_two: bool = True,
    sample_frequency: float = 16000.0,
    snip_edges: bool = True,
    subtract_mean: bool = False,
    window_type: str = "povey",
    *,
    precise: bool = False,
) -> torch.Tensor:
    """Kaldi's ``compute-spectrogram-feats``: log power spectrum with the log frame energy in bin 0.

    Args:
        waveform: audio ``(..., channel, time)`` or ``(time,)``, any float dtype.
        blackman_coeff: the constant of the ``"blackman"`` window.
        channel: channel to use; -1 takes the first.
        dither: standard deviation of Gaussian noise added to every frame (0 turns it off and
            makes the result deterministic and differentiable).
        energy_floor: floor on the frame energy (linear, not log); 0 for none.
        frame_length: frame length in milliseconds.
        frame_shift: hop in milliseconds.
        min_duration: waveforms shorter than this (seconds) give an empty result.
        preemphasis_coefficient: ``x[i] -= c * x[i - 1]`` inside each frame.
        raw_energy: compute the energy before pre-emphasis and windowing.
        remove_dc_offset: subtract each frame's mean.
        round_to_power_of_two: zero-pad frames to the next power of two for the FFT.
        sample_frequency: sample rate in Hz.
        snip_edges: only frames that fit inside the signal; otherwise ``time // shift`` frames
            (rounded) centred on the hops, with the ends mirrored.
        subtract_mean: subtract the mean over frames of each bin.
        window_type: one of ``WINDOWS`` (``"hamming"``, ``"hanning"``, ``"povey"``,
            ``"rectangular"``, ``"blackman"``).
        precise: keyword-only. ``False`` (default) rounds as torchaudio 2.8 does (its order of
            operations in the input's dtype), so results equal torchaudio's to float32 rounding even in
            quiet bins, where that rounding dominates. ``True`` takes torchsound's own path: fewer passes
            over the frames, window, filterbank and DCT built in float64 (on speech about 3x smaller
            worst-case error against a float64 computation), and faster.

    Returns:
        Tensor: the features, in the input's dtype and device.

    Shape:
        - waveform: ``(..., channel, time)`` or ``(time,)``
        - output: ``(..., frame, padded // 2 + 1)`` where ``padded`` is the frame length in samples,
          rounded up to a power of two when ``round_to_power_of_two``, and ``frame`` is
          ``1 + (time - frame_samples) // shift_samples`` with ``snip_edges`` else
          ``(time + shift_samples // 2) // shift_samples``. ``(..., 0)`` when shorter than
          ``min_duration``.
    """
    x, dtype = upcast(_select_channel("spectrogram", waveform, channel))
    if _too_short(x, min_duration, sample_frequency):
        return _empty(x, dtype)

    def compute(block):
        power, energy, _ = _power_spectrum_and_energy(
            "spectrogram", block, blackman_coeff=blackman_coeff, dither=dither,
            energy_floor=energy_floor, frame_length=frame_length, frame_shift=frame_shift,
            preemphasis_coefficient=preemphasis_coefficient, raw_energy=raw_energy,
            remove_dc_offset=remove_dc_offset, round_to_power_of_two=round_to_power_of_two,
            sample_frequency=sample_frequency, snip_edges=snip_edges, window_type=window_type, precise=precise,
        )  # fmt: skip
        feature = power.clamp_min(_EPS).log()
        feature[..., 0] = energy  # Kaldi puts the log energy where the DC bin was
        return feature

    feature = _map_rows(compute, x)
    return restore(_subtract_mean(feature, subtract_mean), dtype)


def _fbank(
    fn, x, *, blackman_coeff, dither, energy_floor, frame_length, frame_shift, high_freq,
    htk_compat, low_freq, num_mel_bins, preemphasis_coefficient, raw_energy, remove_dc_offset,
    round_to_power_of_two, sample_frequency, snip_edges, use_energy, use_log_fbank, use_power,
    vtln_high, vtln_low, vtln_warp, window_type, precise,
):  # fmt: skip
    """Mel energies ``(..., frame, num_mel_bins)`` and the log energy (``None`` unless ``use_energy``)."""
    check_int("num_mel_bins", num_mel_bins, fn=fn, minimum=3)
    spectrum, energy, padded = _power_spectrum_and_energy(
        fn, x, blackman_coeff=blackman_coeff, dither=dither,
        energy_floor=energy_floor, frame_length=frame_length, frame_shift=frame_shift,
        preemphasis_coefficient=preemphasis_coefficient, raw_energy=raw_energy,
        remove_dc_offset=remove_dc_offset, round_to_power_of_two=round_to_power_of_two,
        sample_frequency=sample_frequency, snip_edges=snip_edges, window_type=window_type,
        use_power=use_power, need_energy=use_energy, precise=precise,
    )  # fmt: skip
    bank, plan = (_mel_matrix if precise else _mel_matrix_torchaudio)(
        num_mel_bins, padded, float(sample_frequency), float(low_freq), float(high_freq), float(vtln_low),
        float(vtln_high), float(vtln_warp), spectrum.dtype, spectrum.device,
    )  # fmt: skip
    mel = _project(spectrum, bank, plan)
    if use_log_fbank:
        mel = mel.clamp_min(_EPS).log()
    return mel, energy


def fbank(
    waveform: torch.Tensor,
    blackman_coeff: float = 0.42,
    channel: int = -1,
    dither: float = 0.0,
    energy_floor: float = 1.0,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    high_freq: float = 0.0,
    htk_compat: bool = False,
    low_freq: float = 20.0,
    min_duration: float = 0.0,
    num_mel_bins: int = 23,
    preemphasis_coefficient: float = 0.97,
    raw_energy: bool = True,
    remove_dc_offset: bool = True,
    round_to_power_of_two: bool = True,
    sample_frequency: float = 16000.0,
    snip_edges: bool = True,
    subtract_mean: bool = False,
    use_energy: bool = False,
    use_log_fbank: bool = True,
    use_power: bool = True,
    vtln_high: float = -500.0,
    vtln_low: float = 100.0,
    vtln_warp: float = 1.0,
    window_type: str = "povey",
    *,
    precise: bool = False,
) -> torch.Tensor:
    """Kaldi's ``compute-fbank-feats``: log mel filterbank energies.

    Args:
        waveform: audio ``(..., channel, time)`` or ``(time,)``, any float dtype.
        high_freq: upper edge of the mel bins in Hz; ``<= 0`` counts back from Nyquist.
        htk_compat: put the energy (``use_energy``) last instead of first.
        low_freq: lower edge of the mel bins in Hz.
        num_mel_bins: number of triangular mel bins.
        use_energy: add the log frame energy as an extra coefficient.
        use_log_fbank: return log energies (else linear).
        use_power: filter the power spectrum (else the magnitude).
        vtln_high, vtln_low: VTLN breakpoints in Hz (``vtln_high < 0`` counts back from Nyquist).
        vtln_warp: VTLN warp factor (1.0 for none).
        Other arguments: as in :func:`spectrogram`.

    Returns:
        Tensor: the features, in the input's dtype and device.

    Shape:
        - waveform: ``(..., channel, time)`` or ``(time,)``
        - output: ``(..., frame, num_mel_bins + use_energy)``, ``frame`` as in :func:`spectrogram`.
    """
    x, dtype = upcast(_select_channel("fbank", waveform, channel))
    if _too_short(x, min_duration, sample_frequency):
        return _empty(x, dtype)

    def compute(block):
        mel, energy = _fbank(
            "fbank", block, blackman_coeff=blackman_coeff, dither=dither, energy_floor=energy_floor,
            frame_length=frame_length, frame_shift=frame_shift, high_freq=high_freq, htk_compat=htk_compat,
            low_freq=low_freq, num_mel_bins=num_mel_bins, preemphasis_coefficient=preemphasis_coefficient,
            raw_energy=raw_energy, remove_dc_offset=remove_dc_offset, round_to_power_of_two=round_to_power_of_two,
            sample_frequency=sample_frequency, snip_edges=snip_edges, use_energy=use_energy,
            use_log_fbank=use_log_fbank, use_power=use_power, vtln_high=vtln_high, vtln_low=vtln_low,
            vtln_warp=vtln_warp, window_type=window_type, precise=precise,
        )  # fmt: skip
        if use_energy:
            parts = [mel, energy.unsqueeze(-1)] if htk_compat else [energy.unsqueeze(-1), mel]
            mel = torch.cat(parts, dim=-1)
        return mel

    mel = _map_rows(compute, x)
    return restore(_subtract_mean(mel, subtract_mean), dtype)


def mfcc(
    waveform: torch.Tensor,
    blackman_coeff: float = 0.42,
    cepstral_lifter: float = 22.0,
    channel: int = -1,
    dither: float = 0.0,
    energy_floor: float = 1.0,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    high_freq: float = 0.0,
    htk_compat: bool = False,
    low_freq: float = 20.0,
    num_ceps: int = 13,
    min_duration: float = 0.0,
    num_mel_bins: int = 23,
    preemphasis_coefficient: float = 0.97,
    raw_energy: bool = True,
    remove_dc_offset: bool = True,
    round_to_power_of_two: bool = True,
    sample_frequency: float = 16000.0,
    snip_edges: bool = True,
    subtract_mean: bool = False,
    use_energy: bool = False,
    vtln_high: float = -500.0,
    vtln_low: float = 100.0,
    vtln_warp: float = 1.0,
    window_type: str = "povey",
    *,
    precise: bool = False,
) -> torch.Tensor:
    """Kaldi's ``compute-mfcc-feats``: DCT of the log mel energies, liftered.

    Args:
        waveform: audio ``(..., channel, time)`` or ``(time,)``, any float dtype.
        cepstral_lifter: lifter coefficient ``Q`` (coefficient ``i`` is scaled by
            ``1 + Q / 2 * sin(pi * i / Q)``); 0 for none.
        num_ceps: number of cepstra kept (at most ``num_mel_bins``).
        use_energy: replace C0 by the log frame energy.
        htk_compat: put C0 (or the energy) last, HTK-style (C0 then scaled by ``sqrt(2)``).
        Other arguments: as in :func:`fbank`.

    Returns:
        Tensor: the features, in the input's dtype and device.

    Shape:
        - waveform: ``(..., channel, time)`` or ``(time,)``
        - output: ``(..., frame, num_ceps)``, ``frame`` as in :func:`spectrogram`.
    """
    fn = "mfcc"
    check_int("num_ceps", num_ceps, fn=fn, minimum=1)
    check_int("num_mel_bins", num_mel_bins, fn=fn, minimum=3)
    if num_ceps > num_mel_bins:
        raise ValueError(f"{fn}: num_ceps must be <= num_mel_bins={num_mel_bins}, got {num_ceps}")
    x, dtype = upcast(_select_channel(fn, waveform, channel))
    if _too_short(x, min_duration, sample_frequency):
        return _empty(x, dtype)

    def compute(block):
        log_mel, energy = _fbank(
            fn, block, blackman_coeff=blackman_coeff, dither=dither, energy_floor=energy_floor,
            frame_length=frame_length, frame_shift=frame_shift, high_freq=high_freq, htk_compat=htk_compat,
            low_freq=low_freq, num_mel_bins=num_mel_bins, preemphasis_coefficient=preemphasis_coefficient,
            raw_energy=raw_energy, remove_dc_offset=remove_dc_offset, round_to_power_of_two=round_to_power_of_two,
            sample_frequency=sample_frequency, snip_edges=snip_edges, use_energy=use_energy,
            use_log_fbank=True, use_power=True, vtln_high=vtln_high, vtln_low=vtln_low,
            vtln_warp=vtln_warp, window_type=window_type, precise=precise,
        )  # fmt: skip
        if precise:
            dct = _cepstral_matrix(num_ceps, num_mel_bins, float(cepstral_lifter), log_mel.dtype, log_mel.device)
            ceps = torch.matmul(log_mel, dct)
        else:  # torchaudio's float32-built DCT, then the lifter as a separate product
            dct, lifter = _cepstral_torchaudio(num_ceps, num_mel_bins, float(cepstral_lifter), log_mel.dtype, log_mel.device)
            ceps = torch.matmul(log_mel, dct)
            if lifter is not None:
                ceps = ceps * lifter
        first = energy.unsqueeze(-1) if use_energy else ceps[..., :1]
        if htk_compat:
            # HTK keeps C0 (or the energy) last; C0 loses the DCT's 1/sqrt(2) normalisation.
            feature = torch.cat([ceps[..., 1:], first if use_energy else first * math.sqrt(2.0)], dim=-1)
        elif use_energy:
            feature = torch.cat([first, ceps[..., 1:]], dim=-1)
        else:
            feature = ceps
        return feature

    feature = _map_rows(compute, x)
    return restore(_subtract_mean(feature, subtract_mean), dtype)
