"""lfilter on high-order filters against scipy.signal.sosfilt on the exact second-order sections (issue 13).

torchaudio 2.8's own test: a 9th-order Butterworth high-pass (850 Hz at 22.05 kHz, and 2, 4, 8 times that
cutoff) filtering an impulse in float64 must be within 1e-4 of sosfilt; torchaudio reaches 2.9e-10 with its
sample-by-sample loop.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import torch

import torchsound.functional as F
from torchsound.functional import _filtering


def _impulse_response(order, cutoff, btype, n=2048):
    b, a = scipy.signal.butter(order, cutoff, btype, fs=22050, output="ba")
    sos = scipy.signal.butter(order, cutoff, btype, fs=22050, output="sos")
    x = torch.zeros(n, dtype=torch.float64)
    x[0] = 1
    ours = F.lfilter(x, torch.from_numpy(a), torch.from_numpy(b), clamp=False).numpy()
    return ours, scipy.signal.sosfilt(sos, x.numpy()), scipy.signal.lfilter(b, a, x.numpy())


@pytest.mark.parametrize("shift", [0.0, 1.0, 2.0, 3.0])
def test_9th_order_highpass_matches_sosfilt(shift):
    ours, reference, _ = _impulse_response(9, 850 * 2**shift, "hp")
    np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-4)  # torchaudio's test tolerance
    # measured here: 7.5e-7, 3.3e-9, 1.7e-14, 8e-16 (the cancellation-aware block length keeps the first one)
    assert np.abs(ours - reference).max() < 1e-6


@pytest.mark.parametrize(
    "order, cutoff, btype, bound",
    [
        (7, 200, "hp", 1e-7),  # Lyapunov basis fails (condition ~1e17): exact recursion; was 1e93 before
        (8, 100, "hp", 1e-3),  # scipy's own ba recursion is 5e-5 from sosfilt here (ill-conditioned ba form)
        (6, 300, "hp", 1e-6),
        (4, 100, "hp", 1e-6),
        (8, 500, "lp", 1e-7),
    ],
)
def test_high_order_filters_stay_close_to_sosfilt(order, cutoff, btype, bound):
    ours, reference, scipy_ba = _impulse_response(order, cutoff, btype)
    assert np.isfinite(ours).all()
    error = np.abs(ours - reference).max()
    assert error < bound, (error, np.abs(scipy_ba - reference).max())


def test_ill_conditioned_filter_falls_back_to_the_recursion():
    def block_method_ok(b, a):
        a_t = torch.from_numpy(a / a[0]).unsqueeze(0)
        found = _filtering._block_matrices(torch.from_numpy(b / a[0]).unsqueeze(0), a_t, _filtering._BLOCK)[-1]
        return _filtering._has_contractive_basis(a_t, found)

    b, a = scipy.signal.butter(7, 200, "hp", fs=22050)
    assert not block_method_ok(b, a)
    assert block_method_ok(*scipy.signal.butter(9, 850, "hp", fs=22050))
    assert block_method_ok(np.array([1.0, 0.0, 0.0, 0.0]), np.array([1.0, -2.5, 2.0, -0.3]))  # unstable: fast path
    # the recursion path is differentiable like the block path
    x = torch.randn(1, 200, dtype=torch.float64, requires_grad=True)
    F.lfilter(x, torch.from_numpy(a), torch.from_numpy(b), clamp=False).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_cancellation_shortens_blocks_only_where_needed():
    """High-pass with poles near z = 1: shorter blocks; low-pass and biquads keep the full block."""
    def block_for(b, a):
        b_t = torch.from_numpy(b / a[0]).unsqueeze(0)
        a_t = torch.from_numpy(a / a[0]).unsqueeze(0)
        mats = _filtering._block_matrices(b_t, a_t, _filtering._BLOCK)
        return _filtering._accurate_block(mats[-2], mats[0], b_t, a_t.shape[-1] - 1)

    assert block_for(*scipy.signal.butter(9, 850, "hp", fs=22050)) == 9
    assert block_for(*scipy.signal.butter(8, 0.36)) == _filtering._BLOCK
    assert block_for(*scipy.signal.butter(2, 0.1)) == _filtering._BLOCK
