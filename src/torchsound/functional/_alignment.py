"""CTC forced alignment (Viterbi over the CTC label lattice) and merging of frame labels into token spans."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch

__all__ = ["TokenSpan", "forced_align", "merge_tokens"]


def _check_lengths(name: str, lengths: torch.Tensor | None, size: int, what: str) -> None:
    if lengths is None:
        return
    if not isinstance(lengths, torch.Tensor) or lengths.ndim != 1 or lengths.numel() != 1:
        got = tuple(lengths.shape) if isinstance(lengths, torch.Tensor) else type(lengths).__name__
        raise ValueError(f"forced_align: {name} must be a 1-D tensor of shape (1,), got {got}")
    if int(lengths[0]) != size:
        raise ValueError(f"forced_align: {name} must equal the {what} ({size}) (input length mismatch), got {int(lengths[0])}"
                         if name == "input_lengths" else
                         f"forced_align: {name} must equal the {what} ({size}) (target length mismatch), got {int(lengths[0])}")


def forced_align(
    log_probs: torch.Tensor,
    targets: torch.Tensor,
    input_lengths: torch.Tensor | None = None,
    target_lengths: torch.Tensor | None = None,
    blank: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Align a CTC label sequence to an emission: the most likely CTC path that spells ``targets``.

    Viterbi over the CTC lattice of ``2L + 1`` states (blank, y1, blank, y2, ..., blank), one tensor
    step per frame over all states at once. As torchaudio, the batch size must be 1 and the
    lengths, when given, must equal the tensors' sizes. The emission must satisfy
    :math:`T \ge L + R` with :math:`R` the number of consecutive repeated labels.

    Args:
        log_probs: log probabilities of the CTC emission (blank included).
        targets: label sequence (int32 or int64), without ``blank``.
        input_lengths: lengths of the inputs (must equal ``T``).
        target_lengths: lengths of the targets (must equal ``L``).
        blank: index of the blank symbol.

    Returns:
        (labels, scores): the label of every frame on the best path (``targets``' dtype), and the
        log probability of that label at each frame (``log_probs``' dtype).

    Shape:
        - log_probs: ``(1, T, C)``
        - targets: ``(1, L)``
        - input_lengths, target_lengths: ``(1,)``
        - output: ``(1, T)`` and ``(1, T)``
    """
    if not isinstance(log_probs, torch.Tensor) or log_probs.ndim != 3:
        raise ValueError(f"forced_align: log_probs must be a 3-D tensor (1, T, C), got "
                         f"{tuple(log_probs.shape) if isinstance(log_probs, torch.Tensor) else type(log_probs).__name__}")
    if not log_probs.is_floating_point():
        raise ValueError(f"forced_align: log_probs must be a floating-point tensor, got {log_probs.dtype}")
    if not isinstance(targets, torch.Tensor) or targets.ndim != 2:
        raise ValueError(f"forced_align: targets must be a 2-D tensor (1, L), got "
                         f"{tuple(targets.shape) if isinstance(targets, torch.Tensor) else type(targets).__name__}")
    if targets.dtype not in (torch.int32, torch.int64):
        raise ValueError(f"forced_align: targets must be int32 or int64, got {targets.dtype}")
    if log_probs.shape[0] != 1 or targets.shape[0] != 1:
        raise ValueError(f"forced_align: the batch dimension of log_probs and targets must be 1, "
                         f"got {log_probs.shape[0]} and {targets.shape[0]}")
    n_frames, n_classes = log_probs.shape[1], log_probs.shape[2]
    n_labels = targets.shape[1]
    if isinstance(blank, bool) or not isinstance(blank, int) or not 0 <= blank < n_classes:
        raise ValueError(f"forced_align: blank must be within [0, {n_classes}), got {blank!r}")
    _check_lengths("input_lengths", input_lengths, n_frames, "number of frames of log_probs")
    _check_lengths("target_lengths", target_lengths, n_labels, "length of targets")
    labels = targets[0]
    if n_labels and bool((labels == blank).any()):
        raise ValueError(f"forced_align: targets Tensor shouldn't contain blank index {blank}, got {targets}")
    if n_labels and (bool((labels < 0).any()) or bool((labels >= n_classes).any())):
        raise ValueError(f"forced_align: targets values must be in [0, {n_classes}) (less than the CTC dimension), "
                         f"got {targets}")
    if n_frames == 0:
        raise ValueError("forced_align: log_probs must have at least one frame, got T = 0")
    repeats = int((labels[1:] == labels[:-1]).sum()) if n_labels > 1 else 0
    if n_frames < n_labels + repeats:
        raise ValueError(f"forced_align: targets length is too long for CTC. Found log_probs length: {n_frames}, "
                         f"targets length: {n_labels}, and number of repeats: {repeats}")

    emissions = log_probs[0].detach()
    device = log_probs.device
    n_states = 2 * n_labels + 1
    # lattice states: blank at even indices, labels at odd ones
    states = torch.full((n_states,), blank, dtype=torch.long, device=device)
    states[1::2] = labels.long()
    # a label may be entered from two states back unless it repeats the label before it
    can_skip = torch.zeros(n_states, dtype=torch.bool, device=device)
    if n_labels > 1:
        can_skip[3::2] = labels[1:] != labels[:-1]
    neg_inf = torch.tensor(float("-inf"), dtype=emissions.dtype, device=device)
    pad = neg_inf.expand(2)

    alpha = torch.full((n_states,), float("-inf"), dtype=emissions.dtype, device=device)
    alpha[: min(2, n_states)] = emissions[0, states[: min(2, n_states)]]
    back = torch.zeros((n_frames, n_states), dtype=torch.int8, device=device)
    for t in range(1, n_frames):
        padded = torch.cat([pad, alpha])  # padded[s + 2] == alpha[s]
        from_prev = padded[1:-1]
        from_skip = torch.where(can_skip, padded[:-2], neg_inf)
        best, choice = torch.stack([alpha, from_prev, from_skip]).max(dim=0)  # ties keep the earliest state
        back[t] = choice.to(torch.int8)
        alpha = best + emissions[t, states]

    # the path ends in the last label or the trailing blank
    if n_states > 1:
        state = torch.where(alpha[-1] > alpha[-2], n_states - 1, n_states - 2).to(device)
    else:
        state = torch.tensor(0, device=device)
    path = torch.empty(n_frames, dtype=torch.long, device=device)
    for t in range(n_frames - 1, -1, -1):
        path[t] = state
        state = state - back[t, state].long()
    aligned = states[path]
    scores = log_probs[0, torch.arange(n_frames, device=device), aligned]
    return aligned.to(targets.dtype).unsqueeze(0), scores.unsqueeze(0)


@dataclass
class TokenSpan:
    """A token and the frames it covers, as returned by :func:`merge_tokens`.

    ``start`` is inclusive, ``end`` exclusive; ``score`` is the mean of the frames' scores.
    """

    token: int
    start: int
    end: int
    score: float

    def __len__(self) -> int:
        return self.end - self.start


def merge_tokens(tokens: torch.Tensor, scores: torch.Tensor, blank: int = 0) -> list[TokenSpan]:
    """Merge runs of the same frame label into token spans, dropping blanks.

    Args:
        tokens: frame labels, e.g. ``forced_align``'s first output for one utterance.
        scores: per-frame scores (torchaudio's tutorial passes probabilities, ``scores.exp()``).
        blank: the blank label, whose runs are dropped.

    Returns:
        one :class:`TokenSpan` per run of a non-blank label, with the mean score over the run.

    Shape:
        - tokens, scores: ``(T,)``
        - output: list of ``TokenSpan``
    """
    if not isinstance(tokens, torch.Tensor) or not isinstance(scores, torch.Tensor) or tokens.ndim != 1 or scores.ndim != 1:
        raise ValueError("merge_tokens: tokens and scores must be 1D tensors, got "
                         f"{getattr(tokens, 'shape', type(tokens).__name__)} and {getattr(scores, 'shape', type(scores).__name__)}")
    if tokens.shape[0] != scores.shape[0]:
        raise ValueError(f"merge_tokens: tokens and scores must be the same length, got {tokens.shape[0]} and {scores.shape[0]}")
    edges = torch.ones(tokens.shape[0] + 1, dtype=torch.bool, device=tokens.device)
    edges[1:-1] = tokens[1:] != tokens[:-1]
    bounds = torch.nonzero(edges).flatten().tolist()
    token_list = tokens.tolist()
    spans = []
    for start, end in itertools.pairwise(bounds):
        if token_list[start] != blank:
            spans.append(TokenSpan(token=token_list[start], start=start, end=end, score=scores[start:end].mean().item()))
    return spans
