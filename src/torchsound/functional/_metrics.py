"""Evaluation metrics: Levenshtein edit distance and the Fréchet distance between Gaussians."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["edit_distance", "frechet_distance"]


@torch.jit.unused  # as torchaudio's: scripted code that calls it compiles, and raises if it runs
def edit_distance(seq1: Sequence, seq2: Sequence) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions turning one sequence into the other.

    Items are compared with ``==``; works on strings, lists of words, lists of token ids.

    Args:
        seq1: first sequence.
        seq2: second sequence.

    Shape:
        - seq1, seq2: any sequences (lengths ``M`` and ``N``)
        - output: ``int`` in ``[|M - N|, max(M, N)]``
    """
    if len(seq1) < len(seq2):  # keep the rolling row as short as possible
        seq1, seq2 = seq2, seq1
    previous = list(range(len(seq2) + 1))
    for i, a in enumerate(seq1, start=1):
        current = [i]
        for j, b in enumerate(seq2, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]


def frechet_distance(mu_x, sigma_x, mu_y, sigma_y):
    r"""Fréchet distance between two multivariate Gaussians :math:`N(\mu_x, \Sigma_x)` and :math:`N(\mu_y, \Sigma_y)`.

    :math:`\|\mu_x - \mu_y\|^2 + \mathrm{tr}(\Sigma_x + \Sigma_y - 2 (\Sigma_x \Sigma_y)^{1/2})`, the
    matrix square root's trace taken as the sum of square roots of the eigenvalues of
    :math:`\Sigma_x \Sigma_y` (as torchaudio, used by FAD/FID).

    Args:
        mu_x, mu_y: means.
        sigma_x, sigma_y: covariance matrices.

    Shape:
        - mu_x, mu_y: ``(D,)``
        - sigma_x, sigma_y: ``(D, D)``
        - output: scalar tensor
    """
    for name, value, ndim in (("mu_x", mu_x, 1), ("sigma_x", sigma_x, 2), ("mu_y", mu_y, 1), ("sigma_y", sigma_y, 2)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"frechet_distance: {name} must be a torch.Tensor, got {type(value).__name__}")
        if value.ndim != ndim:
            raise ValueError(f"frechet_distance: {name} must be {ndim}-dimensional, got shape {list(value.shape)}")
    dim = mu_x.shape[0]
    if mu_y.shape != mu_x.shape:
        raise ValueError(f"frechet_distance: mu_x and mu_y must have the same shape, got {list(mu_x.shape)} and {list(mu_y.shape)}")
    for name, value in (("sigma_x", sigma_x), ("sigma_y", sigma_y)):
        if value.shape != (dim, dim):
            raise ValueError(f"frechet_distance: {name} must be ({dim}, {dim}) to match the means, got {list(value.shape)}")
    mean_term = (mu_x - mu_y).square().sum()
    trace_term = torch.trace(sigma_x) + torch.trace(sigma_y)
    # eigenvalues of a product of PSD matrices are real and >= 0 up to rounding
    sqrt_trace = torch.linalg.eigvals(sigma_x @ sigma_y).sqrt().real.sum()
    return mean_term + trace_term - 2 * sqrt_trace
