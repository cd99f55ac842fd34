"""Spectral transforms: configuration and buffers around ``torchsound.functional``."""

from __future__ import annotations

import math
import warnings
from typing import Callable, Optional, Union

import torch

from .. import functional as F
from .._internal.checks import check_choice, check_int, check_positive
from .._internal.script import restore_s, upcast_s
from ..functional import _spectral

__all__ = [
    "Spectrogram", "InverseSpectrogram", "GriffinLim", "TimeStretch", "PitchShift", "MelScale",
    "MelSpectrogram", "InverseMelScale", "MFCC", "LFCC", "AmplitudeToDB", "SpectralCentroid",
]


def _make_window(window_fn: Callable[..., torch.Tensor], win_length: int, wkwargs: Optional[dict]) -> torch.Tensor:
    return window_fn(win_length) if wkwargs is None else window_fn(win_length, **wkwargs)


def _resolve(name: str, n_fft: int, win_length: Optional[int], hop_length: Optional[int]):
    check_int("n_fft", n_fft, fn=name, minimum=1)
    win_length = win_length if win_length is not None else n_fft
    hop_length = hop_length if hop_length is not None else win_length // 2
    check_int("win_length", win_length, fn=name)
    if not 0 < win_length <= n_fft:
        raise ValueError(f"{name}: win_length must be in [1, n_fft={n_fft}], got {repr(win_length)}")
    check_int("hop_length", hop_length, fn=name)
    if hop_length <= 0:
        raise ValueError(f"{name}: hop_length must be positive, got {repr(hop_length)}")
    return win_length, hop_length


def _apply_fb(specgram: torch.Tensor, fb: torch.Tensor) -> torch.Tensor:
    """``(..., freq, time) -> (..., n_filters, time)`` through a ``(freq, n_filters)`` filterbank."""
    x, orig_dtype = upcast_s(specgram)
    return restore_s(torch.matmul(x.transpose(-1, -2), fb.to(x.dtype)).transpose(-1, -2), orig_dtype)


def _pad_mode_for(fn: str, pad_mode: Optional[str], center: bool) -> str:
    """Check ``pad_mode``; ``None`` is accepted without centering (nothing is padded), as torchaudio does."""
    if pad_mode is None:
        if center:
            raise ValueError(f"{fn}: pad_mode=None needs center=False (centering pads the signal); got center=True")
        return "reflect"  # never used: without centering no frame reaches past the signal
    check_choice("pad_mode", pad_mode, _spectral._PAD_MODES, fn=fn)
    return pad_mode


class Spectrogram(torch.nn.Module):
    r"""Spectrogram of a waveform (see :func:`torchsound.functional.spectrogram`).

    ``hop_length`` defaults to ``win_length // 2``, ``win_length`` to ``n_fft``. Keyword-only
    ``real_stft=True`` computes the STFT as a real matrix product (exportable without complex tensors).

    Shape:
        waveform: ``(..., time)``; output: ``(..., n_fft // 2 + 1, n_frames)``.
    """

    __constants__ = ["n_fft", "win_length", "hop_length", "pad", "power", "normalized"]

    def __init__(
        self,
        n_fft: int = 400,
        win_length: Optional[int] = None,
        hop_length: Optional[int] = None,
        pad: int = 0,
        window_fn: Callable[..., torch.Tensor] = torch.hann_window,
        power: Optional[float] = 2.0,
        normalized: Union[bool, str] = False,
        wkwargs: Optional[dict] = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
        return_complex: Optional[bool] = None,
        *,
        real_stft: bool = False,
    ) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.win_length, self.hop_length = _resolve("Spectrogram", n_fft, win_length, hop_length)
        pad_mode = _pad_mode_for("Spectrogram", pad_mode, center)
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))
        self.pad = pad
        self.power = power
        self.normalized = normalized
        self.center = center
        self.pad_mode = pad_mode
        self.onesided = onesided
        self.real_stft = real_stft
        if return_complex is not None:
            warnings.warn("Spectrogram: return_complex is deprecated and has no effect.", stacklevel=2)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return F.spectrogram(waveform, self.pad, self.window, self.n_fft, self.hop_length, self.win_length,
                             self.power, self.normalized, self.center, self.pad_mode, self.onesided,
                             real_stft=self.real_stft)


class InverseSpectrogram(torch.nn.Module):
    r"""Waveform from a complex spectrogram (see :func:`torchsound.functional.inverse_spectrogram`).

    Shape:
        spectrogram: ``(..., freq, n_frames)``; output: ``(..., length)``.
    """

    def __init__(
        self,
        n_fft: int = 400,
        win_length: Optional[int] = None,
        hop_length: Optional[int] = None,
        pad: int = 0,
        window_fn: Callable[..., torch.Tensor] = torch.hann_window,
        normalized: Union[bool, str] = False,
        wkwargs: Optional[dict] = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
    ) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.win_length, self.hop_length = _resolve("InverseSpectrogram", n_fft, win_length, hop_length)
        pad_mode = _pad_mode_for("InverseSpectrogram", pad_mode, center)
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))
        self.pad = pad
        self.normalized = normalized
        self.center = center
        self.pad_mode = pad_mode
        self.onesided = onesided

    def forward(self, spectrogram: torch.Tensor, length: Optional[int] = None) -> torch.Tensor:
        return F.inverse_spectrogram(spectrogram, length, self.pad, self.window, self.n_fft, self.hop_length,
                                     self.win_length, self.normalized, self.center, self.pad_mode, self.onesided)


class GriffinLim(torch.nn.Module):
    r"""Waveform from a magnitude spectrogram by fast Griffin-Lim (see :func:`torchsound.functional.griffinlim`).

    Shape:
        specgram: ``(..., n_fft // 2 + 1, n_frames)``; output: ``(..., time)``.
    """

    def __init__(
        self,
        n_fft: int = 400,
        n_iter: int = 32,
        win_length: Optional[int] = None,
        hop_length: Optional[int] = None,
        window_fn: Callable[..., torch.Tensor] = torch.hann_window,
        power: float = 2.0,
        wkwargs: Optional[dict] = None,
        momentum: float = 0.99,
        length: Optional[int] = None,
        rand_init: bool = True,
    ) -> None:
        super().__init__()
        if not 0 <= momentum < 1:
            raise ValueError(f"GriffinLim: momentum must be in [0, 1), got {repr(momentum)}")
        check_int("n_iter", n_iter, fn="GriffinLim", minimum=0)
        self.n_fft = n_fft
        self.n_iter = n_iter
        self.win_length, self.hop_length = _resolve("GriffinLim", n_fft, win_length, hop_length)
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))
        self.length = length
        self.power = power
        self.momentum = momentum
        self.rand_init = rand_init

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        return F.griffinlim(specgram, self.window, self.n_fft, self.hop_length, self.win_length, self.power,
                            self.n_iter, self.momentum, self.length, self.rand_init)


class TimeStretch(torch.nn.Module):
    r"""Stretch a complex STFT in time without changing pitch (see :func:`torchsound.functional.phase_vocoder`).

    Shape:
        complex_specgrams: ``(..., n_freq, n_frames)``; output: ``(..., n_freq, ceil(n_frames / rate))``.
    """

    # TorchScript types module attributes from their values; None needs the declared type (a real object:
    # this module's annotations are strings under ``from __future__ import annotations``)
    __annotations__ = {"fixed_rate": Optional[float]}

    def __init__(self, hop_length: Optional[int] = None, n_freq: int = 201, fixed_rate: Optional[float] = None) -> None:
        super().__init__()
        check_int("n_freq", n_freq, fn="TimeStretch", minimum=1)
        self.fixed_rate = fixed_rate
        n_fft = (n_freq - 1) * 2
        hop_length = hop_length if hop_length is not None else n_fft // 2
        self.register_buffer("phase_advance", torch.linspace(0, math.pi * hop_length, n_freq)[..., None])

    def forward(self, complex_specgrams: torch.Tensor, overriding_rate: Optional[float] = None) -> torch.Tensor:
        rate = self.fixed_rate
        if overriding_rate is not None:
            rate = overriding_rate
        if rate is None:
            raise ValueError("TimeStretch: give a rate, either fixed_rate at construction or overriding_rate; got neither")
        return F.phase_vocoder(complex_specgrams, rate, self.phase_advance)


class PitchShift(torch.nn.Module):
    r"""Shift the pitch of a waveform by ``n_steps`` (see :func:`torchsound.functional.pitch_shift`).

    Keyword-only ``pad_mode="constant"`` keeps the level of steady tones (librosa's behaviour); the
    default ``"reflect"`` is torchaudio's.

    Shape:
        waveform: ``(..., time)``; output: ``(..., time)``.
    """

    def __init__(
        self,
        sample_rate: int,
        n_steps: int,
        bins_per_octave: int = 12,
        n_fft: int = 512,
        win_length: Optional[int] = None,
        hop_length: Optional[int] = None,
        window_fn: Callable[..., torch.Tensor] = torch.hann_window,
        wkwargs: Optional[dict] = None,
        *,
        pad_mode: str = "reflect",
    ) -> None:
        super().__init__()
        check_choice("pad_mode", pad_mode, _spectral._PAD_MODES, fn="PitchShift")
        self.pad_mode = pad_mode
        self.sample_rate = sample_rate
        self.n_steps = n_steps
        self.bins_per_octave = bins_per_octave
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 4
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return F.pitch_shift(waveform, self.sample_rate, self.n_steps, self.bins_per_octave, self.n_fft,
                             self.win_length, self.hop_length, self.window, pad_mode=self.pad_mode)


class MelScale(torch.nn.Module):
    r"""Map a linear-frequency spectrogram onto mel bands (see :func:`torchsound.functional.melscale_fbanks`).

    Shape:
        specgram: ``(..., n_stft, time)``; output: ``(..., n_mels, time)``.
    """

    def __init__(
        self,
        n_mels: int = 128,
        sample_rate: int = 16000,
        f_min: float = 0.0,
        f_max: Optional[float] = None,
        n_stft: int = 201,
        norm: Optional[str] = None,
        mel_scale: str = "htk",
    ) -> None:
        super().__init__()
        self.n_mels = n_mels
        self.sample_rate = sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min = f_min
        self.norm = norm
        self.mel_scale = mel_scale
        self.register_buffer("fb", F.melscale_fbanks(n_stft, self.f_min, self.f_max, n_mels, sample_rate, norm, mel_scale))

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        if specgram.shape[-2] != self.fb.shape[0]:
            raise ValueError(f"MelScale: specgram must have n_stft={self.fb.shape[0]} frequency bins, "
                             f"got shape {list(specgram.shape)}")
        return _apply_fb(specgram, self.fb)


class MelSpectrogram(torch.nn.Module):
    r"""Mel spectrogram: :class:`Spectrogram` followed by :class:`MelScale`.

    With ``n_fft=2048, hop_length=512, pad_mode="constant", norm="slaney", mel_scale="slaney"``
    it equals ``librosa.feature.melspectrogram``'s defaults (see docs/librosa-recipe.md).
    Keyword-only ``real_stft=True`` makes it exportable without complex tensors.

    Shape:
        waveform: ``(..., time)``; output: ``(..., n_mels, n_frames)``.
    """

    __constants__ = ["sample_rate", "n_fft", "win_length", "hop_length", "pad", "n_mels", "f_min"]

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 400,
        win_length: Optional[int] = None,
        hop_length: Optional[int] = None,
        f_min: float = 0.0,
        f_max: Optional[float] = None,
        pad: int = 0,
        n_mels: int = 128,
        window_fn: Callable[..., torch.Tensor] = torch.hann_window,
        power: float = 2.0,
        normalized: bool = False,
        wkwargs: Optional[dict] = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: Optional[bool] = None,
        norm: Optional[str] = None,
        mel_scale: str = "htk",
        *,
        real_stft: bool = False,
    ) -> None:
        super().__init__()
        if onesided is not None:
            warnings.warn("MelSpectrogram: onesided is deprecated and has no effect (always one-sided).", stacklevel=2)
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.win_length, self.hop_length = _resolve("MelSpectrogram", n_fft, win_length, hop_length)
        self.pad = pad
        self.power = power
        self.normalized = normalized
        self.n_mels = n_mels
        self.f_max = f_max
        self.f_min = f_min
        self.spectrogram = Spectrogram(n_fft=n_fft, win_length=self.win_length, hop_length=self.hop_length, pad=pad,
                                       window_fn=window_fn, power=power, normalized=normalized, wkwargs=wkwargs,
                                       center=center, pad_mode=pad_mode, onesided=True, real_stft=real_stft)
        self.mel_scale = MelScale(n_mels, sample_rate, f_min, f_max, n_fft // 2 + 1, norm, mel_scale)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        # equals self.mel_scale(self.spectrogram(waveform)); fused so long inputs go block by block
        s = self.spectrogram
        return _spectral._spectrogram(waveform, s.pad, s.window, s.n_fft, s.hop_length, s.win_length, s.power,
                                      s.normalized, s.center, s.pad_mode, s.onesided, s.real_stft, self.mel_scale.fb,
                                      "MelSpectrogram")


class InverseMelScale(torch.nn.Module):
    r"""Estimate a linear-frequency spectrogram from a mel spectrogram by least squares.

    Solves ``fb.T @ spec = mel`` for each frame in closed form with ``torch.linalg.lstsq``
    (``driver`` as in torchaudio: ``"gels"``, ``"gelsy"``, ``"gelsd"``, ``"gelss"``) and clamps negatives
    to zero. For the usual underdetermined case (``n_mels < n_stft``) with ``"gels"``/``"gelsy"`` (or
    off CPU) it uses the pseudo-inverse instead: torch's gels fails on the rank-deficient banks that
    empty mel filters make, and its gelsy returns wrong solutions there; the pseudo-inverse gives the
    minimum-norm solution these drivers are meant to return. Keyword-only ``method="nnls"`` solves the non-negative least-squares problem instead
    with projected gradient descent (step ``1 / ||fb||^2``, at most ``nnls_iter`` iterations),
    started from the clamped least-squares solution.

    Shape:
        melspec: ``(..., n_mels, time)``; output: ``(..., n_stft, time)``.
    """

    def __init__(
        self,
        n_stft: int,
        n_mels: int = 128,
        sample_rate: int = 16000,
        f_min: float = 0.0,
        f_max: Optional[float] = None,
        norm: Optional[str] = None,
        mel_scale: str = "htk",
        driver: str = "gels",
        *,
        method: str = "lstsq",
        nnls_iter: int = 200,
    ) -> None:
        super().__init__()
        check_choice("driver", driver, ("gels", "gelsy", "gelsd", "gelss"), fn="InverseMelScale")
        check_choice("method", method, ("lstsq", "nnls"), fn="InverseMelScale")
        check_int("nnls_iter", nnls_iter, fn="InverseMelScale", minimum=0)
        self.n_mels = n_mels
        self.sample_rate = sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min = f_min
        self.driver = driver
        self.method = method
        self.nnls_iter = nnls_iter
        self.register_buffer("fb", F.melscale_fbanks(n_stft, f_min, self.f_max, n_mels, sample_rate, norm, mel_scale))

    def forward(self, melspec: torch.Tensor) -> torch.Tensor:
        return _inverse_fb(melspec, self.fb, self.driver, self.method, self.nnls_iter, "InverseMelScale")


def _inverse_fb(melspec: torch.Tensor, fb: torch.Tensor, driver: str, method: str, nnls_iter: int, name: str) -> torch.Tensor:
    """Least-squares (optionally non-negative) inverse of a ``(freq, n_filters)`` filterbank."""
    if melspec.shape[-2] != fb.shape[1]:
        raise ValueError(f"{name}: expected {fb.shape[1]} filter bands in dim -2, got shape {list(melspec.shape)}")
    x, orig_dtype = upcast_s(melspec)
    shape = x.shape
    x = x.reshape(-1, shape[-2], shape[-1])
    a = fb.to(x.dtype).transpose(0, 1)  # (n_filters, freq)
    if x.shape[0] == 0:
        return restore_s(x.new_zeros(list(shape[:-2]) + [fb.shape[0], shape[-1]]), orig_dtype)
    if a.shape[0] < a.shape[1] and (driver == "gels" or driver == "gelsy" or x.device.type != "cpu"):
        # Underdetermined (fewer bands than bins, the usual case): torch's gels needs full rank (and
        # m >= n on CUDA), and its gelsy returns wrong solutions here. The minimum-norm solution these
        # drivers are meant to give is the pseudo-inverse's.
        spec = torch.linalg.pinv(a) @ x
    else:
        spec = torch.linalg.lstsq(a.expand(x.shape[0], -1, -1), x, driver=driver).solution
    spec = torch.relu(spec)
    if method == "nnls":
        gram = a.t() @ a
        step = 1.0 / torch.linalg.matrix_norm(a, ord=2).square()
        rhs = a.t() @ x
        for _ in range(nnls_iter):
            spec = torch.relu(spec - step * (gram @ spec - rhs))
    return restore_s(spec.reshape(shape[:-2] + spec.shape[-2:]), orig_dtype)


class AmplitudeToDB(torch.nn.Module):
    r"""Power or magnitude to decibels (see :func:`torchsound.functional.amplitude_to_DB`).

    Shape:
        x: ``(..., freq, time)``; output: same.
    """

    __constants__ = ["multiplier", "amin", "ref_value", "db_multiplier"]

    def __init__(self, stype: str = "power", top_db: Optional[float] = None) -> None:
        super().__init__()
        check_choice("stype", stype, ("power", "magnitude"), fn="AmplitudeToDB")
        if top_db is not None:
            check_positive("top_db", top_db, fn="AmplitudeToDB", allow_zero=True)
        self.stype = stype
        self.top_db = top_db
        self.multiplier = 10.0 if stype == "power" else 20.0
        self.amin = 1e-10
        self.ref_value = 1.0
        self.db_multiplier = math.log10(max(self.amin, self.ref_value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.amplitude_to_DB(x, self.multiplier, self.amin, self.db_multiplier, self.top_db)


def _cepstrum(x: torch.Tensor, dct_mat: torch.Tensor, log_input: bool, top_db: float) -> torch.Tensor:
    """DCT over bands of a filterbank energy, after log (``log(x + 1e-6)``) or power dB floored at ``top_db``."""
    y, orig_dtype = upcast_s(x)
    y = torch.log(y + 1e-6) if log_input else F.amplitude_to_DB(y, 10.0, 1e-10, 0.0, top_db)
    return restore_s(torch.matmul(y.transpose(-1, -2), dct_mat.to(y.dtype)).transpose(-1, -2), orig_dtype)


class MFCC(torch.nn.Module):
    r"""Mel-frequency cepstral coefficients: MelSpectrogram, dB (top_db 80) or ``log(x + 1e-6)``, DCT-II.

    ``melkwargs`` go to :class:`MelSpectrogram`. With ``norm="ortho"`` and the librosa recipe's
    ``melkwargs`` it equals ``librosa.feature.mfcc``.

    Shape:
        waveform: ``(..., time)``; output: ``(..., n_mfcc, n_frames)``.
    """

    __constants__ = ["sample_rate", "n_mfcc", "dct_type", "top_db", "log_mels"]

    def __init__(
        self,
        sample_rate: int = 16000,
        n_mfcc: int = 40,
        dct_type: int = 2,
        norm: str = "ortho",
        log_mels: bool = False,
        melkwargs: Optional[dict] = None,
    ) -> None:
        super().__init__()
        if dct_type != 2:
            raise ValueError(f"MFCC: dct_type must be 2 (the only DCT type supported), got {repr(dct_type)}")
        self.sample_rate = sample_rate
        self.n_mfcc = n_mfcc
        self.dct_type = dct_type
        self.norm = norm
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        melkwargs = dict(melkwargs or {})
        self.MelSpectrogram = MelSpectrogram(sample_rate=sample_rate, **melkwargs)
        if n_mfcc > self.MelSpectrogram.n_mels:
            raise ValueError(f"MFCC: n_mfcc must be at most n_mels={self.MelSpectrogram.n_mels}, got {repr(n_mfcc)}")
        self.register_buffer("dct_mat", F.create_dct(n_mfcc, self.MelSpectrogram.n_mels, norm))
        self.log_mels = log_mels

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return _cepstrum(self.MelSpectrogram(waveform), self.dct_mat, self.log_mels, self.top_db)


class LFCC(torch.nn.Module):
    r"""Linear-frequency cepstral coefficients: Spectrogram, linear triangular filters, dB or log, DCT-II.

    Shape:
        waveform: ``(..., time)``; output: ``(..., n_lfcc, n_frames)``.
    """

    __constants__ = ["sample_rate", "n_filter", "n_lfcc", "dct_type", "top_db", "log_lf"]

    def __init__(
        self,
        sample_rate: int = 16000,
        n_filter: int = 128,
        f_min: float = 0.0,
        f_max: Optional[float] = None,
        n_lfcc: int = 40,
        dct_type: int = 2,
        norm: str = "ortho",
        log_lf: bool = False,
        speckwargs: Optional[dict] = None,
    ) -> None:
        super().__init__()
        if dct_type != 2:
            raise ValueError(f"LFCC: dct_type must be 2 (the only DCT type supported), got {repr(dct_type)}")
        self.sample_rate = sample_rate
        self.f_min = f_min
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.n_filter = n_filter
        self.n_lfcc = n_lfcc
        self.dct_type = dct_type
        self.norm = norm
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.Spectrogram = Spectrogram(**dict(speckwargs or {}))
        if n_lfcc > n_filter:
            raise ValueError(f"LFCC: n_lfcc must be at most n_filter={n_filter}, got {repr(n_lfcc)}")
        self.register_buffer("filter_mat", F.linear_fbanks(self.Spectrogram.n_fft // 2 + 1, self.f_min, self.f_max,
                                                           n_filter, sample_rate))
        self.register_buffer("dct_mat", F.create_dct(n_lfcc, n_filter, norm))
        self.log_lf = log_lf

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        s = self.Spectrogram
        energies = _spectral._spectrogram(waveform, s.pad, s.window, s.n_fft, s.hop_length, s.win_length, s.power,
                                          s.normalized, s.center, s.pad_mode, s.onesided, s.real_stft, self.filter_mat,
                                          "LFCC")
        return _cepstrum(energies, self.dct_mat, self.log_lf, self.top_db)


class SpectralCentroid(torch.nn.Module):
    r"""Spectral centroid in Hz of each frame (see :func:`torchsound.functional.spectral_centroid`).

    Shape:
        waveform: ``(..., time)``; output: ``(..., n_frames)``.
    """

    def __init__(
        self,
        sample_rate: int,
        n_fft: int = 400,
        win_length: Optional[int] = None,
        hop_length: Optional[int] = None,
        pad: int = 0,
        window_fn: Callable[..., torch.Tensor] = torch.hann_window,
        wkwargs: Optional[dict] = None,
    ) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.win_length, self.hop_length = _resolve("SpectralCentroid", n_fft, win_length, hop_length)
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))
        self.pad = pad

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return F.spectral_centroid(waveform, self.sample_rate, self.pad, self.window, self.n_fft,
                                   self.hop_length, self.win_length)
