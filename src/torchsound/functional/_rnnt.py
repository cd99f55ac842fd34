"""RNN-Transducer loss: the forward algorithm over the (T, U) lattice, one anti-diagonal per step."""

from __future__ import annotations

import functools

import torch

from .._internal.dtypes import restore, upcast

__all__ = ["rnnt_loss"]



def _log_zero() -> float:
    """Stands for log(0): finite so that logaddexp of two "impossible" cells has a finite gradient
    (a function: TorchScript reads no float globals)."""
    return -1e30


class _ClampGrad(torch.autograd.Function):
    """Per-sequence costs whose gradient w.r.t. the logits is clamped to [-clamp, clamp] before scaling."""

    @staticmethod
    def forward(ctx, logits, costs_fn, clamp):
        with torch.enable_grad():
            leaf = logits.detach().requires_grad_(True)
            costs = costs_fn(leaf)
            # each cost depends only on its own batch item, so one backward gives every per-item gradient
            (grads,) = torch.autograd.grad(costs.sum(), leaf)
        ctx.save_for_backward(grads.clamp(-clamp, clamp))
        return costs.detach()

    @staticmethod
    def backward(ctx, grad_costs):
        (grads,) = ctx.saved_tensors
        return grads * grad_costs.reshape(-1, 1, 1, 1), None, None


def _skew(lattice: torch.Tensor, n_diagonals: int) -> torch.Tensor:
    """(B, T, U1) -> (B, N, U1) with out[:, n, u] = lattice[:, n - u, u], or log(0) where n - u is outside [0, T)."""
    n_frames, width = lattice.shape[1], lattice.shape[2]
    n = torch.arange(n_diagonals, device=lattice.device).unsqueeze(1)
    t = n - torch.arange(width, device=lattice.device)
    valid = (t >= 0) & (t < n_frames)
    index = t.clamp(0, n_frames - 1).unsqueeze(0).expand(lattice.shape[0], -1, -1)
    return torch.where(valid, lattice.gather(1, index), _log_zero())


def _costs(logits: torch.Tensor, targets: torch.Tensor, logit_lengths: torch.Tensor, target_lengths: torch.Tensor,
           blank: int, fused_log_softmax: bool) -> torch.Tensor:
    log_probs = logits.log_softmax(-1) if fused_log_softmax else logits
    batch, n_frames, width = log_probs.shape[0], log_probs.shape[1], log_probs.shape[2]  # width = max_U + 1
    blank_lp = log_probs[..., blank]  # (B, T, U+1)
    labels = targets.long().clamp(0, log_probs.shape[-1] - 1)
    emit_lp = log_probs[:, :, :-1, :].gather(-1, labels[:, None, :, None].expand(-1, n_frames, -1, 1)).squeeze(-1)
    emit_lp = torch.cat([emit_lp, torch.full_like(blank_lp[:, :, :1], _log_zero())], dim=2)  # (B, T, U+1)
    n_diagonals = n_frames + width - 1
    blank_skew, emit_skew = _skew(blank_lp, n_diagonals), _skew(emit_lp, n_diagonals)
    pad = torch.full_like(blank_lp[:, 0, :1], _log_zero())
    # alpha on diagonal n = t + u, indexed by u
    alpha = torch.cat([torch.zeros_like(pad), pad.expand(-1, width - 1)], dim=1)
    diagonals = [alpha]
    for n in range(1, n_diagonals):
        from_blank = alpha + blank_skew[:, n - 1]  # (t - 1, u) -> (t, u)
        from_emit = torch.cat([pad, (alpha + emit_skew[:, n - 1])[:, :-1]], dim=1)  # (t, u - 1) -> (t, u)
        alpha = torch.logaddexp(from_blank, from_emit)
        diagonals.append(alpha)
    alphas = torch.stack(diagonals, dim=1)  # (B, N, U+1)
    last_t = logit_lengths.long() - 1
    last_u = target_lengths.long()
    rows = torch.arange(batch, device=logits.device)
    return -(alphas[rows, last_t + last_u, last_u] + blank_lp[rows, last_t, last_u])


def _check_lengths(logits, targets, logit_lengths, target_lengths):
    if logits.shape[1] != int(logit_lengths.max()) or int(logit_lengths.min()) < 1:
        raise ValueError(f"rnnt_loss: logit_lengths must be in [1, max_T] with max equal to logits.shape[1] = "
                         f"{logits.shape[1]}, got {logit_lengths.tolist()}")
    if targets.shape[1] != int(target_lengths.max()) or int(target_lengths.min()) < 0:
        raise ValueError(f"rnnt_loss: need logits.shape[2] == targets.shape[1] + 1 == max(target_lengths) + 1, got "
                         f"{logits.shape[2]}, {targets.shape[1]} + 1 and {target_lengths.tolist()}")


def rnnt_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    logit_lengths: torch.Tensor,
    target_lengths: torch.Tensor,
    blank: int = -1,
    clamp: float = -1,
    reduction: str = "mean",
    fused_log_softmax: bool = True,
):
    r"""RNN-Transducer loss (Graves 2012): minus the log probability of all alignments of ``targets``.

    The forward variable :math:`\alpha(t, u)` is computed one anti-diagonal :math:`t + u = n` at a
    time (all cells of a diagonal in one tensor step), and gradients come from autograd.

    Args:
        logits: joiner output (log probabilities when ``fused_log_softmax`` is False).
        targets: target labels, zero-padded (int32 or int64).
        logit_lengths: number of valid frames of each item.
        target_lengths: number of valid labels of each item.
        blank: blank label; negative counts from the end (default: the last class).
        clamp: if positive, clamp each item's gradient w.r.t. ``logits`` to ``[-clamp, clamp]``.
        reduction: ``"none"``, ``"mean"`` (over the batch) or ``"sum"``.
        fused_log_softmax: apply ``log_softmax`` to ``logits`` inside the loss.

    Shape:
        - logits: ``(batch, max_T, max_U + 1, classes)``
        - targets: ``(batch, max_U)``
        - logit_lengths, target_lengths: ``(batch,)``
        - output: ``(batch,)`` for ``"none"``, else a scalar
    """
    if not torch.jit.is_scripting():  # validation (eager only: it uses Python's types)
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"rnnt_loss: reduction must be one of 'none', 'mean' or 'sum', got {repr(reduction)}")
        if not isinstance(logits, torch.Tensor) or logits.ndim != 4 or not logits.is_floating_point():
            raise ValueError("rnnt_loss: logits must be a 4-D floating-point tensor (batch, max_T, max_U + 1, classes), got "
                             f"{getattr(logits, 'shape', type(logits).__name__)}")
        for name, value, ndim in (("targets", targets, 2), ("logit_lengths", logit_lengths, 1), ("target_lengths", target_lengths, 1)):
            if not isinstance(value, torch.Tensor) or value.ndim != ndim or value.dtype not in (torch.int32, torch.int64):
                raise ValueError(f"rnnt_loss: {name} must be a {ndim}-D int32 or int64 tensor, got "
                                 f"{getattr(value, 'shape', type(value).__name__)} {getattr(value, 'dtype', '')}")
            if value.shape[0] != logits.shape[0]:
                raise ValueError(f"rnnt_loss: {name} must have batch size {logits.shape[0]}, got {value.shape[0]}")
    n_classes = logits.shape[-1]
    if blank < 0:
        blank = n_classes + blank
    if not 0 <= blank < n_classes:
        raise ValueError(f"rnnt_loss: blank must be within [0, {n_classes}), got {blank}")
    if logits.shape[0] == 0:
        empty = logits.new_zeros(0)
        return empty if reduction == "none" else (empty.sum() if reduction == "sum" else empty.mean())
    if logits.shape[2] != targets.shape[1] + 1:
        raise ValueError(f"rnnt_loss: need logits.shape[2] == targets.shape[1] + 1, got {logits.shape[2]} and "
                         f"{targets.shape[1]} + 1")
    compute, dtype = upcast(logits)
    if torch.jit.is_scripting():
        # TorchScript has no custom autograd functions: same loss, but its gradient would not be clamped
        if clamp > 0 and logits.requires_grad:
            raise RuntimeError("rnnt_loss: clamp > 0 with gradients needs eager mode (not TorchScript)")
        costs = _costs(compute, targets, logit_lengths, target_lengths, blank, fused_log_softmax)
    else:
        # value checks read the lengths back from the device; a compiled graph skips them
        if not torch.compiler.is_compiling():
            _check_lengths(logits, targets, logit_lengths, target_lengths)
        costs_fn = functools.partial(_costs, targets=targets, logit_lengths=logit_lengths,
                                     target_lengths=target_lengths, blank=blank, fused_log_softmax=fused_log_softmax)
        costs = _ClampGrad.apply(compute, costs_fn, float(clamp)) if clamp > 0 else costs_fn(compute)
    costs = restore(costs, dtype)
    if reduction == "mean":
        return costs.mean()
    if reduction == "sum":
        return costs.sum()
    return costs
