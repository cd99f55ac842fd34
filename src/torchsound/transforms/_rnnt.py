"""Module wrapper of the RNN-Transducer loss."""

from __future__ import annotations

import torch

from ..functional._rnnt import rnnt_loss

__all__ = ["RNNTLoss"]


class RNNTLoss(torch.nn.Module):
    """RNN-Transducer loss (see ``functional.rnnt_loss``).

    Args:
        blank: blank label; negative counts from the end.
        clamp: if positive, clamp each item's gradient w.r.t. the logits to ``[-clamp, clamp]``.
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.
        fused_log_softmax: apply ``log_softmax`` to the logits inside the loss.

    Shape:
        - logits: ``(batch, max_T, max_U + 1, classes)``
        - targets: ``(batch, max_U)``
        - logit_lengths, target_lengths: ``(batch,)``
        - output: ``(batch,)`` for ``"none"``, else a scalar
    """

    def __init__(self, blank: int = -1, clamp: float = -1.0, reduction: str = "mean", fused_log_softmax: bool = True):
        super().__init__()
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"RNNTLoss: reduction must be one of 'none', 'mean' or 'sum', got {repr(reduction)}")
        self.blank = blank
        self.clamp = clamp
        self.reduction = reduction
        self.fused_log_softmax = fused_log_softmax

    def forward(self, logits: torch.Tensor, targets: torch.Tensor, logit_lengths: torch.Tensor, target_lengths: torch.Tensor):
        return rnnt_loss(logits, targets, logit_lengths, target_lengths, blank=self.blank, clamp=self.clamp,
                         reduction=self.reduction, fused_log_softmax=self.fused_log_softmax)
