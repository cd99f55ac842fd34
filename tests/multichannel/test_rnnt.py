"""rnnt_loss against a slow numpy DP and brute-force enumeration of lattice paths; gradients."""

import itertools

import numpy as np
import pytest
import torch
from _harness import check_compile, check_gradcheck, check_no_inplace
from conftest import tol

import torchsound.functional as F
import torchsound.transforms as T


def _logits(batch, frames, labels, classes, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, frames, labels + 1, classes, dtype=dtype, generator=g)


def _targets(batch, labels, classes, blank, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.randint(0, classes - 1, (batch, labels), generator=g, dtype=torch.int32)
    return torch.where(t >= blank, t + 1, t).int()  # never the blank


def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _numpy_dp(lp, target, blank):
    """Direct alpha recursion on one item: lp (T, U+1, D) log probs."""
    frames, width = lp.shape[0], len(target) + 1
    alpha = np.full((frames, width), -np.inf)
    alpha[0, 0] = 0.0
    for t in range(frames):
        for u in range(width):
            if t == 0 and u == 0:
                continue
            terms = []
            if t > 0:
                terms.append(alpha[t - 1, u] + lp[t - 1, u, blank])
            if u > 0:
                terms.append(alpha[t, u - 1] + lp[t, u - 1, target[u - 1]])
            alpha[t, u] = np.logaddexp.reduce(terms)
    return -(alpha[-1, -1] + lp[-1, -1, blank])


def _brute_force(lp, target, blank):
    """log-sum-exp over every monotone path: T blanks and U emissions, the last move a blank."""
    frames, n_labels = lp.shape[0], len(target)
    scores = []
    for emit_at in itertools.combinations(range(frames - 1 + n_labels), n_labels):
        t = u = 0
        score = 0.0
        for move in range(frames - 1 + n_labels):
            if move in emit_at:
                score += lp[t, u, target[u]]
                u += 1
            else:
                score += lp[t, u, blank]
                t += 1
        scores.append(score + lp[t, u, blank])
    return -np.logaddexp.reduce(scores)


@pytest.mark.parametrize("frames, labels, blank", [(1, 0, 0), (3, 2, 0), (4, 3, -1), (2, 4, 2), (5, 1, -1)])
def test_matches_brute_force_and_numpy_dp(frames, labels, blank):
    classes = 5
    logits = _logits(1, frames, labels, classes, seed=frames * 10 + labels)
    blank_index = blank % classes
    targets = _targets(1, labels, classes, blank_index, seed=1)
    got = F.rnnt_loss(logits, targets, torch.tensor([frames], dtype=torch.int32),
                      torch.tensor([labels], dtype=torch.int32), blank=blank, reduction="none")
    lp = _log_softmax(logits[0].numpy())
    target = targets[0].tolist()
    torch.testing.assert_close(got[0].item(), _numpy_dp(lp, target, blank_index), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(got[0].item(), _brute_force(lp, target, blank_index), rtol=1e-10, atol=1e-10)


def _padded_batch(dtype=torch.float64):
    lengths = torch.tensor([7, 4, 5], dtype=torch.int32)
    target_lengths = torch.tensor([2, 4, 0], dtype=torch.int32)
    logits = _logits(3, 7, 4, 6, seed=3, dtype=dtype)
    targets = _targets(3, 4, 6, 5, seed=4)
    return logits, targets, lengths, target_lengths


def test_padded_batch_equals_items_and_reductions():
    logits, targets, lengths, target_lengths = _padded_batch()
    costs = F.rnnt_loss(logits, targets, lengths, target_lengths, reduction="none")
    assert costs.shape == (3,) and costs.dtype == torch.float64
    for b in range(3):
        t, u = int(lengths[b]), int(target_lengths[b])
        lp = _log_softmax(logits[b, :t, : u + 1].numpy())
        torch.testing.assert_close(costs[b].item(), _numpy_dp(lp, targets[b, :u].tolist(), 5), rtol=1e-10, atol=1e-10)
        alone = F.rnnt_loss(logits[b:b + 1, :t, : u + 1], targets[b:b + 1, :u], lengths[b:b + 1], target_lengths[b:b + 1],
                            reduction="none")
        torch.testing.assert_close(alone[0], costs[b], **tol("float64"))
    torch.testing.assert_close(F.rnnt_loss(logits, targets, lengths, target_lengths), costs.mean())
    torch.testing.assert_close(F.rnnt_loss(logits, targets, lengths, target_lengths, reduction="sum"), costs.sum())
    empty = F.rnnt_loss(logits[:0], targets[:0], lengths[:0], target_lengths[:0], reduction="none")
    assert empty.shape == (0,)
    module = T.RNNTLoss(reduction="sum")
    torch.testing.assert_close(module(logits, targets, lengths, target_lengths), costs.sum(), rtol=0, atol=0)


def test_unfused_takes_log_probs_and_dtype_is_kept():
    logits, targets, lengths, target_lengths = _padded_batch(torch.float32)
    fused = F.rnnt_loss(logits, targets, lengths, target_lengths, reduction="none")
    unfused = F.rnnt_loss(logits.log_softmax(-1), targets, lengths, target_lengths, reduction="none",
                          fused_log_softmax=False)
    assert fused.dtype == torch.float32
    torch.testing.assert_close(unfused, fused, **tol("float32"))
    half = F.rnnt_loss(logits.half(), targets, lengths, target_lengths, reduction="none")
    assert half.dtype == torch.float16
    torch.testing.assert_close(half.float(), fused, rtol=1e-2, atol=1e-2)
    check_no_inplace(lambda x: F.rnnt_loss(x, targets, lengths, target_lengths), logits)


def test_gradcheck_and_clamp():
    logits, targets, _, _ = _padded_batch()
    small = logits[:, :, :, :4][:2, :5]
    tl = torch.tensor([2, 4], dtype=torch.int32)
    tg = targets[:2].clamp(max=2)
    ln = torch.tensor([5, 3], dtype=torch.int32)
    check_gradcheck(lambda x: F.rnnt_loss(x, tg, ln, tl), small)
    check_gradcheck(lambda x: F.rnnt_loss(x.log_softmax(-1), tg, ln, tl, reduction="sum", fused_log_softmax=False), small)
    # clamp: each item's gradient is clipped before the reduction scales it
    x = small.clone().requires_grad_(True)
    F.rnnt_loss(x, tg, ln, tl, reduction="none").sum().backward()
    per_item = x.grad.clone()
    x.grad = None
    F.rnnt_loss(x, tg, ln, tl, clamp=0.05, reduction="mean").backward()
    torch.testing.assert_close(x.grad, per_item.clamp(-0.05, 0.05) / 2, **tol("float64"))
    assert per_item.abs().max() > 0.05  # the clamp is active
    torch.testing.assert_close(F.rnnt_loss(small, tg, ln, tl, clamp=0.05), F.rnnt_loss(small, tg, ln, tl))


def test_gradient_matches_finite_difference_of_brute_force():
    logits = _logits(1, 3, 2, 4, seed=7)
    targets = torch.tensor([[1, 2]], dtype=torch.int32)
    x = logits.clone().requires_grad_(True)
    F.rnnt_loss(x, targets, torch.tensor([3], dtype=torch.int32), torch.tensor([2], dtype=torch.int32), blank=0).backward()
    base = logits[0].numpy()
    step = 1e-6
    for idx in [(0, 0, 0), (1, 1, 2), (2, 2, 0), (0, 1, 1)]:
        plus, minus = base.copy(), base.copy()
        plus[idx] += step
        minus[idx] -= step
        fd = (_brute_force(_log_softmax(plus), [1, 2], 0) - _brute_force(_log_softmax(minus), [1, 2], 0)) / (2 * step)
        assert abs(x.grad[(0,) + idx].item() - fd) < 1e-6


def test_errors():
    logits, targets, lengths, target_lengths = _padded_batch()
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.rnnt_loss(logits, targets, lengths, target_lengths, reduction="avg")
    with pytest.raises(ValueError, match="reduction must be one of"):
        T.RNNTLoss(reduction="avg")
    with pytest.raises(ValueError, match="logits must be a 4-D"):
        F.rnnt_loss(logits[0], targets, lengths, target_lengths)
    with pytest.raises(ValueError, match="blank must be within"):
        F.rnnt_loss(logits, targets, lengths, target_lengths, blank=6)
    with pytest.raises(ValueError, match="targets must be a 2-D int32 or int64"):
        F.rnnt_loss(logits, targets.float(), lengths, target_lengths)
    with pytest.raises(ValueError, match="logit_lengths must have batch size"):
        F.rnnt_loss(logits, targets, lengths[:2], target_lengths)
    with pytest.raises(ValueError, match="logit_lengths must be in"):
        F.rnnt_loss(logits, targets, lengths - 1, target_lengths)
    with pytest.raises(ValueError, match=r"logits.shape\[2\] == targets.shape\[1\] \+ 1"):
        F.rnnt_loss(logits[:, :, :4], targets, lengths, target_lengths)
    with pytest.raises(ValueError, match=r"max\(target_lengths\) \+ 1"):
        F.rnnt_loss(logits, targets, lengths, target_lengths.clamp(max=3))


def test_compiles():
    logits, targets, lengths, target_lengths = _padded_batch(torch.float32)
    check_compile(lambda x: F.rnnt_loss(x, targets, lengths, target_lengths, reduction="none"), logits)


def test_device_kept(device):
    logits, targets, lengths, target_lengths = _padded_batch(torch.float32)
    want = F.rnnt_loss(logits, targets, lengths, target_lengths, reduction="none")
    got = F.rnnt_loss(logits.to(device), targets.to(device), lengths.to(device), target_lengths.to(device), reduction="none")
    assert got.device.type == torch.device(device).type
    torch.testing.assert_close(got.cpu(), want, **tol("float32"))
