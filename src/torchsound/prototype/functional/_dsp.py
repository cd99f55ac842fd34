"""Pointwise nonlinearities of torchaudio's prototype DSP functions."""

import torch


def exp_sigmoid(input: torch.Tensor, exponent: float = 10.0, max_value: float = 2.0, threshold: float = 1e-7) -> torch.Tensor:
    """Exponential sigmoid: ``max_value * sigmoid(input) ** log(exponent) + threshold``.

    A positive, bounded control signal (DDSP's amplitude nonlinearity): the output lies in
    ``[threshold, max_value + threshold]``; ``exponent`` sets the slope.

    Args:
        input: any real tensor.
        exponent: controls the slope (its logarithm is the power applied to the sigmoid).
        max_value: the output's upper bound (before ``threshold`` is added).
        threshold: the output's lower bound.

    Shape:
        input and output: ``(*)``, any shape.
    """
    return max_value * torch.sigmoid(input).pow(torch.log(torch.tensor(exponent, dtype=input.dtype, device=input.device))) + threshold
