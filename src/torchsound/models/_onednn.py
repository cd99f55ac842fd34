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
