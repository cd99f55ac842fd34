"""edit_distance against a full-table DP and constructed cases; frechet_distance against scipy's sqrtm."""

import itertools
import random

import numpy as np
import pytest
import scipy.linalg
import torch

import torchsound.functional as F


def _dp_edit_distance(a, b):
    """The textbook (len(a)+1) x (len(b)+1) table."""
    table = np.zeros((len(a) + 1, len(b) + 1), dtype=int)
    table[:, 0] = np.arange(len(a) + 1)
    table[0, :] = np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i, j] = min(table[i - 1, j] + 1, table[i, j - 1] + 1, table[i - 1, j - 1] + (a[i - 1] != b[j - 1]))
    return int(table[-1, -1])


def test_edit_distance_matches_dp_on_random_sequences():
    rng = random.Random(0)
    for _ in range(200):
        a = [rng.randrange(4) for _ in range(rng.randrange(9))]
        b = [rng.randrange(4) for _ in range(rng.randrange(9))]
        assert F.edit_distance(a, b) == _dp_edit_distance(a, b)
        assert F.edit_distance(a, b) == F.edit_distance(b, a)


def test_edit_distance_constructed_cases():
    words = ["the", "quick", "brown", "fox", "jumps"]
    assert F.edit_distance(words, words) == 0
    assert F.edit_distance(words, []) == len(words)  # delete everything
    assert F.edit_distance("", "abc") == 3  # insert everything
    # k substitutions at distinct positions of an alphabet-disjoint replacement cost exactly k
    for k in range(len(words) + 1):
        changed = [w.upper() if i < k else w for i, w in enumerate(words)]
        assert F.edit_distance(words, changed) == k
    # one deletion plus one insertion of a new symbol at a far position: 2
    assert F.edit_distance(words, words[1:] + ["dog"]) == 2
    # strings and lists of characters agree
    for a, b in itertools.product(["kitten", "sitting", "", "k"], repeat=2):
        assert F.edit_distance(a, b) == F.edit_distance(list(a), list(b)) == _dp_edit_distance(a, b)


def _spd(dim, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(dim, 2 * dim, dtype=dtype, generator=g)
    return a @ a.T / (2 * dim) + 0.1 * torch.eye(dim, dtype=dtype)


def _scipy_frechet(mu_x, sx, mu_y, sy):
    covmean = scipy.linalg.sqrtm(sx @ sy).real
    return float(((mu_x - mu_y) ** 2).sum() + np.trace(sx) + np.trace(sy) - 2 * np.trace(covmean))


@pytest.mark.parametrize("dim", [1, 4, 16])
def test_frechet_distance_matches_scipy_sqrtm(dim):
    g = torch.Generator().manual_seed(dim)
    mu_x, mu_y = torch.randn(dim, dtype=torch.float64, generator=g), torch.randn(dim, dtype=torch.float64, generator=g)
    sx, sy = _spd(dim, 1), _spd(dim, 2)
    got = F.frechet_distance(mu_x, sx, mu_y, sy)
    assert got.dtype == torch.float64 and got.ndim == 0
    want = _scipy_frechet(mu_x.numpy(), sx.numpy(), mu_y.numpy(), sy.numpy())
    torch.testing.assert_close(got.item(), want, rtol=1e-8, atol=1e-9)
    # float32 in, float32 out
    got32 = F.frechet_distance(mu_x.float(), sx.float(), mu_y.float(), sy.float())
    assert got32.dtype == torch.float32
    torch.testing.assert_close(got32.item(), want, rtol=1e-4, atol=1e-4)


def test_frechet_distance_properties_and_gradient():
    mu, s = torch.randn(5, dtype=torch.float64), _spd(5, 3)
    torch.testing.assert_close(F.frechet_distance(mu, s, mu, s).item(), 0.0, rtol=0, atol=1e-9)
    # equal covariances: only the squared mean distance remains
    shift = torch.full((5,), 0.5, dtype=torch.float64)
    torch.testing.assert_close(F.frechet_distance(mu, s, mu + shift, s).item(), 5 * 0.25, rtol=1e-10, atol=1e-9)
    mu_y = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda m: F.frechet_distance(mu, s, m, _spd(5, 4)), (mu_y,))


def test_frechet_distance_errors():
    mu, s = torch.zeros(3), torch.eye(3)
    with pytest.raises(ValueError, match="mu_x must be 1-dimensional"):
        F.frechet_distance(s, s, mu, s)
    with pytest.raises(ValueError, match="sigma_y must be 2-dimensional"):
        F.frechet_distance(mu, s, mu, mu)
    with pytest.raises(ValueError, match="same shape"):
        F.frechet_distance(mu, s, torch.zeros(4), s)
    with pytest.raises(ValueError, match=r"sigma_x must be \(3, 3\)"):
        F.frechet_distance(mu, torch.eye(4), mu, s)
    with pytest.raises(TypeError, match="mu_x must be a torch.Tensor"):
        F.frechet_distance([0.0], s, mu, s)
