"""Prototype scale transforms: Bark and chroma filterbanks over a spectrogram."""

from __future__ import annotations

import math
from typing import Callable, Optional

import torch

from ..functional import _filterbanks
from ._spectral import Spectrogram, _apply_fb

__all__ = ["BarkScale", "BarkSpectrogram", "InverseBarkScale", "ChromaScale", "ChromaSpectrogram"]


class BarkScale(torch.nn.Module):
    r"""Map a linear-frequency spectrogram onto Bark bands (see ``prototype.functional.barkscale_fbanks``).

    Shape:
        specgram: ``(..., n_stft, time)``; output: ``(..., n_barks, time)``.
    """

    def __init__(
        self,
        n_barks: int = 128,
        sample_rate: int = 16000,
        f_min: float = 0.0,
        f_max: Optional[float] = None,
        n_stft: int = 201,
        bark_scale: str = "traunmuller",
    ) -> None:
        super().__init__()
        self.n_barks = n_barks
        self.sample_rate = sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min = f_min
        self.bark_scale = bark_scale
        self.register_buffer("fb", _filterbanks.barkscale_fbanks(n_stft, f_min, self.f_max, n_barks, sample_rate, bark_scale))

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        if specgram.shape[-2] != self.fb.shape[0]:
            raise ValueError(f"BarkScale: specgram must have n_stft={self.fb.shape[0]} frequency bins, got shape {list(specgram.shape)}")
        return _apply_fb(specgram, self.fb)


class InverseBarkScale(torch.nn.Module):
    r"""Estimate a linear-frequency spectrogram from a Bark spectrogram by least squares.

    Non-negative least squares, as torchaudio's SGD approximates, but deterministic and fast: the
    minimum-norm least-squares solution (pseudo-inverse, so rank-deficient banks work: more Bark
    bands than frequency bins, or empty bands) clamped at zero, refined by accelerated projected
    gradient (FISTA) in float64. On consistent input the Bark spectrogram of the result matches the
    input to ~1e-8 relative where torchaudio's SGD stops near 1e-4. Bins no band covers come out 0
    (torchaudio leaves them at their random start). ``max_iter``, ``tolerance_loss``,
    ``tolerance_change`` and ``sgdargs`` are accepted for signature compatibility and have no effect.

    Shape:
        barkspec: ``(..., n_barks, time)``; output: ``(..., n_stft, time)``.
    """

    def __init__(
        self,
        n_stft: int,
        n_barks: int = 128,
        sample_rate: int = 16000,
        f_min: float = 0.0,
        f_max: Optional[float] = None,
        max_iter: int = 100000,
        tolerance_loss: float = 1e-5,
        tolerance_change: float = 1e-8,
        sgdargs: Optional[dict] = None,
        bark_scale: str = "traunmuller",
    ) -> None:
        super().__init__()
        self.n_barks = n_barks
        self.sample_rate = sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min = f_min
        self.register_buffer("fb", _filterbanks.barkscale_fbanks(n_stft, f_min, self.f_max, n_barks, sample_rate, bark_scale))

    def forward(self, barkspec: torch.Tensor) -> torch.Tensor:
        if barkspec.shape[-2] != self.fb.shape[1]:
            raise ValueError(
                f"InverseBarkScale: expected {self.fb.shape[1]} Bark bands in dim -2, got shape {list(barkspec.shape)}"
            )
        shape = barkspec.shape
        x = barkspec.reshape(-1, shape[-2], shape[-1]).to(torch.float64)
        spec = _nonnegative_least_squares(self.fb.to(torch.float64).transpose(0, 1), x)
        return spec.reshape(list(shape[:-2]) + [self.fb.shape[0], shape[-1]]).to(barkspec.dtype)


def _nonnegative_least_squares(a: torch.Tensor, x: torch.Tensor, max_iter: int = 300) -> torch.Tensor:
    """``argmin_{s >= 0} ||a s - x||`` for each column of ``x``: ``a`` ``(m, n)``, ``x`` ``(batch, m, k)`` -> ``(batch, n, k)``.

    Starts from the clamped pseudo-inverse solution (SVD: rank-deficient ``a`` is fine; a QR driver
    such as gels rejects it) and runs FISTA (projected gradient with Nesterov momentum, step
    ``1 / ||a||^2``) until the iterate stops moving (relative change below 1e-12) or ``max_iter``.
    Ill-conditioned banks need float64: their pseudo-inverse has large entries that cancel.
    """
    if x.shape[0] == 0 or x.shape[-1] == 0:
        return x.new_zeros(x.shape[0], a.shape[1], x.shape[-1])
    gram = a.transpose(0, 1) @ a
    rhs = torch.matmul(a.transpose(0, 1), x)
    step = 1.0 / float(torch.linalg.matrix_norm(a, ord=2)) ** 2 if bool(a.any()) else 0.0
    spec = torch.relu(torch.matmul(torch.linalg.pinv(a), x))
    momentum_point = spec
    t = 1.0
    for i in range(max_iter):
        new = torch.relu(momentum_point - step * (torch.matmul(gram, momentum_point) - rhs))
        t_next = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        momentum_point = new + ((t - 1.0) / t_next) * (new - spec)
        change = (new - spec).norm() if i % 20 == 19 else None
        spec, t = new, t_next
        if change is not None and float(change) <= 1e-12 * float(spec.norm()):
            break
    return spec


class BarkSpectrogram(torch.nn.Module):
    r"""Bark spectrogram: :class:`~torchsound.transforms.Spectrogram` then :class:`BarkScale`.

    Shape:
        waveform: ``(..., time)``; output: ``(..., n_barks, n_frames)``.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 400,
        win_length: Optional[int] = None,
        hop_length: Optional[int] = None,
        f_min: float = 0.0,
        f_max: Optional[float] = None,
        pad: int = 0,
        n_barks: int = 128,
        window_fn: Callable[..., torch.Tensor] = torch.hann_window,
        power: float = 2.0,
        normalized: bool = False,
        wkwargs: Optional[dict] = None,
        center: bool = True,
        pad_mode: str = "reflect",
        bark_scale: str = "traunmuller",
    ) -> None:
        super().__init__()
        self.spectrogram = Spectrogram(n_fft=n_fft, win_length=win_length, hop_length=hop_length, pad=pad,
                                       window_fn=window_fn, power=power, normalized=normalized, wkwargs=wkwargs,
                                       center=center, pad_mode=pad_mode, onesided=True)
        self.bark_scale = BarkScale(n_barks, sample_rate, f_min, f_max, n_fft // 2 + 1, bark_scale)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.bark_scale(self.spectrogram(waveform))


class ChromaScale(torch.nn.Module):
    r"""Map a linear-frequency spectrogram onto ``n_chroma`` pitch classes (see ``prototype.functional.chroma_filterbank``).

    Shape:
        specgram: ``(..., n_freqs, time)``; output: ``(..., n_chroma, time)``.
    """

    def __init__(
        self,
        sample_rate: int,
        n_freqs: int,
        *,
        n_chroma: int = 12,
        tuning: float = 0.0,
        ctroct: float = 5.0,
        octwidth: Optional[float] = 2.0,
        norm: int = 2,
        base_c: bool = True,
    ) -> None:
        super().__init__()
        self.register_buffer("fb", _filterbanks.chroma_filterbank(sample_rate, n_freqs, n_chroma, tuning=tuning,
                                                                  ctroct=ctroct, octwidth=octwidth, norm=norm,
                                                                  base_c=base_c))

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        if specgram.shape[-2] != self.fb.shape[0]:
            raise ValueError(f"ChromaScale: specgram must have n_freqs={self.fb.shape[0]} frequency bins, got shape {list(specgram.shape)}")
        return _apply_fb(specgram, self.fb)


class ChromaSpectrogram(torch.nn.Module):
    r"""Chromagram: :class:`~torchsound.transforms.Spectrogram` then :class:`ChromaScale`.

    Shape:
        waveform: ``(..., time)``; output: ``(..., n_chroma, n_frames)``.
    """

    def __init__(
        self,
        sample_rate: int,
        n_fft: int,
        *,
        win_length: Optional[int] = None,
        hop_length: Optional[int] = None,
        pad: int = 0,
        window_fn: Callable[..., torch.Tensor] = torch.hann_window,
        power: float = 2.0,
        normalized: bool = False,
        wkwargs: Optional[dict] = None,
        center: bool = True,
        pad_mode: str = "reflect",
        n_chroma: int = 12,
        tuning: float = 0.0,
        ctroct: float = 5.0,
        octwidth: Optional[float] = 2.0,
        norm: int = 2,
        base_c: bool = True,
    ) -> None:
        super().__init__()
        self.spectrogram = Spectrogram(n_fft=n_fft, win_length=win_length, hop_length=hop_length, pad=pad,
                                       window_fn=window_fn, power=power, normalized=normalized, wkwargs=wkwargs,
                                       center=center, pad_mode=pad_mode, onesided=True)
        self.chroma_scale = ChromaScale(sample_rate, n_fft // 2 + 1, n_chroma=n_chroma, tuning=tuning, ctroct=ctroct,
                                        octwidth=octwidth, norm=norm, base_c=base_c)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.chroma_scale(self.spectrogram(waveform))
