"""Filter and EQ effects against sox: exact length and SNR >= 50 dB."""

from __future__ import annotations

import pytest
import torch
from soxoracle import GRID, run_sox, signal

from conftest import snr_db
from torchsound.sox_effects import apply_effects_tensor

FILTERS = [
    ["lowpass", "1000"], ["lowpass", "-1", "2k"], ["lowpass", "3k", "0.5o"], ["highpass", "80"], ["highpass", "-1", "300"],
    ["highpass", "200", "1o"], ["highpass", "500", "300h"], ["bandpass", "-c", "1k", "200"], ["bandpass", "1k", "2q"],
    ["bandreject", "1k", "0.5o"], ["allpass", "700", "150h"], ["allpass", "1.5k", "0.9q"],
    ["equalizer", "1.2k", "1q", "-6"], ["equalizer", "600", "100h", "4"], ["band", "-n", "1k"], ["band", "800", "200"],
    ["band", "1k", "1.5q"], ["bass", "3"], ["bass", "5", "200", "1q"], ["treble", "-4", "2k", "0.7s"], ["treble", "2"],
    ["biquad", "0.2", "0.3", "0.2", "1", "-0.4", "0.1"],
]
CASES = [(e, GRID[i % len(GRID)]) for i, e in enumerate(FILTERS)]


@pytest.mark.parametrize("effect,row", CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else f"{v[0]}-{v[1]}-{v[2]}ch")
def test_filter_matches_sox(effect, row, speech):
    x = signal(*row, speech) * 0.5  # headroom: sox clips boosted filters at full scale
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    assert snr_db(expected, got) >= 50.0


@pytest.mark.parametrize("effect", [["deemph"], ["riaa"]], ids=" ".join)
@pytest.mark.parametrize("row", [GRID[2], GRID[3]], ids=lambda g: f"{g[0]}-{g[2]}ch")
def test_emphasis_matches_sox(effect, row, speech):
    x = signal(*row, speech) * 0.5
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    assert snr_db(expected, got) >= 50.0


def test_filter_chain_is_differentiable():
    x = torch.randn(2, 1, 400, dtype=torch.float64, requires_grad=True)
    y, _ = apply_effects_tensor(x, 8000, [["highpass", "100"], ["lowpass", "-1", "2k"], ["equalizer", "1k", "1q", "3"]])
    y.pow(2).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("effect,match", [
    (["lowpass"], "lowpass.*missing"),
    (["lowpass", "5k"], "lowpass.*'5k'.*half the sample rate"),
    (["lowpass", "1k", "0q"], "lowpass.*'0q'.*positive"),
    (["lowpass", "1k", "2x"], "lowpass.*'2x'.*unit"),
    (["highpass", "abc"], "highpass.*'abc'"),
    (["bandpass", "1k"], "bandpass.*missing"),
    (["equalizer", "1k", "1q"], "equalizer.*missing"),
    (["biquad", "1", "2", "3"], "biquad.*wrong number"),
    (["bass", "3", "100", "2s"], "bass.*'2s'.*slope"),
    (["deemph"], "deemph.*44100"),
    (["lowpass", "1k", "1q", "7"], "lowpass.*too many"),
])
def test_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 1000), 8000, [effect])


SINCS = [["sinc", "3k"], ["sinc", "-1k"], ["sinc", "300-3k"], ["sinc", "3k-300"], ["sinc", "-a", "80", "-t", "200", "1k"],
         ["sinc", "-n", "101", "200-2k"], ["sinc", "-3k", "-n", "301"]]


@pytest.mark.parametrize("effect", SINCS, ids=" ".join)
def test_sinc_matches_sox(effect, speech):
    row = GRID[SINCS.index(effect) % len(GRID)]
    x = signal(*row, speech) * 0.5
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    assert snr_db(expected, got) >= 50.0


@pytest.mark.parametrize("effect,match", [(["sinc"], "sinc.*needs a frequency"), (["sinc", "5k"], "sinc.*'5k'"),
                                          (["sinc", "-I", "1k"], "sinc.*intermediate.*not supported yet"),
                                          (["sinc", "-t", "100", "-n", "51", "1k"], "sinc.*either -t or -n")])
def test_sinc_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 1000), 8000, [effect])


@pytest.mark.parametrize("effect", [["loudness"], ["loudness", "-20", "70"]], ids=" ".join)
@pytest.mark.parametrize("row", [GRID[0], GRID[1], GRID[3]], ids=lambda g: f"{g[0]}-{g[1]}-{g[2]}ch")
def test_loudness_matches_sox(effect, row, speech):
    # the FIR is sox's design (DC bin included): sample-exact up to float32 WAV rounding
    x = signal(*row, speech) * 0.5
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    assert snr_db(expected, got) >= 90.0


@pytest.mark.parametrize("rate", [8000, 16000, 44100])
def test_loudness_impulse_response_matches_sox(rate):
    x = torch.zeros(1, 3 * rate, dtype=torch.float64)
    x[0, rate] = 0.5
    expected, _ = run_sox(x, rate, [["loudness", "-6", "60"]])
    got, _ = apply_effects_tensor(x, rate, [["loudness", "-6", "60"]])
    assert snr_db(expected, got) >= 90.0  # 41 dB when the DC bin was left at 0


def test_loudness_bad_arguments():
    with pytest.raises(ValueError, match="loudness.*'20'"):
        apply_effects_tensor(torch.zeros(1, 1000), 8000, [["loudness", "20"]])
