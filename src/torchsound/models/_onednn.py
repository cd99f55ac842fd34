"""Inference fast paths through oneDNN's fused CPU kernels, with the plain torch ops as the fallback.

Measured on the benchmark machine (x86, 2 threads, float32): ``F.linear`` on a 1000 x 768 x 3072 product goes
through MKL's sgemm plus a separate bias copy and runs about 1.2-1.5x the time of oneDNN's
``mkldnn._linear_pointwise``, which also folds the bias and a following GELU into the product. Results agree
with ``F.linear`` to float32 rounding (~1e-6 relative; summation order differs).

Packed weights: oneDNN multiplies a weight reordered into its blocked layout faster than the plain one (the
wav2vec2_base feed-forward products 25.2 vs 28.8 ms, 22.5 vs 24.3 ms, the attention projections 5.8 vs 6.3 ms),
but the reorder costs about what one product saves, so the reordered copy is kept for later calls (see
:func:`packed_weight`): the same memory again as the weights it packs, up to a budget.

The fast path is taken only where it cannot change anything but rounding: eager mode (not TorchScript, not
torch.compile/export tracing), float32 tensors on the CPU, and autograd off (``torch.no_grad`` or
``torch.inference_mode``: the oneDNN ops have no backward). Everywhere else the plain ops run.
"""

from __future__ import annotations

import os
import weakref
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor, nn

_AVAILABLE: bool = (
    torch.backends.mkldnn.is_available()
    and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    and hasattr(torch.ops.mkldnn, "_convolution_pointwise")
)


def usable(x: Tensor, weight: Tensor) -> bool:
    """Whether ``x`` times ``weight`` may take the oneDNN path (see the module docstring)."""
    if torch.jit.is_scripting():
        return False
    return (
        _AVAILABLE
        and not torch.is_grad_enabled()
        and x.dtype == torch.float32
        and weight.dtype == torch.float32
        and x.device.type == "cpu"
        and weight.device.type == "cpu"
        and not torch.compiler.is_compiling()
    )


def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor], activation: str = "none") -> Tensor:
    """``F.linear``, then ``activation`` (``"none"``, ``"gelu"`` (exact) or ``"silu"``), fused by oneDNN where
    :func:`usable`.

    Shape:
        x ``(..., in_features)``, weight ``(out_features, in_features)`` -> ``(..., out_features)``.
    """
    if not torch.jit.is_scripting():
        if usable(x, weight) and x.numel() > 0:
            packed = packed_weight(weight, x.numel() // x.shape[-1])
            attr = "swish" if activation == "silu" else activation
            return torch.ops.mkldnn._linear_pointwise(x, packed, bias, attr, [], "none")
    y = nn.functional.linear(x, weight, bias)
    if activation == "gelu":
        return nn.functional.gelu(y)
    if activation == "silu":
        return nn.functional.silu(y)
    return y


# id(weight) -> (weak reference to the weight, its version counter and data pointer when packed, packed copy)
_PACKED: Dict[int, Tuple["weakref.ref[Tensor]", int, int, Tensor]] = {}
_packed_bytes = 0


def packed_budget() -> int:
    """Bytes of packed weight copies kept in all: ``TORCHSOUND_PACKED_WEIGHTS_MB`` (MiB, read at each packing),
    1024 by default, ``0`` to keep none (then every product multiplies the plain weight)."""
    return int(float(os.environ.get("TORCHSOUND_PACKED_WEIGHTS_MB", "1024")) * 2**20)


def packed_weight(weight: Tensor, rows: int) -> Tensor:
    """oneDNN's reordered copy of a linear ``weight`` for products of about ``rows`` rows, kept from an earlier
    call while ``weight`` is the same tensor with the same storage and version counter (any in-place change,
    ``load_state_dict`` or an optimizer step, bumps the counter: the copy is remade). Copies are made first come
    first kept until :func:`packed_budget` is reached (a model larger than the budget has its first layers
    packed); past it, and for a weight that dies, nothing is kept. Returns ``weight`` itself when not packed.

    Shape: ``(out_features, in_features)``, either way (the copy is an opaque oneDNN tensor, usable only by
    ``_linear_pointwise``).
    """
    global _packed_bytes
    key = id(weight)
    entry = _PACKED.get(key)
    if entry is not None:
        ref, version, pointer, packed = entry
        if ref() is weight and version == weight._version and pointer == weight.data_ptr():
            return packed
        _forget(key)
    size = weight.numel() * weight.element_size()
    if _packed_bytes + size > packed_budget():
        _forget_stale()  # copies of weights since changed or moved (e.g. ``model.to("cuda")``) make room
        if _packed_bytes + size > packed_budget():
            return weight
    packed = torch.ops.mkldnn._reorder_linear_weight(weight.detach(), max(rows, 1))
    _PACKED[key] = (weakref.ref(weight, lambda _, key=key: _forget(key)), weight._version, weight.data_ptr(), packed)
    _packed_bytes += size
    return packed


def _forget_stale() -> None:
    for key, (ref, version, pointer, _) in list(_PACKED.items()):
        weight = ref()
        if weight is None or weight._version != version or weight.data_ptr() != pointer:
            _forget(key)


def _forget(key: int) -> None:
    global _packed_bytes
    entry = _PACKED.pop(key, None)
    if entry is not None:
        _packed_bytes -= entry[3].numel() * entry[3].element_size()


CONV_CHUNK = 1024  # output frames per product in conv1d_frames (a 6 MB gathered copy at 512 x 3 channels)


def conv1d_frames(x: Tensor, weight: Tensor, bias: Optional[Tensor], stride: int, gelu: bool = False,
                  chunk: int = CONV_CHUNK) -> Tensor:
    """A 1-d convolution (no padding, dilation 1, one group) over channels-last frames, then exact GELU when
    ``gelu``, as oneDNN products over the windows. Only where :func:`usable`.

    ``weight`` is the convolution's ``(out_channels, in_channels, kernel)`` weight, or that weight as
    :func:`conv1d_frames_weight` prepares it once for many calls.

    The windows are gathered ``chunk`` output frames at a time (a copy that stays in cache; none where the
    kernel equals the stride: the windows then tile the frames) and each chunk is one product with bias and GELU
    fused. Measured on the benchmark machine (2 threads, wav2vec2's 512-channel kernel-3 stride-2 layers): about
    0.75x the time of oneDNN's convolution on the same channels-last frames, which itself saves a reorder of its
    input and output (~0.2x) over channels-first frames. oneDNN's product sums a window's 1,536 terms in one
    chain where the convolution and BLAS sum in blocks: ~2-3x their rounding on this output (1e-6 relative),
    which after the encoder is 1.7x torchaudio's float32 error against float64 (measured on wav2vec2_base).

    Shape:
        x ``(in_frame, in_channels)`` -> ``(out_frame, out_channels)`` with
        ``out_frame = (in_frame - kernel) // stride + 1``.
    """
    frames, channels = x.shape
    if weight.ndim == 3:
        kernel = weight.shape[2]
        weight = conv1d_frames_weight(weight)
    else:
        kernel = weight.shape[1] // channels
    out_frames = (frames - kernel) // stride + 1
    attr = "gelu" if gelu else "none"
    x = x.contiguous()
    if kernel == stride:
        windows = x[: out_frames * stride].view(out_frames, kernel * channels)
        return torch.ops.mkldnn._linear_pointwise(windows, weight, bias, attr, [], "none")
    parts = []
    for start in range(0, out_frames, chunk):
        count = min(chunk, out_frames - start)
        offset = x.storage_offset() + start * stride * channels
        windows = x.as_strided((count, kernel * channels), (stride * channels, 1), offset).contiguous()
        parts.append(torch.ops.mkldnn._linear_pointwise(windows, weight, bias, attr, [], "none"))
    return torch.cat(parts)


def conv1d_frames_weight(weight: Tensor, chunk: int = CONV_CHUNK) -> Tensor:
    """A convolution weight as :func:`conv1d_frames` multiplies it: tap-major rows (as a window's frames lie),
    reordered into oneDNN's blocked layout for products of ``chunk`` rows. Made once per call of a model, it
    saves every product of the call the blocked copy oneDNN otherwise makes of the weight (~5 % of their time).

    Shape: ``(out_channels, in_channels, kernel)`` -> ``(out_channels, kernel * in_channels)`` (oneDNN's
    layout, usable only by ``_linear_pointwise``).
    """
    out_channels, channels, kernel = weight.shape
    flat = weight.permute(0, 2, 1).reshape(out_channels, kernel * channels)
    return torch.ops.mkldnn._reorder_linear_weight(flat, chunk)


def depthwise_conv1d(x: Tensor, conv: nn.Module) -> Optional[Tensor]:
    """``conv(x)`` for a plain depthwise ``nn.Conv1d`` (one group per channel, stride 1, zero padding, no hooks)
    as one multiply-add per tap over shifted frames, the padding never materialised; ``None`` for any other
    module. oneDNN's depthwise convolution reorders its input and output into blocked layouts around a few
    multiply-adds: measured ~2.5x this time at 512 channels x 10,000 frames. Sums the same terms (the bias
    first), so results differ by float32 rounding. Only where :func:`usable`.

    Shape: ``(batch, channels, frame)`` -> ``(batch, channels, frame + 2 * padding - dilation * (kernel - 1))``.
    """
    if type(conv) is not nn.Conv1d or conv._forward_hooks or conv._forward_pre_hooks:
        return None
    if conv.stride != (1,) or conv.padding_mode != "zeros" or isinstance(conv.padding, str):
        return None
    if not conv.groups == conv.in_channels == conv.out_channels:
        return None
    frames = x.shape[2]
    (kernel,), (padding,), (dilation,) = conv.kernel_size, conv.padding, conv.dilation
    out_frames = frames + 2 * padding - dilation * (kernel - 1)
    weight = conv.weight[:, 0, :, None]  # (channels, kernel, 1): a column per tap
    bias = conv.bias[:, None] if conv.bias is not None else x.new_zeros(x.shape[1], 1)
    shifts = [tap * dilation - padding for tap in range(kernel)]  # output frame t reads input frame t + shift
    # The tap that reads every frame in place (the centre one of 'same' padding) starts the sum with the bias.
    start = shifts.index(0) if 0 in shifts and out_frames == frames else None
    if start is not None:
        y = torch.addcmul(bias, x, weight[:, start])
    else:
        y = bias.expand(x.shape[0], -1, out_frames).contiguous()
    for tap, shift in enumerate(shifts):
        first, last = max(0, -shift), min(out_frames, frames - shift)
        if tap != start and first < last:
            y[:, :, first:last].addcmul_(x[:, :, first + shift : last + shift], weight[:, tap])
    return y


_PLAIN_LINEARS = (nn.Linear, nn.modules.linear.NonDynamicallyQuantizableLinear)


def apply(layer: nn.Module, x: Tensor, activation: Optional[nn.Module] = None) -> Tensor:
    """``layer(x)``, then ``activation(...)`` when given, by :func:`linear`'s fused kernel when ``layer`` is a plain
    ``nn.Linear`` without hooks (and the activation too when it is an exact ``nn.GELU`` or ``nn.SiLU``); any other
    module (quantized, parametrized, hooked) is called as it is.

    Eager only: scripted code calls the layer itself.
    """
    name = _fused_activation(activation)
    if type(layer) in _PLAIN_LINEARS and not (layer._forward_hooks or layer._forward_pre_hooks):
        if name is not None:
            return linear(x, layer.weight, layer.bias, name)
        return activation(linear(x, layer.weight, layer.bias))
    y = layer(x)
    return y if activation is None else activation(y)


def _fused_activation(activation: Optional[nn.Module]) -> Optional[str]:
    """:func:`linear`'s name for ``activation`` when oneDNN fuses it (``None`` is ``"none"``); else ``None``."""
    if activation is None:
        return "none"
    if activation._forward_hooks or activation._forward_pre_hooks:
        return None
    if type(activation) is nn.GELU and activation.approximate == "none":
        return "gelu"
    if type(activation) is nn.SiLU:
        return "silu"
    return None
