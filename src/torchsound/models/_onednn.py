"""Inference fast paths through oneDNN's fused CPU kernels, with the plain torch ops as the fallback.

Measured on the benchmark machine (x86, 2 threads, float32): ``F.linear`` on a 1000 x 768 x 3072 product goes
through MKL's sgemm plus a separate bias copy and runs about 1.5x the time of oneDNN's
``mkldnn._linear_pointwise``, which also folds the bias and a following GELU into the product. Results agree
with ``F.linear`` to float32 rounding (~1e-6 relative; summation order differs).

The fast path is taken only where it cannot change anything but rounding: eager mode (not TorchScript, not
torch.compile/export tracing), float32 tensors on the CPU, and autograd off (``torch.no_grad`` or
``torch.inference_mode``: the oneDNN ops have no backward). Everywhere else the plain ops run.
"""

from __future__ import annotations

from typing import Optional

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


def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor], gelu: bool = False) -> Tensor:
    """``F.linear`` (then exact GELU when ``gelu``), fused by oneDNN where :func:`usable`.

    Shape:
        x ``(..., in_features)``, weight ``(out_features, in_features)`` -> ``(..., out_features)``.
    """
    if not torch.jit.is_scripting():
        if usable(x, weight) and x.numel() > 0:
            return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "gelu" if gelu else "none", [], "none")
    y = nn.functional.linear(x, weight, bias)
    return nn.functional.gelu(y) if gelu else y



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


_PLAIN_LINEARS = (nn.Linear, nn.modules.linear.NonDynamicallyQuantizableLinear)


def apply(layer: nn.Module, x: Tensor, gelu: bool = False) -> Tensor:
    """``layer(x)`` (then exact GELU when ``gelu``), by :func:`linear`'s fused kernel when ``layer`` is a plain
    ``nn.Linear`` without hooks; any other module (quantized, parametrized, hooked) is called as it is.

    Eager only: scripted code calls the layer itself.
    """
    if type(layer) in _PLAIN_LINEARS and not (layer._forward_hooks or layer._forward_pre_hooks):
        return linear(x, layer.weight, layer.bias, gelu)
    y = layer(x)
    return nn.functional.gelu(y) if gelu else y
