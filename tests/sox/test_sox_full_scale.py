"""Loud input: a full-scale sine through effects that overshoot (resamplers ring, pitch shifters and
compressors add gain); sox saturates every effect's output at full scale and so does the chain by default."""

from __future__ import annotations

import pytest
import torch
from soxoracle import FULL_SCALE_CASES, full_scale_sine, log_mel_distance, run_sox

from conftest import snr_db
from torchsound.sox_effects import apply_effects_tensor


@pytest.mark.parametrize("chain,rate,out_rate,metric,bound", FULL_SCALE_CASES,
                         ids=[" ".join(" ".join(e) for e in c[0])[:60] for c in FULL_SCALE_CASES])
def test_full_scale_sine_matches_sox(chain, rate, out_rate, metric, bound):
    x = full_scale_sine(rate)
    expected, expected_rate = run_sox(x, rate, chain, out_rate=out_rate)
    got, got_rate = apply_effects_tensor(x.float(), rate, chain)
    assert got_rate == expected_rate and got.shape == expected.shape
    if metric == "snr":
        assert snr_db(expected, got) >= bound
    else:
        assert max(log_mel_distance(expected[c], got[c].double(), got_rate) for c in range(2)) < bound


def test_clip_false_keeps_headroom():
    # sox (the reference) saturates; clip=False lets the float chain go past full scale, linearly
    x = full_scale_sine(8000, 1) * 0.9
    expected, _ = run_sox(x, 8000, [["gain", "6"]])
    got, _ = apply_effects_tensor(x, 8000, [["gain", "6"]])
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-7)
    free, _ = apply_effects_tensor(x, 8000, [["gain", "6"]], clip=False)
    torch.testing.assert_close(free, x * 10 ** (6 / 20))
    assert free.abs().max() > 1.5 and got.abs().max() <= 1.0
    # the input is saturated too, as libsox's conversion to 32-bit samples does
    loud = torch.tensor([[2.0, -3.0, 0.5]])
    torch.testing.assert_close(apply_effects_tensor(loud, 8000, [["gain", "0"]])[0], torch.tensor([[1.0, -1.0, 0.5]]))
    torch.testing.assert_close(apply_effects_tensor(loud, 8000, [["gain", "0"]], clip=False)[0], loud)



# Effects on a full-scale tone at torchaudio's own sox-test tolerance (rtol 1.3e-6, atol 1e-5): `vol 3` and `hilbert`
# overshoot full scale (off by up to 2.0 and 0.07 without the chain's saturation); the others come close to it.
SATURATING = [["vol", "3"], ["dcshift", "1.0"], ["dcshift", "-1.0"], ["overdrive"], ["contrast", "100"], ["gain", "-l", "-6"],
              ["echo", "0.8", "0.9", "1000", "0.3", "1800", "0.25"], ["chorus", "0.7", "0.9", "55", "0.4", "0.25", "2", "-t"],
              ["equalizer", "300", "10", "5"], ["treble", "3"], ["hilbert"], ["sinc", "3k"], ["tremolo", "300", "40"]]


@pytest.mark.parametrize("effect", SATURATING, ids=" ".join)
def test_saturating_effects_match_sox_samples(effect):
    x = full_scale_sine(8000)
    expected, _ = run_sox(x, 8000, [effect])
    got, _ = apply_effects_tensor(x.float(), 8000, [effect])
    torch.testing.assert_close(got.double(), expected, rtol=1.3e-6, atol=1e-5)
