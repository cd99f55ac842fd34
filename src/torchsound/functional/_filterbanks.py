"""Filterbanks and transforms matrices: mel, linear, Bark and chroma filterbanks, and the DCT matrix.

Each public builder returns a fresh tensor; the work is done once per argument set by a cached
builder keyed by its arguments, dtype and device. Filterbanks are computed in float64 and cast,
so float32 results are the correctly rounded values (librosa builds them in float64 too).
"""

from __future__ import annotations

import math
import warnings
from typing import Optional

import torch

from .._internal.cache import cached
from .._internal.checks import check_choice, check_int, check_positive
from .._internal.script import scripted_as

_MEL_SCALES = ("htk", "slaney")
_BARK_SCALES = ("traunmuller", "schroeder", "wang")


# --------------------------------------------------------------------------- scales


def _hz_to_mel(freq: torch.Tensor, mel_scale: str) -> torch.Tensor:
    if mel_scale == "htk":
        return 2595.0 * torch.log10(1.0 + freq / 700.0)
    # slaney: linear below 1 kHz (3 mels / 200 Hz), logarithmic above
    linear = freq / (200.0 / 3.0)
    logstep = math.log(6.4) / 27.0
    log_part = 15.0 + torch.log(freq.clamp_min(1e-10) / 1000.0) / logstep
    return torch.where(freq >= 1000.0, log_part, linear)


def _mel_to_hz(mels: torch.Tensor, mel_scale: str) -> torch.Tensor:
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    logstep = math.log(6.4) / 27.0
    linear = mels * (200.0 / 3.0)
    log_part = 1000.0 * torch.exp(logstep * (mels - 15.0))
    return torch.where(mels >= 15.0, log_part, linear)


def _hz_to_bark(freq: torch.Tensor, bark_scale: str) -> torch.Tensor:
    if bark_scale == "wang":
        return 6.0 * torch.asinh(freq / 600.0)
    if bark_scale == "schroeder":
        return 7.0 * torch.asinh(freq / 650.0)
    barks = 26.81 * freq / (1960.0 + freq) - 0.53  # traunmuller, with its low/high corrections
    barks = torch.where(barks < 2, barks + 0.15 * (2 - barks), barks)
    return torch.where(barks > 20.1, barks + 0.22 * (barks - 20.1), barks)


def _bark_to_hz(barks: torch.Tensor, bark_scale: str) -> torch.Tensor:
    if bark_scale == "wang":
        return 600.0 * torch.sinh(barks / 6.0)
    if bark_scale == "schroeder":
        return 650.0 * torch.sinh(barks / 7.0)
    # torchaudio 2.8's definition: the high-band correction is skipped when any value needs the low one (an
    # if/elif over the whole tensor), so a bank from 0 Hz to 8 kHz keeps uncorrected top corners. Followed here.
    low = barks < 2
    if bool(low.any()):
        barks = torch.where(low, (barks - 0.3) / 0.85, barks)
    else:
        barks = torch.where(barks > 20.1, (barks + 4.422) / 1.22, barks)
    return 1960.0 * (barks + 0.53) / (26.28 - barks)


def _triangular(all_freqs: torch.Tensor, f_pts: torch.Tensor) -> torch.Tensor:
    """Triangles with corners at ``f_pts`` evaluated at ``all_freqs``: (n_freqs, len(f_pts) - 2)."""
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return torch.clamp(torch.minimum(down, up), min=0.0)


def _check_band(fn: str, n_freqs, f_min, f_max, n_filters_name: str, n_filters, sample_rate) -> None:
    check_int("n_freqs", n_freqs, fn=fn, minimum=1)
    check_int(n_filters_name, n_filters, fn=fn, minimum=1)
    check_positive("sample_rate", sample_rate, fn=fn)
    check_positive("f_min", f_min, fn=fn, allow_zero=True)
    check_positive("f_max", f_max, fn=fn)
    if f_max > sample_rate / 2:
        raise ValueError(f"{fn}: f_max must be at most the Nyquist frequency {sample_rate / 2}, got {f_max!r}")
    # f_min > f_max gives a (mostly empty) bank in torchaudio and librosa, so it does here; equal edges would
    # divide by zero.
    if f_min == f_max:
        raise ValueError(f"{fn}: f_min must differ from f_max ({f_max!r}), got {f_min!r}")


def _warn_empty(fb: torch.Tensor, what: str) -> None:
    if (fb.max(dim=0).values == 0.0).any():
        warnings.warn(
            f"At least one {what} filterbank has all zero values: the number of filters may be too high "
            "or the number of frequency bins too low.",
            stacklevel=3,
        )


# --------------------------------------------------------------------------- mel / linear


@cached()
def _mel_fbanks(n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int, norm: Optional[str],
                mel_scale: str, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    f64 = torch.float64
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs, dtype=f64)
    m_min = _hz_to_mel(torch.tensor(float(f_min), dtype=f64), mel_scale)
    m_max = _hz_to_mel(torch.tensor(float(f_max), dtype=f64), mel_scale)
    f_pts = _mel_to_hz(torch.linspace(float(m_min), float(m_max), n_mels + 2, dtype=f64), mel_scale)
    fb = _triangular(all_freqs, f_pts)
    if norm is not None and norm == "slaney":
        fb = fb * (2.0 / (f_pts[2:] - f_pts[:-2])).unsqueeze(0)  # equal area per filter
    return fb.to(dtype=dtype, device=device)


def _melscale_fbanks_script(n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int,
                            norm: Optional[str] = None, mel_scale: str = "htk") -> torch.Tensor:
    """What ``torch.jit.script(melscale_fbanks)`` compiles: the builder, without argument checks or cache."""
    return _mel_fbanks(n_freqs, float(f_min), float(f_max), n_mels, sample_rate, norm, mel_scale,
                       torch.zeros(0).dtype, torch.device("cpu"))


@scripted_as(_melscale_fbanks_script)
def melscale_fbanks(
    n_freqs: int,
    f_min: float,
    f_max: float,
    n_mels: int,
    sample_rate: int,
    norm: Optional[str] = None,
    mel_scale: str = "htk",
) -> torch.Tensor:
    r"""Triangular mel filterbank (torchaudio's, numerically librosa's ``filters.mel`` transposed).

    Args:
        n_freqs: number of frequency bins of the spectrogram (``n_fft // 2 + 1``).
        f_min, f_max: lowest and highest frequency (Hz); ``f_max`` at most ``sample_rate / 2``.
        n_mels: number of mel filters.
        sample_rate: sample rate of the audio.
        norm: ``None`` or ``"slaney"`` (divide each triangle by its width in Hz: equal area).
        mel_scale: ``"htk"`` or ``"slaney"``.

    Returns:
        Tensor: float32 filterbank to multiply a spectrogram with: ``mel = spec.mT @ fb``.

    Shape:
        output: ``(n_freqs, n_mels)``.
    """
    fn = "melscale_fbanks"
    check_choice("norm", norm, (None, "slaney"), fn=fn)
    check_choice("mel_scale", mel_scale, _MEL_SCALES, fn=fn)
    _check_band(fn, n_freqs, f_min, f_max, "n_mels", n_mels, sample_rate)
    fb = _mel_fbanks(n_freqs, float(f_min), float(f_max), n_mels, sample_rate, norm, mel_scale,
                     torch.get_default_dtype(), torch.device("cpu")).clone()
    _warn_empty(fb, "mel")
    return fb


@cached()
def _linear_fbanks(n_freqs: int, f_min: float, f_max: float, n_filter: int, sample_rate: int, dtype: torch.dtype,
                   device: torch.device) -> torch.Tensor:
    f64 = torch.float64
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs, dtype=f64)
    f_pts = torch.linspace(float(f_min), float(f_max), n_filter + 2, dtype=f64)
    return _triangular(all_freqs, f_pts).to(dtype=dtype, device=device)


def _linear_fbanks_script(n_freqs: int, f_min: float, f_max: float, n_filter: int, sample_rate: int) -> torch.Tensor:
    """What ``torch.jit.script(linear_fbanks)`` compiles: the builder, without argument checks or cache."""
    return _linear_fbanks(n_freqs, float(f_min), float(f_max), n_filter, sample_rate, torch.zeros(0).dtype,
                          torch.device("cpu"))


@scripted_as(_linear_fbanks_script)
def linear_fbanks(n_freqs: int, f_min: float, f_max: float, n_filter: int, sample_rate: int) -> torch.Tensor:
    r"""Triangular filters equally spaced in Hz (used by LFCC).

    Shape:
        output: ``(n_freqs, n_filter)``.
    """
    _check_band("linear_fbanks", n_freqs, f_min, f_max, "n_filter", n_filter, sample_rate)
    return _linear_fbanks(n_freqs, float(f_min), float(f_max), n_filter, sample_rate,
                          torch.get_default_dtype(), torch.device("cpu")).clone()


# --------------------------------------------------------------------------- DCT


@cached()
def _dct(n_mfcc: int, n_mels: int, norm: Optional[str], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    n = torch.arange(n_mels, dtype=torch.float64)
    k = torch.arange(n_mfcc, dtype=torch.float64).unsqueeze(1)
    dct = torch.cos(math.pi / n_mels * (n + 0.5) * k)  # DCT-II, (n_mfcc, n_mels)
    if norm is None:
        dct = dct * 2.0
    else:
        dct[0] *= 1.0 / math.sqrt(2.0)
        dct = dct * math.sqrt(2.0 / n_mels)
    return dct.t().to(dtype=dtype, device=device)


def _create_dct_script(n_mfcc: int, n_mels: int, norm: Optional[str]) -> torch.Tensor:
    """What ``torch.jit.script(create_dct)`` compiles: the builder, without argument checks or cache."""
    return _dct(n_mfcc, n_mels, norm, torch.zeros(0).dtype, torch.device("cpu"))


@scripted_as(_create_dct_script)
def create_dct(n_mfcc: int, n_mels: int, norm: Optional[str]) -> torch.Tensor:
    r"""DCT-II matrix (``scipy.fft.dct(type=2, norm=norm)`` as a matrix), applied as ``x.mT @ dct``.

    Args:
        n_mfcc: number of coefficients kept.
        n_mels: number of input bands.
        norm: ``None`` (unnormalised, scaled by 2 like scipy) or ``"ortho"``.

    Shape:
        output: ``(n_mels, n_mfcc)``.
    """
    fn = "create_dct"
    check_int("n_mfcc", n_mfcc, fn=fn, minimum=1)
    check_int("n_mels", n_mels, fn=fn, minimum=1)
    check_choice("norm", norm, (None, "ortho"), fn=fn)
    return _dct(n_mfcc, n_mels, norm, torch.get_default_dtype(), torch.device("cpu")).clone()


# --------------------------------------------------------------------------- prototype: Bark, chroma


@cached()
def _bark_fbanks(n_freqs, f_min, f_max, n_barks, sample_rate, bark_scale, dtype, device) -> torch.Tensor:
    f64 = torch.float64
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs, dtype=f64)
    b_min = _hz_to_bark(torch.tensor(float(f_min), dtype=f64), bark_scale)
    b_max = _hz_to_bark(torch.tensor(float(f_max), dtype=f64), bark_scale)
    f_pts = _bark_to_hz(torch.linspace(float(b_min), float(b_max), n_barks + 2, dtype=f64), bark_scale)
    return _triangular(all_freqs, f_pts).to(dtype=dtype, device=device)


def barkscale_fbanks(
    n_freqs: int, f_min: float, f_max: float, n_barks: int, sample_rate: int, bark_scale: str = "traunmuller"
) -> torch.Tensor:
    r"""Triangular filters equally spaced on a Bark scale (``"traunmuller"``, ``"schroeder"`` or ``"wang"``).

    Shape:
        output: ``(n_freqs, n_barks)``.
    """
    fn = "barkscale_fbanks"
    check_choice("bark_scale", bark_scale, _BARK_SCALES, fn=fn)
    _check_band(fn, n_freqs, f_min, f_max, "n_barks", n_barks, sample_rate)
    fb = _bark_fbanks(n_freqs, float(f_min), float(f_max), n_barks, sample_rate, bark_scale,
                      torch.get_default_dtype(), torch.device("cpu")).clone()
    _warn_empty(fb, "bark")
    return fb


@cached()
def _chroma(sample_rate, n_freqs, n_chroma, tuning, ctroct, octwidth, norm, base_c, dtype, device) -> torch.Tensor:
    f64 = torch.float64
    n_fft = (n_freqs - 1) * 2
    freqs = torch.arange(1, n_fft, dtype=f64) * (sample_rate / n_fft)
    a440 = 440.0 * 2.0 ** (tuning / n_chroma)
    bins = n_chroma * torch.log2(freqs / (a440 / 16.0))  # position in chroma bins, C0-relative octaves
    bins = torch.cat([bins[:1] - 1.5 * n_chroma, bins])  # DC gets a bin 1.5 octaves below the first
    widths = torch.cat([torch.clamp(bins[1:] - bins[:-1], min=1.0), torch.ones(1, dtype=f64)])
    dist = bins.unsqueeze(0) - torch.arange(n_chroma, dtype=f64).unsqueeze(1)  # (n_chroma, n_fft)
    half = round(n_chroma / 2)
    dist = torch.remainder(dist + half + 10 * n_chroma, n_chroma) - half  # wrap to [-half, half)
    wts = torch.exp(-0.5 * (2 * dist / widths) ** 2)
    if norm is not None:
        wts = wts / torch.linalg.vector_norm(wts, ord=norm, dim=0, keepdim=True).clamp_min(torch.finfo(f64).tiny)
    if octwidth is not None:
        wts = wts * torch.exp(-0.5 * ((bins / n_chroma - ctroct) / octwidth) ** 2)
    if base_c:
        wts = torch.roll(wts, -3 * (n_chroma // 12), dims=0)
    return wts[:, :n_freqs].t().contiguous().to(dtype=dtype, device=device)


def chroma_filterbank(
    sample_rate: int,
    n_freqs: int,
    n_chroma: int,
    *,
    tuning: float = 0.0,
    ctroct: float = 5.0,
    octwidth: Optional[float] = 2.0,
    norm: Optional[float] = 2,
    base_c: bool = True,
) -> torch.Tensor:
    r"""Chroma filterbank mapping STFT bins to pitch classes (librosa's ``filters.chroma``, transposed).

    Args:
        sample_rate: sample rate; n_freqs: ``n_fft // 2 + 1``; n_chroma: bins per octave.
        tuning: deviation from A440 in fractions of a chroma bin.
        ctroct, octwidth: centre (octaves above C0) and width of the Gaussian octave weighting;
            ``octwidth=None`` disables it.
        norm: p-norm of each frequency bin's column (``None``: no normalisation).
        base_c: start the chroma axis at C (else at A).

    Shape:
        output: ``(n_freqs, n_chroma)``.
    """
    fn = "chroma_filterbank"
    check_positive("sample_rate", sample_rate, fn=fn)
    check_int("n_freqs", n_freqs, fn=fn, minimum=2)
    check_int("n_chroma", n_chroma, fn=fn, minimum=1)
    return _chroma(sample_rate, n_freqs, n_chroma, float(tuning), float(ctroct),
                   None if octwidth is None else float(octwidth), norm, bool(base_c),
                   torch.get_default_dtype(), torch.device("cpu")).clone()
