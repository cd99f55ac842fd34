"""forced_align against brute-force enumeration of CTC paths and a slow pure-Python Viterbi; merge_tokens."""

import itertools

import pytest
import torch
from _harness import check_no_inplace

import torchsound.functional as F


def _emission(frames, classes, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(1, frames, classes, dtype=dtype, generator=g).log_softmax(-1)


def _collapse(path, blank):
    out = [k for k, _ in itertools.groupby(path)]
    return [k for k in out if k != blank]


def _brute_force(log_probs, target, blank):
    """Best of every length-T label sequence that collapses to ``target``."""
    lp = log_probs[0].tolist()
    best, best_path = float("-inf"), None
    for path in itertools.product(range(len(lp[0])), repeat=len(lp)):
        if _collapse(path, blank) == target:
            score = sum(lp[t][k] for t, k in enumerate(path))
            if score > best:
                best, best_path = score, list(path)
    return best_path


def _slow_viterbi(log_probs, target, blank):
    """Direct Viterbi over the 2L+1 CTC states with Python lists."""
    lp = log_probs[0].tolist()
    states = [blank]
    for y in target:
        states += [y, blank]
    n = len(states)
    neg = float("-inf")
    score = [[neg] * n for _ in lp]
    back = [[0] * n for _ in lp]
    score[0][0] = lp[0][states[0]]
    if n > 1:
        score[0][1] = lp[0][states[1]]
    for t in range(1, len(lp)):
        for s in range(n):
            options = [(score[t - 1][s], s)]
            if s >= 1:
                options.append((score[t - 1][s - 1], s - 1))
            if s >= 2 and states[s] != blank and states[s] != states[s - 2]:
                options.append((score[t - 1][s - 2], s - 2))
            value, origin = max(options, key=lambda o: o[0])
            score[t][s] = value + lp[t][states[s]]
            back[t][s] = origin
    s = n - 1 if n == 1 or score[-1][n - 1] > score[-1][n - 2] else n - 2
    path = []
    for t in range(len(lp) - 1, -1, -1):
        path.append(states[s])
        s = back[t][s]
    return path[::-1]


@pytest.mark.parametrize("target, frames, blank", [
    ([1], 3, 0), ([1, 2], 5, 0), ([1, 1], 5, 0), ([2, 1, 2], 6, 0), ([0, 2], 5, 1), ([], 4, 0), ([1, 2, 3], 3, 0),
])
def test_forced_align_matches_brute_force(target, frames, blank):
    classes = 4
    for seed in range(3):
        lp = _emission(frames, classes, seed)
        labels, scores = F.forced_align(lp, torch.tensor([target], dtype=torch.int32), blank=blank)
        want = _brute_force(lp, target, blank)
        assert labels[0].tolist() == want
        assert labels.dtype == torch.int32 and labels.shape == (1, frames)
        torch.testing.assert_close(scores[0], lp[0, torch.arange(frames), torch.tensor(want)], rtol=0, atol=0)


def test_forced_align_matches_slow_viterbi_on_longer_inputs():
    for seed in range(4):
        g = torch.Generator().manual_seed(100 + seed)
        target = torch.randint(1, 6, (1, 8), generator=g)
        target[0, 3] = target[0, 2]  # include a repeat
        lp = _emission(40, 6, seed, dtype=torch.float32)
        labels, scores = F.forced_align(lp, target, torch.tensor([40]), torch.tensor([8]))
        assert labels[0].tolist() == _slow_viterbi(lp, target[0].tolist(), 0)
        assert labels.dtype == torch.int64 and scores.dtype == torch.float32
        assert _collapse(labels[0].tolist(), 0) == target[0].tolist()


def test_forced_align_keeps_input_and_scores_are_differentiable():
    lp = _emission(10, 5, 0).requires_grad_(True)
    target = torch.tensor([[1, 3, 2]])
    check_no_inplace(lambda x: F.forced_align(x, target)[1], lp.detach())
    labels, scores = F.forced_align(lp, target)
    scores.sum().backward()
    # d(sum of chosen log probs)/d log_probs is the one-hot path
    torch.testing.assert_close(lp.grad[0].sum(-1), torch.ones(10, dtype=torch.float64))
    assert lp.grad[0, torch.arange(10), labels[0]].eq(1).all()


def test_forced_align_errors():
    lp = _emission(5, 4, 0)
    with pytest.raises(ValueError, match="log_probs must be a 3-D tensor"):
        F.forced_align(lp[0], torch.tensor([[1]]))
    with pytest.raises(ValueError, match="targets must be a 2-D tensor"):
        F.forced_align(lp, torch.tensor([1]))
    with pytest.raises(ValueError, match="batch dimension"):
        F.forced_align(lp.expand(2, -1, -1), torch.tensor([[1], [1]]))
    with pytest.raises(ValueError, match="blank must be within"):
        F.forced_align(lp, torch.tensor([[1]]), blank=4)
    with pytest.raises(ValueError, match="shouldn't contain blank index"):
        F.forced_align(lp, torch.tensor([[1, 0]]))
    with pytest.raises(ValueError, match="targets values must be in"):
        F.forced_align(lp, torch.tensor([[1, 4]]))
    with pytest.raises(ValueError, match="too long for CTC"):
        F.forced_align(lp, torch.tensor([[1, 1, 2, 2]]))  # 4 labels + 2 repeats > 5 frames
    with pytest.raises(ValueError, match="input length mismatch"):
        F.forced_align(lp, torch.tensor([[1]]), input_lengths=torch.tensor([4]))
    with pytest.raises(ValueError, match="target length mismatch"):
        F.forced_align(lp, torch.tensor([[1, 2]]), target_lengths=torch.tensor([1]))
    with pytest.raises(ValueError, match="int32 or int64"):
        F.forced_align(lp, torch.tensor([[1.0]]))


def test_merge_tokens_matches_groupby():
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 3, (50,), generator=g)
    scores = torch.rand(50, generator=g)
    spans = F.merge_tokens(tokens, scores)
    want, t = [], 0
    for token, run in itertools.groupby(tokens.tolist()):
        n = len(list(run))
        if token != 0:
            want.append((token, t, t + n, sum(scores[t:t + n].tolist()) / n))
        t += n
    assert [(s.token, s.start, s.end) for s in spans] == [w[:3] for w in want]
    for span, w in zip(spans, want):
        assert span.score == pytest.approx(w[3], rel=1e-6)
        assert len(span) == w[2] - w[1]
    assert all(isinstance(s, F.TokenSpan) for s in spans)
    # another blank index drops that label instead
    assert {s.token for s in F.merge_tokens(tokens, scores, blank=2)} <= {0, 1}


def test_merge_tokens_on_an_alignment_and_errors():
    lp = _emission(12, 5, 1)
    labels, scores = F.forced_align(lp, torch.tensor([[3, 3, 1]]))
    spans = F.merge_tokens(labels[0], scores[0].exp())
    assert [s.token for s in spans] == [3, 3, 1]
    assert all(0 < s.score <= 1 for s in spans) and all(s.end > s.start for s in spans)
    with pytest.raises(ValueError, match="1D tensors"):
        F.merge_tokens(labels, scores)
    with pytest.raises(ValueError, match="same length"):
        F.merge_tokens(labels[0], scores[0, :-1])


def test_device_kept(device):
    lp = _emission(20, 5, 3, dtype=torch.float32)
    target = torch.tensor([[1, 3, 3, 2]])
    want = F.forced_align(lp, target)
    got = F.forced_align(lp.to(device), target.to(device))
    assert got[0].device.type == got[1].device.type == torch.device(device).type
    assert got[0].cpu().tolist() == want[0].tolist()
    torch.testing.assert_close(got[1].cpu(), want[1])
