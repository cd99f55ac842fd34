"""Linear convolution of signals: direct (``convolve``) and FFT-based (``fftconvolve``)."""

from __future__ import annotations

from typing import Tuple

import torch

from .._internal.checks import check_choice, check_float
from .._internal.script import restore_s, scripted_as, upcast_s
from .._internal.dtypes import restore, upcast

_MODES = ("full", "valid", "same")


def _check(x: torch.Tensor, y: torch.Tensor, mode: str, fn: str) -> None:
    check_float("x", x, fn=fn)
    check_float("y", y, fn=fn)
    check_choice("mode", mode, _MODES, fn=fn)
    if x.ndim != y.ndim:
        raise ValueError(f"{fn}: x and y must have the same number of dimensions, got {x.ndim} and {y.ndim}")
    for i in range(x.ndim - 1):
        if x.shape[i] != y.shape[i] and x.shape[i] != 1 and y.shape[i] != 1:
            raise ValueError(f"{fn}: leading dimensions of x and y must broadcast, got {list(x.shape)} and {list(y.shape)}")
    if x.shape[-1] == 0 or y.shape[-1] == 0:
        raise ValueError(f"{fn}: x and y must have at least one sample, got {list(x.shape)} and {list(y.shape)}")


def _crop(full: torch.Tensor, x_length: int, y_length: int, mode: str) -> torch.Tensor:
    if mode == "full":
        return full
    target = max(x_length, y_length) - min(x_length, y_length) + 1 if mode == "valid" else x_length
    start = (full.shape[-1] - target) // 2
    return full[..., start : start + target]


def _odd_smooth(limit: int = 2048):
    """Odd 11-smooth numbers up to ``limit`` (odd parts of fast FFT sizes)."""
    found = {1}
    for prime in (3, 5, 7, 11):
        for value in sorted(found):
            while value * prime <= limit:
                value *= prime
                found.add(value)
    return sorted(found)


_ODD_PARTS = _odd_smooth()


def _fast_length(n: int) -> int:
    """A fast FFT size >= n: ``m * 2^a`` with ``m`` odd and 11-smooth and ``a >= 4``.

    Keeping a good power of two matters: e.g. 3^11 = 177147 is 4x slower than 176000 = 2^7 * 1375.
    """
    best = 1 << max(0, (n - 1).bit_length())
    for odd in _ODD_PARTS:
        if odd * 16 > 2 * n:
            break
        power = max(4, (-(-n // odd) - 1).bit_length())
        best = min(best, odd << power)
    return best


def _same_lead(x: torch.Tensor, y: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """``x`` and ``y`` broadcast to common leading dimensions, each keeping its own length (TorchScript path)."""
    lead = torch.broadcast_tensors(x[..., :1], y[..., :1])[0].shape[:-1]
    return x.expand(lead + [x.shape[-1]]), y.expand(lead + [y.shape[-1]])


def _fftconvolve_script(x: torch.Tensor, y: torch.Tensor, mode: str = "full") -> torch.Tensor:
    """What ``torch.jit.script(fftconvolve)`` compiles: the same product of spectra, at the plain length."""
    (xc, dtype), (yc, _) = upcast_s(x), upcast_s(y)
    xc, yc = _same_lead(xc, yc)
    n = x.shape[-1] + y.shape[-1] - 1
    if xc.numel() == 0:
        return restore_s(_crop(xc.new_zeros(xc.shape[:-1] + [n]), x.shape[-1], y.shape[-1], mode), dtype)
    full = torch.fft.irfft(torch.fft.rfft(xc, n=n) * torch.fft.rfft(yc, n=n), n=n)
    return restore_s(_crop(full, x.shape[-1], y.shape[-1], mode), dtype)


def _convolve_script(x: torch.Tensor, y: torch.Tensor, mode: str = "full") -> torch.Tensor:
    """What ``torch.jit.script(convolve)`` compiles: the same grouped ``conv1d``."""
    x_length, y_length = x.shape[-1], y.shape[-1]
    (xc, dtype), (yc, _) = upcast_s(x), upcast_s(y)
    if x_length < y_length:
        xc, yc = yc, xc
    xc, yc = _same_lead(xc, yc)
    lead = xc.shape[:-1]
    count = 1
    for size in lead:
        count *= size
    if count == 0:
        length = x_length + y_length - 1 if mode == "full" else 0
        return restore_s(xc.new_zeros(lead + [length]), dtype)
    kernel = yc.reshape(count, 1, yc.shape[-1]).flip(-1)
    full = torch.nn.functional.conv1d(xc.reshape(1, count, xc.shape[-1]), kernel, groups=count,
                                      padding=yc.shape[-1] - 1)
    return restore_s(_crop(full.reshape(lead + [-1]), x_length, y_length, mode), dtype)


@scripted_as(_fftconvolve_script)
def fftconvolve(x: torch.Tensor, y: torch.Tensor, mode: str = "full") -> torch.Tensor:
    r"""Convolve ``x`` and ``y`` along the last dimension using FFTs (fast for long ``y``).

    Args:
        x, y: signals with broadcastable leading dimensions.
        mode: ``"full"`` (length ``N + M - 1``), ``"valid"`` (``max(N, M) - min(N, M) + 1``) or
            ``"same"`` (``N``, centred like ``scipy.signal.fftconvolve``).

    Shape:
        - x: ``(..., N)``, y: ``(..., M)``
        - output: ``(..., L)`` with ``L`` set by ``mode``.
    """
    _check(x, y, mode, "fftconvolve")
    (xc, dtype), (yc, _) = upcast(x), upcast(y)
    n = x.shape[-1] + y.shape[-1] - 1
    lead = torch.broadcast_shapes(x.shape[:-1], y.shape[:-1])
    if 0 in lead:  # MKL refuses empty batches
        return restore(_crop(xc.new_zeros(*lead, n), x.shape[-1], y.shape[-1], mode), dtype)
    size = _fast_length(n)
    spectrum = torch.fft.rfft(xc, n=size) * torch.fft.rfft(yc, n=size)
    full = torch.fft.irfft(spectrum, n=size)[..., :n]
    return restore(_crop(full, x.shape[-1], y.shape[-1], mode), dtype)


@scripted_as(_convolve_script)
def convolve(x: torch.Tensor, y: torch.Tensor, mode: str = "full") -> torch.Tensor:
    r"""Convolve ``x`` and ``y`` along the last dimension directly (exact sums; best for short ``y``).

    Args:
        x, y: signals with broadcastable leading dimensions.
        mode: ``"full"``, ``"valid"`` or ``"same"`` as in :func:`fftconvolve`.

    Shape:
        - x: ``(..., N)``, y: ``(..., M)``
        - output: ``(..., L)`` with ``L`` set by ``mode``.
    """
    _check(x, y, mode, "convolve")
    x_length, y_length = x.shape[-1], y.shape[-1]
    (xc, dtype), (yc, _) = upcast(x), upcast(y)
    if x_length < y_length:
        xc, yc = yc, xc
    lead = torch.broadcast_shapes(xc.shape[:-1], yc.shape[:-1])
    xc = xc.broadcast_to(*lead, xc.shape[-1])
    yc = yc.broadcast_to(*lead, yc.shape[-1])
    count = 1
    for s in lead:
        count *= s
    if count == 0:
        return restore(xc.new_zeros(*lead, 0), dtype) if mode != "full" else restore(xc.new_zeros(*lead, x_length + y_length - 1), dtype)
    flat_x = xc.reshape(1, count, xc.shape[-1])
    kernel = yc.reshape(count, 1, yc.shape[-1]).flip(-1)
    full = torch.nn.functional.conv1d(flat_x, kernel, groups=count, padding=yc.shape[-1] - 1)
    full = full.reshape(*lead, -1)
    return restore(_crop(full, x_length, y_length, mode), dtype)
