"""Short-time Fourier analysis and synthesis, and what is built directly on it.

The forward STFT frames the padded signal with ``Tensor.unfold`` (a view), multiplies by the
window and takes ``torch.fft.rfft`` of each frame. It gives ``torch.stft``'s result to float
rounding, and keeps the natural ``(frame, freq)`` memory layout, so a following filterbank matmul
(``spec.mT @ fb``) reads contiguous rows without a copy. ``real_stft=True`` computes the same STFT
as a real matrix product with a cached windowed DFT basis: no complex tensor and no FFT operator
in the graph, for ``torch.export`` / ONNX consumers that lack complex support.

Long inputs go through the frames in cache-sized blocks without ever building the padded signal,
and a triangular filterbank that follows (MelSpectrogram, LFCC) is applied band by band.

The inverse is a window-square normalised overlap-add (strided adds of hop-long pieces). Unlike
``torch.istft`` it divides only where the window envelope is non-zero, so ``center=False`` with a
Hann window works (as in librosa) instead of raising.
"""

from __future__ import annotations

import math
import warnings
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as nnf

from .._internal.cache import cached
from .._internal.checks import (
    check_choice,
    check_complex,
    check_float,
    check_int,
    check_positive,
    check_tensor,
)
from .._internal.dtypes import restore, upcast
from .._internal.script import real_dtype_s, restore_s, scripted_as, upcast_s
from ._resampling import resample

_PAD_MODES = ("reflect", "constant", "replicate", "circular")
_NORMALIZED = (False, True, "window", "frame_length")


# --------------------------------------------------------------------------- argument checks


def _check_stft_args(fn: str, n_fft, hop_length, win_length, window: Optional[torch.Tensor], pad_mode, normalized) -> None:
    check_int("n_fft", n_fft, fn=fn, minimum=1)
    check_int("hop_length", hop_length, fn=fn)
    if hop_length <= 0:
        raise ValueError(f"{fn}: hop_length must be positive, got {hop_length!r}")
    check_int("win_length", win_length, fn=fn)
    if not 0 < win_length <= n_fft:
        raise ValueError(f"{fn}: win_length must be in [1, n_fft={n_fft}], got {win_length!r}")
    if window is not None:
        check_tensor("window", window, fn=fn)
        if window.dim() != 1 or window.numel() != win_length:
            raise ValueError(f"{fn}: window must be 1-D of length win_length={win_length}, got shape {tuple(window.shape)}")
    check_choice("pad_mode", pad_mode, _PAD_MODES, fn=fn)
    if not any(normalized is v or (isinstance(v, str) and normalized == v) for v in _NORMALIZED):
        raise ValueError(f"{fn}: normalized must be one of False, True, 'window', 'frame_length'; got {normalized!r}")


def _norms(normalized: Union[bool, str]) -> Tuple[bool, bool]:
    """(divide by sqrt(n_fft), divide by the window's L2 norm)."""
    if isinstance(normalized, str):
        return normalized == "frame_length", normalized == "window"
    return False, normalized is True


def _padded_window(window: torch.Tensor, n_fft: int, dtype: torch.dtype) -> torch.Tensor:
    window = window.to(dtype)
    left = (n_fft - window.numel()) // 2
    if left != 0 or window.numel() != n_fft:
        window = nnf.pad(window, [left, n_fft - window.numel() - left])
    return window


def _edges(x: torch.Tensor, n_fft: int, pad_mode: str, fn: str) -> Tuple[torch.Tensor, torch.Tensor]:
    """What ``torch.stft(center=True)`` pads on the left and right of ``(batch, time)``: ``n_fft // 2`` samples each.

    Reflection is two flipped slices: several times cheaper on CPU than the reflection_pad1d kernel
    that ``torch.stft`` and ``F.pad(mode="reflect")`` use.
    """
    half = n_fft // 2
    length = x.shape[-1]
    if pad_mode == "reflect" and length <= half:
        raise ValueError(
            f"{fn}: n_fft={n_fft} needs a signal longer than n_fft // 2 = {half} samples for "
            f"pad_mode='reflect', got {length} samples"
        )
    if pad_mode == "circular" and length < half:
        raise ValueError(f"{fn}: n_fft={n_fft} needs at least n_fft // 2 = {half} samples for pad_mode='circular', "
                         f"got {length} samples")
    if half == 0:
        return x[..., :0], x[..., :0]
    if pad_mode == "reflect":
        return x[..., 1 : half + 1].flip(-1), x[..., -half - 1 : -1].flip(-1)
    if pad_mode == "replicate":
        return x[..., :1].expand(x.shape[0], half), x[..., -1:].expand(x.shape[0], half)
    if pad_mode == "circular":
        return x[..., length - half :], x[..., :half]
    zeros = x.new_zeros(x.shape[0], half)
    return zeros, zeros


@cached()
def _dft_basis(n_fft: int, n_freq: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``[cos | -sin]`` DFT basis, (n_fft, 2 * n_freq), built in float64 with exact integer phase."""
    n = torch.arange(n_fft, dtype=torch.float64)
    k = torch.arange(n_freq, dtype=torch.float64)
    phase = 2 * math.pi * torch.remainder(torch.outer(n, k), n_fft) / n_fft
    return torch.cat([torch.cos(phase), -torch.sin(phase)], dim=1).to(dtype=dtype, device=device)


def _framer(x: torch.Tensor, n_fft: int, hop_length: int, center: bool, pad_mode: str, fn: str):
    """``(n_frames, frames_of)`` for ``(batch, time)``: ``frames_of(first, count)`` is the
    ``(batch, count, n_fft)`` strided view of those frames of the (centre-padded) signal.

    The padded signal is never built: interior frames view ``x`` directly, and only blocks that
    reach into the padding concatenate the (small) edge pieces.
    """
    length = x.shape[-1]
    half = n_fft // 2 if center else 0
    left, right = _edges(x, n_fft, pad_mode, fn) if center else (x[..., :0], x[..., :0])
    if length + 2 * half < n_fft:
        raise ValueError(
            f"{fn}: n_fft={n_fft} is larger than the {'padded ' if center else ''}signal "
            f"({length + 2 * half} samples)"
        )
    n_frames = 1 + (length + 2 * half - n_fft) // hop_length

    def frames_of(first: int, count: int) -> torch.Tensor:
        start = first * hop_length  # in padded coordinates
        stop = start + (count - 1) * hop_length + n_fft
        pieces = []
        if start < half:
            pieces.append(left[..., start : min(stop, half)])
        lo, hi = max(start, half) - half, min(stop, half + length) - half
        if hi > lo:
            pieces.append(x[..., lo:hi])
        if stop > half + length:
            pieces.append(right[..., max(start - half - length, 0) : stop - half - length])
        segment = pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=-1)
        return segment.unfold(-1, n_fft, hop_length)

    return n_frames, frames_of


# Frame samples per block (4 MB in float32). Long inputs are transformed block by block along the
# frame axis, so intermediates (windowed frames, complex spectra, powers) stay cache-sized and reuse
# allocator memory instead of faulting in fresh pages: 3x faster on a 10-minute clip.
_BLOCK_ELEMENTS = 1 << 20


def _blockwise(batch: int, n_frames: int, n_fft: int, frames_of, per_block) -> torch.Tensor:
    """``per_block`` over blocks of frames (from ``frames_of``) along the frame axis, concatenated.

    Inputs up to four blocks' worth go in one piece: each block costs a few more parallel regions,
    which only pays off once the intermediates are far larger than the cache.
    """
    step = max(1, _BLOCK_ELEMENTS // max(1, batch * n_fft))
    if batch * n_frames * n_fft <= 4 * _BLOCK_ELEMENTS or torch.compiler.is_compiling():
        return per_block(frames_of(0, n_frames))
    blocks = [per_block(frames_of(i, min(step, n_frames - i))) for i in range(0, n_frames, step)]
    return torch.cat(blocks, dim=1)


def _stft(
    x: torch.Tensor,
    n_fft: int,
    hop_length: int,
    window: torch.Tensor,
    center: bool,
    pad_mode: str,
    onesided: bool,
    fn: str,
) -> torch.Tensor:
    """Complex STFT of ``(batch, time)``, returned as ``(batch, frame, freq)`` (not normalised)."""
    return _spectrogram_frames(x, n_fft, hop_length, window, center, pad_mode, onesided, None, None, False, None, fn)


def _band_plan(filterbank: torch.Tensor, group: int = 16):
    """Row ranges covering the non-zeros of each group of ``group`` filters: ``[(r0, r1, c0, c1)]``.

    Triangular filterbanks are banded (each filter spans a few bins), so multiplying each group of
    filters only by its rows skips most of the zeros of a dense matmul: about 5x fewer flops for 80
    mel bands over 201 bins. ``None`` where it would not pay (dense banks such as chroma, small
    banks), off CPU (finding the bands syncs with the device) and under ``torch.compile``.
    """
    n_rows, n_cols = filterbank.shape
    if filterbank.device.type != "cpu" or n_cols < 2 * group or torch.compiler.is_compiling() or filterbank.requires_grad:
        return None
    nonzero = filterbank != 0
    rows = torch.arange(n_rows, device=filterbank.device).unsqueeze(1)
    first = torch.where(nonzero, rows, n_rows).amin(0).tolist()
    last = (torch.where(nonzero, rows, -1).amax(0) + 1).tolist()
    plan = []
    for c0 in range(0, n_cols, group):
        c1 = min(c0 + group, n_cols)
        r0, r1 = min(first[c0:c1]), max(last[c0:c1])
        plan.append((r0, max(r0, r1), c0, c1))
    if sum((r1 - r0) * (c1 - c0) for r0, r1, c0, c1 in plan) > 0.5 * n_rows * n_cols:
        return None
    return plan


def _project(value: torch.Tensor, filterbank: torch.Tensor, plan) -> torch.Tensor:
    """``value @ filterbank``, band by band when ``plan`` (from :func:`_band_plan`) is given."""
    if plan is None:
        return value @ filterbank
    parts = [value[..., r0:r1] @ filterbank[r0:r1, c0:c1] if r1 > r0 else value.new_zeros(value.shape[:-1] + (c1 - c0,))
             for r0, r1, c0, c1 in plan]
    return torch.cat(parts, dim=-1)


def _spectrogram_frames(
    x: torch.Tensor,
    n_fft: int,
    hop_length: int,
    window: torch.Tensor,
    center: bool,
    pad_mode: str,
    onesided: bool,
    power: Optional[float],
    scale: Optional[torch.Tensor],
    real_stft: bool,
    filterbank: Optional[torch.Tensor],
    fn: str,
) -> torch.Tensor:
    """STFT of ``(batch, time)`` (``window`` already ``n_fft`` long) as ``(batch, frame, K)``.

    Each block of frames is windowed, transformed, scaled, raised to ``power`` (complex kept when
    ``None``) and, when given, multiplied by ``filterbank`` ``(freq, K)``.
    """
    n_frames, frames_of = _framer(x, n_fft, hop_length, center, pad_mode, fn)
    n_freq = n_fft // 2 + 1 if onesided else n_fft
    basis = _dft_basis(n_fft, n_freq, x.dtype, x.device) * window.unsqueeze(1) if real_stft else None
    plan = None
    if filterbank is not None:
        filterbank = filterbank.to(x.dtype)
        plan = _band_plan(filterbank)

    def per_block(block: torch.Tensor) -> torch.Tensor:
        if real_stft:  # [re | im] by one real matrix product: no complex tensor, no FFT operator
            spec = block @ basis
            if scale is not None:
                spec = spec * scale
            re, im = spec[..., :n_freq], spec[..., n_freq:]
            value = torch.addcmul(re * re, im, im)
            if power != 2.0:
                value = value.pow(power / 2.0)
        else:
            block = block * window
            spec = torch.fft.rfft(block, dim=-1) if onesided else torch.fft.fft(block, dim=-1)
            if scale is not None:
                spec = spec * scale
            if power is None:
                value = spec
            elif power == 2.0:  # re^2 + im^2: one fused pass, much cheaper than hypot (abs) then squaring
                value = torch.addcmul(spec.real * spec.real, spec.imag, spec.imag)
            elif power == 1.0:
                value = spec.abs()
            else:
                value = spec.abs().pow(power)
        return value if filterbank is None else _project(value, filterbank, plan)

    if x.shape[0] == 0:  # MKL rejects empty transforms
        size = n_freq if filterbank is None else filterbank.shape[1]
        dtype = x.dtype if power is not None else (torch.complex128 if x.dtype == torch.float64 else torch.complex64)
        return x.new_zeros((0, n_frames, size), dtype=dtype)
    if x.device.type != "cpu":  # blocks help CPU caches; on accelerators they only add kernel launches
        return per_block(frames_of(0, n_frames))
    return _blockwise(x.shape[0], n_frames, n_fft, frames_of, per_block)


def _overlap_add(frames: torch.Tensor, hop_length: int) -> torch.Tensor:
    """Sum ``(batch, frame, n_fft)`` frames placed ``hop_length`` apart: ``(batch, n_fft + hop * (frame - 1))``.

    Each frame is cut into ``ceil(n_fft / hop)`` hop-long pieces; piece ``k`` of every frame lands in
    one strided slice of the output, so the whole sum is a few vectorised adds (several times faster
    on CPU than ``fold``/col2im, which also needs a transposed copy).
    """
    batch, n_frames, n_fft = frames.shape[0], frames.shape[1], frames.shape[2]
    pieces = -(-n_fft // hop_length)
    out = frames.new_zeros(batch, (n_frames + pieces - 1) * hop_length)
    for k in range(pieces):
        width = min(hop_length, n_fft - k * hop_length)
        lane = out[:, k * hop_length : (k + n_frames) * hop_length].view(batch, n_frames, hop_length)[..., :width]
        lane.add_(frames[..., k * hop_length : k * hop_length + width])
    return out[:, : n_fft + hop_length * (n_frames - 1)]


def _inverse_envelope(window: torch.Tensor, hop_length: int, n_frames: int, start: int, end: int) -> torch.Tensor:
    """``1 / sum_t window[n - t * hop]^2`` over ``[start, end)``; 1 where the envelope vanishes
    (``center=False`` edges of a Hann window), which ``torch.istft`` rejects instead."""
    envelope = _overlap_add(window.square().expand(1, n_frames, window.numel()), hop_length)[0, start:end]
    return torch.where(envelope > 1e-11, envelope, torch.ones_like(envelope)).reciprocal()


def _istft(
    spec: torch.Tensor,
    n_fft: int,
    hop_length: int,
    window: torch.Tensor,
    center: bool,
    onesided: bool,
    length: Optional[int],
    inverse_envelope: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Inverse STFT of ``(batch, freq, frame)`` with an ``n_fft``-long window: ``(batch, time)``.

    ``inverse_envelope`` (from :func:`_inverse_envelope`) can be passed in when it is reused (Griffin-Lim).
    """
    n_frames = spec.shape[-1]
    total = n_fft + hop_length * (n_frames - 1)
    start = n_fft // 2 if center else 0
    end = total - start if length is None else start + length
    if spec.numel() == 0:  # MKL rejects empty transforms
        return window.new_zeros(spec.shape[0], end - start)
    frames = spec.transpose(-1, -2)
    frames = torch.fft.irfft(frames, n=n_fft, dim=-1) if onesided else torch.fft.ifft(frames, n=n_fft, dim=-1).real
    wave = _overlap_add(frames * window, hop_length)[:, start:end]
    if inverse_envelope is None:
        inverse_envelope = _inverse_envelope(window, hop_length, n_frames, start, end)
    wave = wave * inverse_envelope[: wave.shape[-1]]
    if wave.shape[-1] < end - start:  # asked for more than the frames cover: zeros, as torch.istft
        wave = nnf.pad(wave, [0, end - start - wave.shape[-1]])
    return wave


def _stft_script(x: torch.Tensor, n_fft: int, hop_length: int, window: torch.Tensor, center: bool, pad_mode: str,
                 onesided: bool) -> torch.Tensor:
    """TorchScript twin of :func:`_stft` (``torch.stft``, equal to float rounding): ``(batch, frame, freq)``."""
    if x.shape[0] == 0:
        n_frames = 1 + (x.shape[-1] + (n_fft // 2) * 2 * int(center) - n_fft) // hop_length
        n_freq = n_fft // 2 + 1 if onesided else n_fft
        cdtype = torch.complex128 if x.dtype == torch.float64 else torch.complex64
        return torch.zeros([0, n_frames, n_freq], dtype=cdtype, device=x.device)
    spec = torch.stft(x, n_fft, hop_length, n_fft, window, center, pad_mode, False, onesided, return_complex=True)
    return spec.transpose(-1, -2)


def _spectrogram_script(
    waveform: torch.Tensor,
    pad: int,
    window: torch.Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int,
    power: Optional[float],
    normalized: Union[bool, str],
    center: bool = True,
    pad_mode: str = "reflect",
    onesided: bool = True,
    return_complex: Optional[bool] = None,
    real_stft: bool = False,
) -> torch.Tensor:
    """What ``torch.jit.script(spectrogram)`` compiles (``real_stft`` takes the FFT path: same values)."""
    return _spectrogram_fb_script(waveform, pad, window, n_fft, hop_length, win_length, power, normalized, center,
                                  pad_mode, onesided, real_stft, None, "spectrogram")


def _spectrogram_fb_script(
    waveform: torch.Tensor,
    pad: int,
    window: torch.Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int,
    power: Optional[float],
    normalized: Union[bool, str],
    center: bool,
    pad_mode: str,
    onesided: bool,
    real_stft: bool,
    filterbank: Optional[torch.Tensor],
    fn: str,
) -> torch.Tensor:
    """TorchScript twin of :func:`_spectrogram`: ``torch.stft``, scale, power, then the optional filterbank."""
    x, orig_dtype = upcast_s(waveform)
    if pad > 0:
        x = nnf.pad(x, [pad, pad])
    shape = x.shape
    x = x.reshape(-1, shape[-1])
    spec = _stft_script(x, n_fft, hop_length, _padded_window(window, n_fft, x.dtype), center, pad_mode, onesided)
    if isinstance(normalized, str):
        frame_norm, window_norm = normalized == "frame_length", normalized == "window"
    else:
        frame_norm, window_norm = False, normalized
    if window_norm:
        spec = spec * window.to(x.dtype).square().sum().rsqrt()
    if frame_norm:
        spec = spec * (1.0 / math.sqrt(n_fft))
    if power is not None:
        if power == 2.0:
            spec = torch.addcmul(spec.real * spec.real, spec.imag, spec.imag)
        elif power == 1.0:
            spec = spec.abs()
        else:
            spec = spec.abs().pow(power)
        if filterbank is not None:
            spec = spec @ filterbank.to(spec.dtype)
    spec = spec.transpose(-1, -2)
    spec = spec.reshape(shape[:-1] + spec.shape[-2:])
    return restore_s(spec, orig_dtype)


@scripted_as(_spectrogram_script)
def spectrogram(
    waveform: torch.Tensor,
    pad: int,
    window: torch.Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int,
    power: Optional[float],
    normalized: Union[bool, str],
    center: bool = True,
    pad_mode: str = "reflect",
    onesided: bool = True,
    return_complex: Optional[bool] = None,
    *,
    real_stft: bool = False,
) -> torch.Tensor:
    r"""Spectrogram (complex STFT, or its magnitude raised to ``power``) of a waveform.

    Args:
        waveform: real floating-point audio.
        pad: zeros added on both sides before the STFT.
        window: analysis window of length ``win_length`` (zero-padded to ``n_fft`` at its centre).
        n_fft: FFT size; hop_length: frame step (None: ``n_fft // 4``, as torch.stft); win_length: window
            length (``<= n_fft``; None: ``n_fft``).
        power: exponent of the magnitude (``1``: magnitude, ``2``: power); ``None``: complex output.
        normalized: ``False``, ``True``/``"window"`` (divide by the window's L2 norm) or
            ``"frame_length"`` (divide by ``sqrt(n_fft)``).
        center: pad ``n_fft // 2`` on both sides with ``pad_mode`` so frame ``t`` is centred at ``t * hop_length``.
        pad_mode: ``"reflect"``, ``"constant"``, ``"replicate"`` or ``"circular"``.
        onesided: keep only the ``n_fft // 2 + 1`` non-negative frequencies.
        return_complex: deprecated and ignored, as in torchaudio (``power=None`` always gives complex).
        real_stft: (keyword-only) compute with a real DFT matrix product; needs ``power`` and
            ``onesided``. For ``torch.export``/ONNX graphs without complex tensors.

    Returns:
        Tensor: complex if ``power is None``, else real in the waveform's dtype.

    Shape:
        waveform: ``(..., time)``; output: ``(..., freq, n_frames)`` with ``freq = n_fft // 2 + 1``
        (``n_fft`` if not onesided) and ``n_frames = 1 + (time + 2 * pad + (n_fft // 2) * 2 * center - n_fft) // hop_length``.
    """
    if return_complex is not None:
        warnings.warn("spectrogram: return_complex is deprecated and has no effect; power=None gives a complex tensor.",
                      stacklevel=2)
    # torchaudio hands these to torch.stft, which reads None as n_fft // 4 and n_fft: so do we.
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    return _spectrogram(waveform, pad, window, n_fft, hop_length, win_length, power, normalized, center, pad_mode,
                        onesided, real_stft, None, "spectrogram")


@scripted_as(_spectrogram_fb_script)
def _spectrogram(waveform, pad, window, n_fft, hop_length, win_length, power, normalized, center, pad_mode, onesided,
                 real_stft, filterbank: Optional[torch.Tensor], fn: str) -> torch.Tensor:
    """:func:`spectrogram`, optionally followed by a ``(freq, K)`` filterbank (errors name ``fn``).

    With a filterbank (MelSpectrogram, LFCC) each block's power spectrum is projected right away,
    so the full-resolution spectrogram of a long input never exists in memory.
    """
    check_float("waveform", waveform, fn=fn)
    check_int("pad", pad, fn=fn, minimum=0)
    _check_stft_args(fn, n_fft, hop_length, win_length, window, pad_mode, normalized)
    if power is not None:
        check_positive("power", power, fn=fn)
    if real_stft and (power is None or not onesided):
        raise ValueError(f"{fn}: real_stft=True needs a real power and onesided=True, got power={power!r}, onesided={onesided!r}")
    if filterbank is not None and (power is None or filterbank.shape[0] != (n_fft // 2 + 1 if onesided else n_fft)):
        raise ValueError(f"{fn}: a filterbank needs a real power and {n_fft // 2 + 1} frequency rows, "
                         f"got power={power!r} and shape {tuple(filterbank.shape)}")

    x, orig_dtype = upcast(waveform)
    if pad > 0:
        x = nnf.pad(x, (pad, pad))
    shape = x.shape
    x = x.reshape(-1, shape[-1])
    frame_norm, window_norm = _norms(normalized)
    scale = None
    if window_norm:  # a tensor factor: no host sync, and traceable by torch.compile
        scale = window.to(x.dtype).square().sum().rsqrt()
    if frame_norm:
        scale = torch.tensor(1.0 / math.sqrt(n_fft), dtype=x.dtype, device=x.device)
    win = _padded_window(window, n_fft, x.dtype)
    spec = _spectrogram_frames(x, n_fft, hop_length, win, center, pad_mode, onesided, power, scale, real_stft,
                               filterbank, fn)
    spec = spec.transpose(-1, -2)
    spec = spec.reshape(shape[:-1] + spec.shape[-2:])
    return restore(spec, orig_dtype)


def inverse_spectrogram(
    spectrogram: torch.Tensor,
    length: Optional[int],
    pad: int,
    window: torch.Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int,
    normalized: Union[bool, str],
    center: bool = True,
    pad_mode: str = "reflect",
    onesided: bool = True,
) -> torch.Tensor:
    r"""Waveform from a complex spectrogram by inverse STFT (window-square normalised overlap-add).

    Args:
        spectrogram: complex STFT as produced by :func:`spectrogram` with ``power=None``.
        length: output length (before removing ``pad``); ``None`` keeps the full overlap-add length.
        pad, window, n_fft, hop_length, win_length, normalized, center, pad_mode, onesided:
            as given to :func:`spectrogram`. As in torchaudio, ``pad`` is removed only when
            ``length`` is given.

    Shape:
        spectrogram: ``(..., freq, n_frames)``; output: ``(..., length)``.
    """
    if not torch.jit.is_scripting():
        fn = "inverse_spectrogram"
        check_complex("spectrogram", spectrogram, fn=fn)
        check_int("pad", pad, fn=fn, minimum=0)
        _check_stft_args(fn, n_fft, hop_length, win_length, window, pad_mode, normalized)
        n_freq = n_fft // 2 + 1 if onesided else n_fft
        if spectrogram.dim() < 2 or spectrogram.shape[-2] != n_freq:
            raise ValueError(f"{fn}: spectrogram must have {n_freq} frequency bins for n_fft={n_fft} "
                             f"(onesided={onesided}), got shape {tuple(spectrogram.shape)}")
        if length is not None:
            check_int("length", length, fn=fn, minimum=0)

    spec, orig_dtype = upcast_s(spectrogram)
    win = window.to(real_dtype_s(spec.dtype))
    frame_norm, window_norm = _norms(normalized)
    if window_norm:
        spec = spec * win.pow(2).sum().sqrt()
    shape = spec.shape
    spec = spec.reshape(-1, shape[-2], shape[-1])
    if frame_norm:
        spec = spec * math.sqrt(n_fft)
    full: Optional[int] = None
    if length is not None:
        full = length + 2 * pad
    wave = _istft(spec, n_fft, hop_length, _padded_window(win, n_fft, win.dtype), center, onesided, full)
    if length is not None and pad > 0:
        wave = wave[:, pad:-pad]
    wave = wave.reshape(shape[:-2] + wave.shape[-1:])
    if orig_dtype == torch.complex32:
        return wave.half()
    return wave


def griffinlim(
    specgram: torch.Tensor,
    window: torch.Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int,
    power: float,
    n_iter: int,
    momentum: float,
    length: Optional[int],
    rand_init: bool,
) -> torch.Tensor:
    r"""Waveform from a magnitude/power spectrogram by fast Griffin-Lim (Perraudin et al., 2013).

    Each iteration takes ``angles = rebuilt - momentum / (1 + momentum) * previous`` and normalises it
    to unit modulus; ``rand_init`` starts from random phases (``torch.rand`` complex, as torchaudio),
    else from zero phase (librosa's ``init=None``).

    Shape:
        specgram: ``(..., freq, n_frames)`` with ``freq = n_fft // 2 + 1``; output: ``(..., time)``.
    """
    fn = "griffinlim"
    if not torch.jit.is_scripting():
        check_float("specgram", specgram, fn=fn)
        _check_stft_args(fn, n_fft, hop_length, win_length, window, "reflect", False)
        check_positive("power", power, fn=fn)
        check_int("n_iter", n_iter, fn=fn, minimum=0)
        if not 0 <= momentum < 1:
            raise ValueError(f"{fn}: momentum must be in [0, 1), got {momentum}")
        if specgram.shape[-2] != n_fft // 2 + 1:
            raise ValueError(f"{fn}: specgram must have n_fft // 2 + 1 = {n_fft // 2 + 1} frequency bins, got shape {tuple(specgram.shape)}")

    spec, orig_dtype = upcast_s(specgram)
    shape = spec.shape
    spec = spec.reshape(-1, shape[-2], shape[-1]).pow(1.0 / power)
    win = window.to(spec.dtype)
    full_win = _padded_window(win, n_fft, spec.dtype)
    cdtype = torch.complex128 if spec.dtype == torch.float64 else torch.complex64
    if rand_init:
        angles = torch.rand(spec.shape, dtype=cdtype, device=spec.device)
    else:
        angles = torch.ones(spec.shape, dtype=cdtype, device=spec.device)

    n_frames = spec.shape[-1]
    total = n_fft + hop_length * (n_frames - 1)
    end = total - n_fft // 2 if length is None else n_fft // 2 + length
    inverse_envelope = _inverse_envelope(full_win, hop_length, n_frames, n_fft // 2, end)

    previous: Optional[torch.Tensor] = None
    for _ in range(n_iter):
        inverse = _istft(spec * angles, n_fft, hop_length, full_win, True, True, length, inverse_envelope)
        if torch.jit.is_scripting():
            rebuilt = _stft_script(inverse, n_fft, hop_length, full_win, True, "reflect", True).transpose(-1, -2)
        else:
            rebuilt = _stft(inverse, n_fft, hop_length, full_win, True, "reflect", True, fn).transpose(-1, -2)
        if previous is None or momentum == 0:
            angles = rebuilt
        else:
            angles = torch.sub(rebuilt, previous, alpha=momentum / (1 + momentum))
        # unit modulus: angles / (|angles| + 1e-16), with |.| from re^2 + im^2 (cheaper than hypot)
        modulus = torch.addcmul(angles.real * angles.real, angles.imag, angles.imag).sqrt()
        angles = angles * torch.reciprocal(modulus + 1e-16)
        previous = rebuilt
    wave = _istft(spec * angles, n_fft, hop_length, full_win, True, True, length, inverse_envelope)
    return restore_s(wave.reshape(shape[:-2] + wave.shape[-1:]), orig_dtype)


def phase_vocoder(complex_specgrams: torch.Tensor, rate: float, phase_advance: torch.Tensor) -> torch.Tensor:
    r"""Speed up a complex spectrogram in time by ``rate`` without changing its pitch.

    Magnitudes are linearly interpolated between neighbouring frames; phases are accumulated from
    the measured phase advance (librosa's ``phase_vocoder``).

    Args:
        complex_specgrams: complex STFT.
        rate: speed-up factor (``> 1`` shortens).
        phase_advance: expected phase advance per hop of each bin, ``(freq, 1)``.

    Shape:
        complex_specgrams: ``(..., freq, n_frames)``; output: ``(..., freq, ceil(n_frames / rate))``.
    """
    if not torch.jit.is_scripting():
        fn = "phase_vocoder"
        check_complex("complex_specgrams", complex_specgrams, fn=fn)
        check_positive("rate", rate, fn=fn)
        check_tensor("phase_advance", phase_advance, fn=fn)
    if rate == 1.0:
        return complex_specgrams
    spec, orig_dtype = upcast_s(complex_specgrams)
    shape = spec.shape
    spec = spec.reshape(-1, shape[-2], shape[-1])
    rdtype = real_dtype_s(spec.dtype)
    advance = phase_advance.to(rdtype)
    # i * rate, correctly rounded (torch.arange(0, n, rate) can land just below an integer, e.g. 30 * 0.7)
    n_out = math.ceil(shape[-1] / rate)
    steps = torch.arange(n_out, device=spec.device, dtype=torch.float64) * rate
    alphas = (steps % 1.0).to(rdtype)
    phase_0 = spec[..., :1].angle()
    spec = nnf.pad(spec, [0, 2])  # two zero frames so step + 1 is always valid
    index = steps.long()
    s0 = spec.index_select(-1, index)
    s1 = spec.index_select(-1, index + 1)
    dphase = s1.angle() - s0.angle() - advance
    dphase = dphase - 2 * math.pi * torch.round(dphase / (2 * math.pi))  # principal value
    dphase = dphase + advance
    phase = torch.cat([phase_0, dphase[..., :-1]], dim=-1).cumsum(-1)
    mag = alphas * s1.abs() + (1 - alphas) * s0.abs()
    out = torch.polar(mag, phase)
    out = out.reshape(shape[:-2] + out.shape[-2:])
    return restore_s(out, orig_dtype)


def _default_stft_args(n_fft, win_length, hop_length, window, dtype, device):
    win_length = win_length if win_length is not None else n_fft
    hop_length = hop_length if hop_length is not None else win_length // 4
    if window is None:
        window = torch.hann_window(win_length, dtype=dtype, device=device)
    return win_length, hop_length, window


def _pitch_shift_script(
    waveform: torch.Tensor,
    sample_rate: int,
    n_steps: int,
    bins_per_octave: int = 12,
    n_fft: int = 512,
    win_length: Optional[int] = None,
    hop_length: Optional[int] = None,
    window: Optional[torch.Tensor] = None,
    pad_mode: str = "reflect",
) -> torch.Tensor:
    """:func:`pitch_shift` after validation (eager calls it; ``torch.jit.script(pitch_shift)`` compiles it)."""
    x, orig_dtype = upcast_s(waveform)
    win_length = win_length if win_length is not None else n_fft
    hop_length = hop_length if hop_length is not None else win_length // 4
    if window is None:
        window = torch.hann_window(win_length, dtype=x.dtype, device=x.device)
    shape = x.shape
    x = x.reshape(-1, shape[-1])
    if n_steps == 0:
        return waveform.clone()
    rate = 2.0 ** (-float(n_steps) / bins_per_octave)
    win = _padded_window(window, n_fft, x.dtype)
    if torch.jit.is_scripting():
        spec = _stft_script(x, n_fft, hop_length, win, True, pad_mode, True)
    else:
        spec = _stft(x, n_fft, hop_length, win, True, pad_mode, True, "pitch_shift")
    spec = spec.transpose(-1, -2)
    advance = torch.linspace(0, math.pi * hop_length, spec.shape[-2], device=x.device, dtype=x.dtype)[..., None]
    stretched = phase_vocoder(spec, rate, advance)
    stretched_len = int(round(shape[-1] / rate))
    y = _istft(stretched, n_fft, hop_length, win, True, True, stretched_len)
    y = resample(y, int(sample_rate / rate), sample_rate)
    if y.shape[-1] > shape[-1]:
        y = y[..., : shape[-1]]
    else:
        y = nnf.pad(y, [0, shape[-1] - y.shape[-1]])
    return restore_s(y.reshape(shape), orig_dtype)


@scripted_as(_pitch_shift_script)
def pitch_shift(
    waveform: torch.Tensor,
    sample_rate: int,
    n_steps: int,
    bins_per_octave: int = 12,
    n_fft: int = 512,
    win_length: Optional[int] = None,
    hop_length: Optional[int] = None,
    window: Optional[torch.Tensor] = None,
    *,
    pad_mode: str = "reflect",
) -> torch.Tensor:
    r"""Shift the pitch by ``n_steps`` steps of ``1 / bins_per_octave`` octave, keeping the duration.

    Time-stretches by ``2 ** (-n_steps / bins_per_octave)`` with the phase vocoder, then resamples
    back (``torchsound.functional.resample``), as torchaudio and librosa do.

    Known torchaudio behaviour: its STFT pads with ``"reflect"``, which makes the first frame's
    phases (from which the vocoder accumulates) inconsistent across the bins of one partial, so
    steady tones come out attenuated (a 300 Hz sine shifted by 4 steps keeps about a quarter of its
    amplitude). The default keeps that for compatibility; keyword-only ``pad_mode="constant"`` pads
    with zeros, as ``librosa.effects.pitch_shift`` does, and keeps the level.

    Shape:
        waveform: ``(..., time)``; output: ``(..., time)``.
    """
    fn = "pitch_shift"
    check_float("waveform", waveform, fn=fn)
    check_int("sample_rate", sample_rate, fn=fn, minimum=1)
    check_int("bins_per_octave", bins_per_octave, fn=fn, minimum=1)
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, float)):
        raise TypeError(f"{fn}: n_steps must be a number, got {type(n_steps).__name__} {n_steps!r}")
    x, _ = upcast(waveform)
    win_length, hop_length, window = _default_stft_args(n_fft, win_length, hop_length, window, x.dtype, x.device)
    _check_stft_args(fn, n_fft, hop_length, win_length, window, pad_mode, False)
    return _pitch_shift_script(waveform, sample_rate, n_steps, bins_per_octave, n_fft, win_length, hop_length, window,
                               pad_mode)


def spectral_centroid(
    waveform: torch.Tensor,
    sample_rate: int,
    pad: int,
    window: torch.Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int,
) -> torch.Tensor:
    r"""Magnitude-weighted mean frequency (Hz) of each frame.

    Shape:
        waveform: ``(..., time)``; output: ``(..., n_frames)``.
    """
    if not torch.jit.is_scripting():
        check_positive("sample_rate", sample_rate, fn="spectral_centroid")
    spec = spectrogram(waveform, pad=pad, window=window, n_fft=n_fft, hop_length=hop_length,
                       win_length=win_length, power=1.0, normalized=False)
    x, orig_dtype = upcast_s(spec)
    freqs = torch.linspace(0, sample_rate // 2, n_fft // 2 + 1, device=x.device, dtype=x.dtype).unsqueeze(1)
    return restore_s((freqs * x).sum(-2) / x.sum(-2), orig_dtype)


def amplitude_to_DB(
    x: torch.Tensor, multiplier: float, amin: float, db_multiplier: float, top_db: Optional[float] = None
) -> torch.Tensor:
    r"""``multiplier * log10(max(x, amin)) - multiplier * db_multiplier``, floored at ``max - top_db``.

    The floor is taken per item over its last three dimensions (channel, freq, time) as in
    torchaudio, so a batch of multichannel spectrograms is floored per example.

    Shape:
        x: ``(..., freq, time)`` (or any shape with at least 2 dims when ``top_db`` is set); output: same.
    """
    if not torch.jit.is_scripting():
        fn = "amplitude_to_DB"
        check_float("x", x, fn=fn)
        check_positive("amin", amin, fn=fn)
        if top_db is not None:
            check_positive("top_db", top_db, fn=fn, allow_zero=True)
        if top_db is not None and x.dim() < 2:
            raise ValueError(f"{fn}: x must have at least 2 dimensions when top_db is set, got shape {tuple(x.shape)}")
    y, orig_dtype = upcast_s(x)
    db = multiplier * torch.log10(torch.clamp(y, min=amin))
    if isinstance(db_multiplier, torch.Tensor) or db_multiplier != 0:  # 0 for ref=1: skip a pass
        db = db - multiplier * db_multiplier
    if top_db is not None:
        shape = db.shape
        channels = shape[-3] if db.dim() > 2 else 1
        items = 1
        for size in shape[:-3]:
            items *= size
        packed = db.reshape(items, channels, shape[-2], shape[-1])
        if packed.numel() > 0:
            floor = packed.amax(dim=(-3, -2, -1), keepdim=True) - top_db
            db = torch.maximum(packed, floor).reshape(shape)
    return restore_s(db, orig_dtype)


def DB_to_amplitude(x: torch.Tensor, ref: float, power: float) -> torch.Tensor:
    r"""Inverse of :func:`amplitude_to_DB`: ``ref * (10 ** (x / 10)) ** power``.

    Shape:
        x: ``(...)``; output: same.
    """
    if not torch.jit.is_scripting():
        check_float("x", x, fn="DB_to_amplitude")
    y, orig_dtype = upcast_s(x)
    return restore_s(ref * torch.pow(torch.pow(10.0, 0.1 * y), power), orig_dtype)
