"""FIR design and time-varying filtering (``torchsound.prototype.functional``)."""

from __future__ import annotations

import warnings

import torch

from .._internal.checks import check_float, check_int
from ._convolution import fftconvolve


def sinc_impulse_response(cutoff: torch.Tensor, window_size: int = 513, high_pass: bool = False) -> torch.Tensor:
    r"""Hamming-windowed sinc low-pass (or high-pass) filters, normalised to unit DC gain.

    Args:
        cutoff: cutoff frequencies as a fraction of Nyquist (``0 .. 1``).
        window_size: odd filter length.
        high_pass: return ``delta - lowpass`` instead.

    Shape:
        - cutoff: ``(...)``
        - output: ``(..., window_size)``
    """
    fn = "sinc_impulse_response"
    check_float("cutoff", cutoff, fn=fn)
    check_int("window_size", window_size, fn=fn, minimum=1)
    if window_size % 2 == 0:
        raise ValueError(f"{fn}: window_size must be odd, got {window_size}")
    half = window_size // 2
    idx = torch.linspace(-half, half, window_size, device=cutoff.device, dtype=cutoff.dtype)
    window = torch.hamming_window(window_size, periodic=False, device=cutoff.device, dtype=cutoff.dtype)
    taps = torch.special.sinc(cutoff.unsqueeze(-1) * idx) * window
    taps = taps / taps.sum(dim=-1, keepdim=True).abs()
    if high_pass:
        delta = torch.zeros(window_size, device=cutoff.device, dtype=cutoff.dtype)
        delta[half] = 1.0
        taps = delta - taps
    return taps


def frequency_impulse_response(magnitudes: torch.Tensor) -> torch.Tensor:
    r"""Zero-phase FIR from a desired magnitude response (inverse real FFT, centred, Hann-windowed).

    Shape:
        - magnitudes: ``(..., num_fft_bins)``
        - output: ``(..., 2 * (num_fft_bins - 1))``
    """
    check_float("magnitudes", magnitudes, fn="frequency_impulse_response")
    if not torch.compiler.is_compiling() and magnitudes.numel() and bool(magnitudes.min() < 0):
        warnings.warn("frequency_impulse_response: magnitudes should be non-negative", stacklevel=2)
    if magnitudes.numel() == 0:  # MKL refuses empty batches
        return magnitudes.new_zeros(*magnitudes.shape[:-1], 2 * (magnitudes.shape[-1] - 1))
    ir = torch.fft.fftshift(torch.fft.irfft(magnitudes), dim=-1)
    window = torch.hann_window(ir.shape[-1], periodic=False, device=ir.device, dtype=ir.dtype)
    return ir * window


def filter_waveform(waveform: torch.Tensor, kernels: torch.Tensor, delay_compensation: int = -1) -> torch.Tensor:
    r"""Time-varying FIR filtering: split ``waveform`` into ``num_filters`` chunks, filter chunk ``i``
    with kernel ``i``, overlap-add, and crop to the input length (removing ``delay_compensation``
    samples of delay, default ``filter_length // 2``).

    Shape:
        - waveform: ``(..., time)``
        - kernels: ``(num_filters, filter_length)`` or ``(..., num_filters, filter_length)``
        - output: ``(..., time)``
    """
    fn = "filter_waveform"
    check_float("waveform", waveform, fn=fn)
    check_float("kernels", kernels, fn=fn)
    if kernels.ndim not in (2, waveform.ndim + 1):
        raise ValueError(f"{fn}: kernels must be 2-D or have waveform.ndim + 1 = {waveform.ndim + 1} dimensions, got {kernels.ndim}")
    num_filters, filter_size = kernels.shape[-2:]
    num_frames = waveform.shape[-1]
    if delay_compensation > filter_size:
        raise ValueError(f"{fn}: delay_compensation must not exceed the filter length {filter_size}, got {delay_compensation}")
    if num_filters > num_frames:
        raise ValueError(f"{fn}: more filters ({num_filters}) than samples ({num_frames})")
    chunk = -(-num_frames // num_filters)
    padded = torch.nn.functional.pad(waveform, (0, chunk * num_filters - num_frames))
    chunks = padded.unfold(-1, chunk, chunk)  # (..., num_filters, chunk)
    if kernels.ndim == 2:
        kernels = kernels.expand(*waveform.shape[:-1], num_filters, filter_size)
    convolved = fftconvolve(chunks, kernels.to(chunks.dtype))  # (..., num_filters, chunk + filter_size - 1)
    # Overlap-add with hop ``chunk``: fold is a vectorised overlap-add.
    lead = convolved.shape[:-2]
    frames = convolved.reshape(-1, num_filters, convolved.shape[-1]).transpose(1, 2)
    total = (num_filters - 1) * chunk + convolved.shape[-1]
    restored = torch.nn.functional.fold(frames, (1, total), (1, convolved.shape[-1]), stride=(1, chunk))
    restored = restored.reshape(*lead, total)
    start = delay_compensation if delay_compensation >= 0 else filter_size // 2
    return restored[..., start : start + num_frames]
