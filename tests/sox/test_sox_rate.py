"""rate, speed, pitch, upsample, downsample against sox."""

from __future__ import annotations

import pytest
import torch
from soxoracle import GRID, log_mel_distance, run_sox, signal

from conftest import snr_db
from torchsound.sox_effects import apply_effects_tensor

# contract: exact length and SNR >= 30 dB (we fit the default -h filter to sox's: ~40 dB on white noise)
RATE_CHAINS = [[["rate", "8k"]], [["rate", "44100"]], [["rate", "-v", "16k"]], [["rate", "-l", "22050"]],
               [["speed", "1.1"], ["rate", "16k"]], [["speed", "-100c"], ["rate", "8k"]], [["speed", "0.8"], ["rate", "44.1k"]]]
RATE_CASES = [(c, GRID[(i + k) % len(GRID)]) for i, c in enumerate(RATE_CHAINS) for k in (0, 3)]


def _ids(v):
    return " ".join(" ".join(e) for e in v) if isinstance(v[0], list) else f"{v[0]}-{v[1]}-{v[2]}ch"


@pytest.mark.parametrize("chain,row", RATE_CASES, ids=_ids)
def test_rate_matches_sox(chain, row, speech):
    x = signal(*row, speech) * 0.8
    expected, expected_rate = run_sox(x, row[1], chain)
    got, rate = apply_effects_tensor(x, row[1], chain)
    assert rate == expected_rate
    assert got.shape == expected.shape
    assert snr_db(expected, got) >= 30.0


@pytest.mark.parametrize("chain,row", [([["pitch", "300"], ["rate", "16k"]], GRID[0]), ([["pitch", "-q", "-500"], ["rate", "8k"]], GRID[1]),
                                       ([["pitch", "200"], ["rate", "44100"]], GRID[3])], ids=_ids)
def test_pitch_matches_sox(chain, row, speech):
    # contract for pitch: exact length and a log-mel distance bound of 0.5 dB
    x = signal(*row, speech) * 0.8
    expected, _ = run_sox(x, row[1], chain)
    got, _ = apply_effects_tensor(x, row[1], chain)
    assert got.shape == expected.shape
    for c in range(got.shape[0]):
        assert log_mel_distance(expected[c], got[c], row[1]) < 0.5


def test_pitch_and_speed_change_the_rate_like_libsox():
    x = torch.rand(1, 8000) * 1.8 - 0.9  # within full scale: the chain saturates as libsox
    y, rate = apply_effects_tensor(x, 16000, [["speed", "1.1"]])
    assert rate == 17600 and torch.equal(y, x)
    y, rate = apply_effects_tensor(x, 16000, [["pitch", "1200"]])
    assert rate == 32000 and y.shape[-1] == 16000


@pytest.mark.parametrize("effect,rate,out_rate", [(["upsample"], 16000, 32000), (["upsample", "3"], 8000, 24000),
                                                  (["downsample"], 16000, 8000), (["downsample", "3"], 48000, 16000)],
                         ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_up_down_sample_match_sox(effect, rate, out_rate):
    x = signal("noise", rate, 2)[..., :7999]
    expected, _ = run_sox(x, rate, [effect], out_rate=out_rate)
    got, got_rate = apply_effects_tensor(x, rate, [effect])
    assert got_rate == out_rate and got.shape == expected.shape
    assert snr_db(expected, got) >= 50.0


def test_speed_alone_matches_sox():
    x = signal("sweep", 16000, 1)
    expected, _ = run_sox(x, 16000, [["speed", "1.5"]], out_rate=24000)
    got, rate = apply_effects_tensor(x, 16000, [["speed", "1.5"]])
    assert rate == 24000 and snr_db(expected, got) >= 50.0


def test_rate_is_differentiable_and_batched():
    x = torch.randn(3, 2, 800, dtype=torch.float64, requires_grad=True)
    y, rate = apply_effects_tensor(x, 16000, [["rate", "8k"]])
    assert rate == 8000 and y.shape == (3, 2, 400)
    y.sum().backward()
    assert x.grad.abs().sum() > 0
    single, _ = apply_effects_tensor(x[1].detach(), 16000, [["rate", "8k"]])
    torch.testing.assert_close(single, y[1].detach())


@pytest.mark.parametrize("effect,match", [
    (["rate"], "rate.*needs the output rate"),
    (["rate", "-x", "8k"], "rate.*'-x'"),
    (["rate", "-I", "8k"], "rate.*'-I'.*not supported"),
    (["rate", "fast"], "rate.*'fast'"),
    (["speed", "-1.1"], "speed.*'-1.1'.*positive"),
    (["speed"], "speed.*missing"),
    (["upsample", "0"], "upsample.*'0'"),
    (["downsample", "x"], "downsample.*'x'"),
])
def test_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 1000), 8000, [effect])
