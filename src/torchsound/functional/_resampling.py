"""Band-limited (windowed-sinc) resampling with torchaudio's kernel, evaluated without waste.

torchaudio convolves with a dense ``(new, 2 * width + orig)`` kernel at stride ``orig``: for each
of the ``new`` output phases it multiplies ``orig + 2 * width`` input samples although only about
``2 * width`` of them fall inside that phase's sinc. Here the same kernel values (same formula,
same parameters) are grouped: about 16 consecutive phases share one window of input samples
(``span ~ 16 * orig / new + 2 * width + 1``), read in place as a strided matrix, and each group is
one matrix product over all blocks. So co-prime rates such as 20001 -> 30001 cost about as much
per output sample as 2 -> 3, instead of a kernel with 600 million entries.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional, Tuple

import torch
from torch.nn.functional import pad as nnf_pad

from .._internal.cache import cached
from .._internal.checks import check_choice, check_float
from .._internal.dtypes import restore, upcast
from .._internal.script import restore_s, scripted_as, upcast_s

_METHODS = ("sinc_interp_hann", "sinc_interp_kaiser")


def _default_kaiser_beta() -> float:
    # torchaudio's default Kaiser beta (a function: TorchScript cannot read float globals)
    return 14.769656459379492

# Named quality presets: (lowpass_filter_width, rolloff, resampling_method, beta).
# Kaiser-windowed sincs whose stopband starts at the new Nyquist frequency (no aliasing), with the
# passband flat to the stated fraction of it. Measured in tests/dsp/test_resampling.py.
#   "hq":  a tone at 0.75 of the lower Nyquist frequency passes with SNR >= 150 dB, aliases are
#          rejected by >= 150 dB (soxr "HQ" measures 73 dB / 144 dB on the same test);
#   "vhq": SNR >= 200 dB, rejection >= 200 dB (soxr "VHQ": 75 dB / 210 dB), for float64 work.
def _preset(quality: str) -> Tuple[int, float, str, float]:
    if quality == "hq":
        return 36, 0.9, "sinc_interp_kaiser", 15.5
    if quality == "vhq":
        return 72, 0.93, "sinc_interp_kaiser", 22.0
    raise ValueError("quality must be one of 'hq', 'vhq'; got " + quality)


QUALITY_PRESETS = {q: _preset(q) for q in ("hq", "vhq")}


def _check_rate(name: str, value, fn: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{fn}: {name} must be a positive integer rate, got {type(value).__name__} {value!r}")
    if not value > 0:
        raise ValueError(f"{fn}: {name} must be positive, got {value!r}")
    if int(value) != value:
        raise ValueError(f"{fn}: {name} must be a whole number of Hz, got {value!r} (fractional rates are not supported)")


def _params(lowpass_filter_width, rolloff, resampling_method, beta, quality, fn: str):
    if quality is not None:
        check_choice("quality", quality, sorted(QUALITY_PRESETS), fn=fn)
        return QUALITY_PRESETS[quality]
    check_choice("resampling_method", resampling_method, _METHODS, fn=fn)
    if isinstance(lowpass_filter_width, bool) or not isinstance(lowpass_filter_width, int) or lowpass_filter_width <= 0:
        raise ValueError(f"{fn}: lowpass_filter_width must be a positive int, got {lowpass_filter_width!r}")
    if not 0 < float(rolloff) <= 1:
        raise ValueError(f"{fn}: rolloff must be in (0, 1], got {rolloff!r}")
    return lowpass_filter_width, float(rolloff), resampling_method, beta


def _group_stride(orig: int, new: int) -> int:
    """Input samples per phase group: about 16 output phases share one window (GEMM-friendly).

    Where a nearby stride gives every group the same number of phases, a multiple of 8, it is taken:
    BLAS kernels run about twice as fast on 16 or 24 columns as on 15 (e.g. 1 -> 3 upsampling).
    """
    guess = max(1, int(round(16 * orig / new)))
    even = [s for s in range(max(1, guess // 2), 2 * guess + 1) if (s * new) % orig == 0 and (s * new // orig) % 8 == 0]
    return min(even, key=lambda s: abs(s - guess), default=guess)


class _Kernel(NamedTuple):
    """A grouped resampling kernel and the block layout it was built for (see :func:`_kernel`)."""

    weights: torch.Tensor  # (num_groups, span, slots)
    slot_of_phase: torch.Tensor  # (block_new,): each phase's column among the groups' concatenated slots
    groups: Tuple[Tuple[int, int], ...]  # each group's (first phase, number of phases)
    stride: int  # input samples between the windows of consecutive groups
    span: int  # input samples per window
    width: int  # zeros in front of the signal (the sinc's reach)
    block_orig: int  # input samples per block
    block_new: int  # output samples per block


def _windowed_sinc(t: torch.Tensor, lowpass_filter_width: int, method: str, beta: Optional[float],
                   scale: float) -> torch.Tensor:
    """torchaudio's filter taps at ``t`` (float64, in units of the base frequency's period): a sinc clamped to
    ``+-lowpass_filter_width`` zero crossings, windowed by Hann or Kaiser(``beta``), times ``scale``."""
    t = t.clamp(-lowpass_filter_width, lowpass_filter_width)
    if method == "sinc_interp_hann":
        window = torch.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    else:
        b = torch.tensor(_default_kaiser_beta() if beta is None else float(beta), dtype=t.dtype, device=t.device)
        window = torch.i0(b * torch.sqrt((1 - (t / lowpass_filter_width) ** 2).clamp(min=0))) / torch.i0(b)
    t = t * math.pi
    safe = torch.where(t == 0, torch.ones_like(t), t)
    sinc = torch.where(t == 0, torch.ones_like(t), torch.sin(safe) / safe)
    return sinc * window * scale


@cached(maxsize=32)
def _kernel(
    orig: int,
    new: int,
    lowpass_filter_width: int,
    rolloff: float,
    method: str,
    beta: float | None,
    dtype: torch.dtype,
    device: torch.device,
) -> _Kernel:
    """Grouped resampling kernel for reduced rates ``orig -> new``.

    The work is cut into blocks of ``repeat * orig`` input samples giving ``repeat * new`` outputs.
    Block phase ``i`` is centred on input offset ``c_i = floor(i * orig / new)`` (relative to the
    block start); group ``g`` holds the phases with ``c_i // stride == g`` (a contiguous range) and
    reads the input window starting at ``g * stride - width`` of length ``span``, so all windows are
    one strided view. ``repeat`` makes a block at least ``span`` samples long, so each group's
    windows form a matrix a BLAS product reads in place (rows ``repeat * orig`` apart), and gives
    small ratios such as 1 -> 2 enough phases per group.
    """
    base = min(orig, new) * rolloff
    width = math.ceil(lowpass_filter_width * orig / base)
    stride = _group_stride(orig, new)
    span = stride + 2 * width + 1
    repeat = max(1, -(-span // orig), -(-16 // new))
    block_orig, block_new = repeat * orig, repeat * new
    f64 = torch.float64
    phases = torch.arange(block_new, device=device)
    centre = torch.div(phases * orig, new, rounding_mode="floor")
    group_of = torch.div(centre, stride, rounding_mode="floor")
    num_groups = (block_orig - 1) // stride + 1
    # Group g holds phases ceil(g*stride*new/orig) .. ceil((g+1)*stride*new/orig) - 1: at most
    # ceil(stride*new/orig) of them.
    slots = -(-stride * new // orig)
    first = [min(block_new, -(-g * stride * new // orig)) for g in range(num_groups + 1)]
    groups = tuple((a, b - a) for a, b in zip(first, first[1:]))
    rank = phases - torch.tensor(first[:-1], device=device)[group_of]  # slot of the phase inside its group
    # Phase index per (group, slot); -1 marks empty slots.
    phase_at = torch.full((num_groups, slots), -1, dtype=torch.long, device=device)
    phase_at[group_of, rank] = phases
    offset = (torch.arange(num_groups, device=device)[:, None] * stride - width) + torch.arange(span, device=device)
    offset = offset.to(f64)[:, :, None]  # (NG, span, 1): input offset relative to the block start
    phase = phase_at.clamp(min=0).to(f64)[:, None, :]  # (NG, 1, slots)
    # torchaudio: t = (-i / new + (j - width) / orig) * base, clamped to +-lowpass_filter_width
    weights = _windowed_sinc((offset / orig - phase / new) * base, lowpass_filter_width, method, beta, base / orig)
    # Only torchaudio's taps count: for a phase of the s-th reduced block inside ours, offsets
    # s * orig - width .. s * orig + width + orig - 1.
    local = offset - torch.div(phase, new, rounding_mode="floor") * orig
    inside = (local >= -width) & (local <= width + orig - 1) & (phase_at >= 0)[:, None, :]
    slot_of_phase = group_of * slots + rank
    return _Kernel((weights * inside).to(dtype), slot_of_phase, groups, stride, span, width, block_orig, block_new)


def _dense_kernel(orig: int, new: int, lowpass_filter_width: int, rolloff: float, method: str, beta: Optional[float],
                  dtype: torch.dtype, device: torch.device) -> Tuple[torch.Tensor, int]:
    """torchaudio's dense ``(new, 1, 2 * width + orig)`` kernel for reduced rates (the TorchScript path).

    The same windowed sinc as :func:`_kernel` (built in float64), one row of taps per output phase.
    """
    base = min(orig, new) * rolloff
    width = int(math.ceil(lowpass_filter_width * orig / base))
    f64 = torch.float64
    offset = torch.arange(-width, width + orig, dtype=f64, device=device).view(1, 1, -1) / orig
    t = (offset - torch.arange(new, dtype=f64, device=device).view(-1, 1, 1) / new) * base
    return _windowed_sinc(t, lowpass_filter_width, method, beta, base / orig).to(dtype), width


def _apply_dense(x: torch.Tensor, kernel: torch.Tensor, width: int, orig: int, new: int) -> torch.Tensor:
    """Resample ``(..., time)`` with a :func:`_dense_kernel`: each output phase a dot product with a strided window."""
    shape = x.shape
    length = shape[-1]
    x = x.reshape(-1, length)
    target = -(-new * length // orig)
    if x.shape[0] == 0:
        return x.new_zeros(list(shape[:-1]) + [target])
    # the strided windows times the (new, taps) kernel: several times faster on CPU than a 1-channel conv1d
    windows = nnf_pad(x, [width, width + orig]).unfold(-1, kernel.shape[-1], orig)  # (batch, frames, taps)
    y = (windows @ kernel.reshape(new, -1).t()).reshape(x.shape[0], -1)[:, :target]
    return y.reshape(list(shape[:-1]) + [target])


def _resample_script(
    waveform: torch.Tensor,
    orig_freq: int,
    new_freq: int,
    lowpass_filter_width: int = 6,
    rolloff: float = 0.99,
    resampling_method: str = "sinc_interp_hann",
    beta: Optional[float] = None,
    quality: Optional[str] = None,
) -> torch.Tensor:
    """What ``torch.jit.script(resample)`` compiles: the same kernel, evaluated densely (one product per window)."""
    if quality is not None:
        lowpass_filter_width, rolloff, resampling_method, preset_beta = _preset(quality)
        beta = preset_beta
    if orig_freq == new_freq:
        return waveform
    gcd = math.gcd(orig_freq, new_freq)
    orig, new = orig_freq // gcd, new_freq // gcd
    x, dtype = upcast_s(waveform)
    kernel, width = _dense_kernel(orig, new, lowpass_filter_width, rolloff, resampling_method, beta, x.dtype, x.device)
    return restore_s(_apply_dense(x, kernel, width, orig, new), dtype)


@scripted_as(_resample_script)
def resample(
    waveform: torch.Tensor,
    orig_freq: int,
    new_freq: int,
    lowpass_filter_width: int = 6,
    rolloff: float = 0.99,
    resampling_method: str = "sinc_interp_hann",
    beta: float | None = None,
    *,
    quality: str | None = None,
) -> torch.Tensor:
    r"""Resample ``waveform`` from ``orig_freq`` to ``new_freq`` with a windowed-sinc filter (torchaudio's algorithm).

    Given the same parameters the output equals torchaudio's; the kernel is built once per
    (rates, parameters, dtype, device), on the waveform's device, and evaluated at a cost of about
    ``4 * lowpass_filter_width * max(1, orig/new)`` multiply-adds per output sample.

    Args:
        waveform: audio, floating point.
        orig_freq, new_freq: integer rates (Hz), positive.
        lowpass_filter_width: zero crossings of the sinc on each side (sharper filter when larger).
        rolloff: cutoff as a fraction of the lower Nyquist frequency.
        resampling_method: ``"sinc_interp_hann"`` or ``"sinc_interp_kaiser"``.
        beta: Kaiser window shape (``sinc_interp_kaiser`` only; default 14.7697).
        quality: keyword-only preset that replaces the four filter arguments: ``"hq"`` (a tone at
            0.75 of the lower Nyquist frequency keeps SNR >= 150 dB, aliases rejected by >= 150 dB)
            or ``"vhq"`` (>= 200 dB for both; meaningful in float64).

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., ceil(time * new_freq / orig_freq))``
    """
    fn = "resample"
    check_float("waveform", waveform, fn=fn)
    _check_rate("orig_freq", orig_freq, fn)
    _check_rate("new_freq", new_freq, fn)
    lowpass_filter_width, rolloff, method, beta = _params(lowpass_filter_width, rolloff, resampling_method, beta, quality, fn)
    orig_freq, new_freq = int(orig_freq), int(new_freq)
    if orig_freq == new_freq:
        return waveform
    gcd = math.gcd(orig_freq, new_freq)
    orig, new = orig_freq // gcd, new_freq // gcd
    x, dtype = upcast(waveform)
    kernel = _kernel(orig, new, lowpass_filter_width, rolloff, method, beta, x.dtype, x.device)
    return restore(_apply(x, kernel, orig, new), dtype)


# Up to this many phase groups, one matrix product per group writes straight into the output;
# beyond it (large co-prime rates), one batched product and a gather cost less than the Python loop.
_MAX_LOOPED_GROUPS = 64


def _apply(x: torch.Tensor, kernel: _Kernel, orig: int, new: int) -> torch.Tensor:
    """Resample ``x`` ``(..., time)`` with ``kernel`` (built for the reduced rates ``orig -> new``)."""
    weights, stride, span = kernel.weights, kernel.stride, kernel.span
    block_orig, block_new = kernel.block_orig, kernel.block_new
    shape = x.shape
    length = shape[-1]
    batch = math.prod(shape[:-1])
    target = -(-new * length // orig)
    num_groups, _, slots = weights.shape
    blocks = max(1, -(-target // block_new))
    # Each row padded to a whole number of blocks (so rows chain into one strided matrix), with
    # ``width`` zeros in front and room for the last window.
    row_blocks = -(-((blocks - 1) * block_orig + (num_groups - 1) * stride + span) // block_orig)
    row = row_blocks * block_orig
    tail = (num_groups - 1) * stride + span  # the last rows' windows may read past the end
    buffer = x.new_zeros(batch * row + tail)
    buffer[: batch * row].view(batch, row)[:, kernel.width : kernel.width + length] = x.reshape(batch, length)
    # windows[g, b * row_blocks + m, k] = buffer[b * row + m * block_orig + g * stride + k]
    windows = buffer.as_strided((num_groups, batch * row_blocks, span), (stride, block_orig, 1))
    if num_groups > _MAX_LOOPED_GROUPS:
        out = torch.bmm(windows, weights)  # (NG, B * row_blocks, slots)
        out = out.permute(1, 0, 2).reshape(batch * row_blocks, num_groups * slots).index_select(-1, kernel.slot_of_phase)
    else:
        groups = [(g, first, count) for g, (first, count) in enumerate(kernel.groups) if count]
        products = [(windows[g], weights[g, :, :count], first, count) for g, first, count in groups]
        if (torch.is_grad_enabled() and (x.requires_grad or weights.requires_grad)) or torch.compiler.is_compiling():
            out = torch.cat([w @ k for w, k, _, _ in products], dim=-1)
        else:  # each group's product lands in place, in its columns of the output (no gather afterwards)
            out = x.new_empty(batch * row_blocks, block_new)
            for w, k, first, count in products:
                torch.mm(w, k, out=out[:, first : first + count])
    out = out.view(batch, row_blocks * block_new)[:, :target]
    return out.reshape(*shape[:-1], target)
