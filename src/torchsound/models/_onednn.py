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



def conv1d_frames(x: Tensor, weight: Tensor, bias: Optional[Tensor], stride: int, gelu: bool = False,
                  chunk: int = 1024) -> Tensor:
    """A 1-d convolution (no padding, dilation 1, one group) over channels-last frames, then exact GELU when
    ``gelu``, as BLAS products over strided views of the frames (no gathered copy).

    ``weight`` may also come as :func:`conv1d_frames_weight` made it, to prepare it once for many calls.

    A window of ``kernel`` frames starts every ``stride`` frames; its first ``min(kernel, stride)`` frames are one
    row of a strided (BLAS-ready) view, each further frame another: one product for the first and one more per
    further frame, accumulated in place. Output is written ``chunk`` frames at a time, so each chunk's partial
    sums and its GELU stay in cache. Measured on the benchmark machine (2 threads, wav2vec2's 512-channel
    kernel-3 stride-2 layers): about 0.8x the time of oneDNN's convolution on the same channels-last frames
    (which itself saves a reorder of its input and output, ~0.2x, over channels-first frames). BLAS (``addmm``)
    and not oneDNN's product: oneDNN accumulates a 1,536-term window in one chain and was measured ~3x less
    accurate; BLAS's blocked sums are as accurate as the convolution's.

    Shape:
        x ``(in_frame, in_channels)``, weight ``(out_channels, in_channels, kernel)`` ->
        ``(out_frame, out_channels)`` with ``out_frame = (in_frame - kernel) // stride + 1``.
    """
    frames, channels = x.shape
    taps = conv1d_frames_weight(weight) if weight.ndim == 3 else weight
    kernel = taps.shape[0] // channels
    out_channels = taps.shape[1]
    out_frames = (frames - kernel) // stride + 1
    x = x.contiguous()
    if bias is None:
        bias = x.new_zeros(out_channels)
    head = min(kernel, stride)  # frames of a window side by side in one strided row
    out = x.new_empty(out_frames, out_channels)
    for start in range(0, out_frames, chunk):
        count = min(chunk, out_frames - start)
        offset = x.storage_offset() + start * stride * channels
        rows = out[start : start + count]
        first = x.as_strided((count, head * channels), (stride * channels, 1), offset)
        torch.addmm(bias, first, taps[: head * channels], out=rows)
        for tap in range(head, kernel):
            frame = x.as_strided((count, channels), (stride * channels, 1), offset + tap * channels)
            rows.addmm_(frame, taps[tap * channels : (tap + 1) * channels])
        if gelu:
            torch.ops.aten.gelu_(rows)
    return out


def conv1d_frames_weight(weight: Tensor) -> Tensor:
    """A convolution weight laid out for :func:`conv1d_frames`: tap-major rows, as a window's frames lie.

    Shape: ``(out_channels, in_channels, kernel)`` -> ``(kernel * in_channels, out_channels)``.
    """
    out_channels, channels, kernel = weight.shape
    return weight.permute(2, 1, 0).reshape(kernel * channels, out_channels)


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
