"""reverb and compand against sox, and their functional primitives through the shared harness."""

from __future__ import annotations

import functools

import pytest
import torch
from soxoracle import GRID, log_mel_distance, run_sox, signal

from _harness import check_all
from conftest import snr_db
from torchsound import functional as F
from torchsound.sox_effects import apply_effects_tensor

REVERBS = [["reverb"], ["reverb", "-w"], ["reverb", "-w", "80", "30", "50", "50", "20", "3"],
           ["reverb", "40", "70", "60", "0"], ["reverb", "100", "0", "100", "100", "0", "-2"]]
# contract: exact length and log-mel distance below 0.5 dB (we also hold a sample-level SNR)
REVERB_LOGMEL_DB = 0.5


# each effect on two grid rows, rotating so every row is covered
REVERB_CASES = [(e, GRID[(2 * i + k) % len(GRID)]) for i, e in enumerate(REVERBS) for k in range(2)]
COMPAND_ROWS = [GRID[0], GRID[1], GRID[2], GRID[5]]


@pytest.mark.parametrize("effect,row", REVERB_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else f"{v[0]}-{v[1]}-{v[2]}ch")
def test_reverb_matches_sox(effect, row, speech):
    x = signal(*row, speech) * 0.5  # headroom: sox clips the reverb tail at full scale, we do not
    # libsox turns mono into stereo; the sox command line would fold it back unless told to keep 2 channels
    expected, _ = run_sox(x, row[1], [effect, ["channels", str(max(2, row[2]))]])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    if got.shape[0] == 1:  # stereo-depth 0 keeps mono; sox's trailing `channels 2` duplicated it
        got = got.repeat(2, 1)
    assert got.shape == expected.shape
    assert log_mel_distance(expected[0], got[0], row[1]) < REVERB_LOGMEL_DB
    assert snr_db(expected, got) >= 50.0


def test_reverb_channels():
    mono = torch.randn(1, 2000)
    assert F.reverb(mono, 16000).shape == (2, 2000)
    assert F.reverb(mono, 16000, stereo_depth=0).shape == (1, 2000)
    assert F.reverb(torch.randn(4, 3, 2000), 16000).shape == (4, 3, 2000)


def test_reverb_wet_only_is_linear_and_dry_adds():
    # signal property: reverb = dry + wet-only, and the wet path is linear
    x, y = torch.randn(2, 3000, dtype=torch.float64), torch.randn(2, 3000, dtype=torch.float64)
    wet = functools.partial(F.reverb, sample_rate=8000, wet_only=True)
    torch.testing.assert_close(wet(x + 2 * y), wet(x) + 2 * wet(y))
    torch.testing.assert_close(F.reverb(x, 8000), x + wet(x))


def test_reverb_harness():
    fn = functools.partial(F.reverb, sample_rate=8000, reverberance=30.0, room_scale=20.0)
    check_all(fn, torch.randn(3, 2, 600), batch_dims=1, grad_input=torch.randn(2, 64), batch_tol={"rtol": 1e-4, "atol": 1e-5})


COMPANDS = [
    ["compand", "0.02,0.2", "-60,-60,-30,-10,-20,-8,-5,-8,-2,-8", "-8", "-7", "0.05"],
    ["compand", ".1,.2", "-inf,-50.1,-inf,-50,-50", "0", "-90", ".1"],
    ["compand", "0,0", "3:-30,-20", "0"],
    ["compand", "0.3,1", "6:-70,-60,-20", "-5"],
    ["compand", "0.01,0.1,0.05,0.3", "-40,-30,-10,-12", "-2"],
]


COMPAND_CASES = [(e, COMPAND_ROWS[(i + k) % 4]) for i, e in enumerate(COMPANDS) for k in (0, 2)]


@pytest.mark.parametrize("effect,row", COMPAND_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else f"{v[0]}-{v[1]}-{v[2]}ch")
def test_compand_matches_sox(effect, row, speech):
    if len(effect[1].split(",")) == 4 and row[2] != 2:
        row = GRID[1]  # two attack/decay pairs need two channels
    x = signal(*row, speech)
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    assert snr_db(expected, got) >= 30.0


def test_compand_harness():
    fn = functools.partial(F.compand, sample_rate=8000, attack_decay=[(0.01, 0.1)], points=[(-40, -30), (-10, -12)])
    check_all(fn, torch.rand(2, 2, 300) - 0.5, batch_dims=1, grad_input=None, batch_tol={"rtol": 1e-5, "atol": 1e-6})
    x = (torch.rand(1, 200, dtype=torch.float64) - 0.5).requires_grad_()
    # the level detector is a side-chain: d out / d x = gain
    y = fn(x)
    y.sum().backward()
    torch.testing.assert_close(x.grad, (y / x).detach())


@pytest.mark.parametrize("effect,match", [
    (["compand", "0.3", "-60,-20"], "compand.*'0.3'.*even"),
    (["compand", "0.3,1"], "compand.*wrong number"),
    (["compand", "0.3,1", "-60,x"], "compand.*'-60,x'"),
    (["compand", "0.3,1", "-60,5"], "compand.*can't exceed 0 dB"),
    (["compand", "-0.3,1", "-60,-20"], "compand.*negative"),
    (["reverb", "150"], "reverb.*'150'"),
    (["reverb", "50", "50", "100", "100", "0", "0", "1"], "reverb.*too many"),
])
def test_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 1000), 8000, [effect])


MCOMPANDS = [
    ["mcompand", "0.02,0.2 -60,-60,-30,-10,-20,-8 -3", "1k", "0.01,0.1 6:-40,-30,-10,-12 -2"],
    ["mcompand", "0.005,0.1 -47,-40,-34,-34,-17,-33", "100", "0.003,0.05 -47,-40,-34,-34,-17,-33", "400",
     "0.000625,0.0125 -47,-40,-34,-34,-15,-33", "1600", "0.0001,0.025 -47,-40,-34,-34,-31,-31,-0,-30", "6.4k",
     "0,0.025 -38,-31,-28,-28,-0,-25"],
]


@pytest.mark.parametrize("effect", MCOMPANDS, ids=["2-band", "5-band"])
@pytest.mark.parametrize("row", [GRID[0], GRID[3]], ids=lambda g: f"{g[0]}-{g[1]}-{g[2]}ch")
def test_mcompand_matches_sox(effect, row, speech):
    x = signal(*row, speech)
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    assert snr_db(expected, got) >= 30.0


def test_crossover_bands_sum_to_allpass():
    # signal property: Linkwitz-Riley bands add up to a flat magnitude response
    x = torch.zeros(1, 4096, dtype=torch.float64)
    x[0, 0] = 1.0
    low, high = F.crossover_split(x, 16000, 1000.0)
    magnitude = torch.fft.rfft(low + high).abs()
    torch.testing.assert_close(magnitude, torch.ones_like(magnitude), rtol=0, atol=1e-6)


@pytest.mark.parametrize("effect,match", [
    (["mcompand", "0.3,1 -60,-20", "1k"], "mcompand.*odd number"),
    (["mcompand", "0.3,1 -60,-20", "abc", "0.3,1 -60,-20"], "mcompand.*'abc'"),
    (["mcompand", "0.3 -60,-20"], "mcompand.*'0.3 -60,-20'.*even"),
    (["mcompand", "0.3,1 -60,-20", "2k", "0.3,1 -60,-20", "1k", "0.3,1 -60,-20"], "mcompand.*ascending"),
])
def test_mcompand_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 1000), 8000, [effect])
