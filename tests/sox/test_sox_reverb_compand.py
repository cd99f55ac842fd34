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


# Typical strings from sox's man page and speech-processing recipes: most lift quiet speech by 20-30 dB,
# so loud passages hit full scale, where sox's compander saturates.
COMPAND_TYPICAL = [
    ["compand", "0.3,1", "6:-70,-60,-20", "-5", "-90", "0.2"],
    ["compand", "0.3,1", "-90,-90,-70,-70,-60,-20,0,0", "-5", "0", "0.2"],
    ["compand", ".1,.2", "-inf,-50.1,-inf,-50,-50", "0", "-90", ".1"],
    ["compand", "0.02,0.20", "5:-60,-40,-10", "-5", "-90", "0.1"],
    ["compand", "0.3,0.8", "1:-90,-90,-60,-60,-40,-30,-20,-20,0,-3", "0", "-90", "0.1"],
    ["compand", "0.3,1", "-70,-60,-20"],
]


def _bursts(sample_rate: int) -> torch.Tensor:
    # 300 Hz-3 kHz tone bursts at -50, -20, -3 and -35 dBFS, separated by silences
    pieces = []
    for i, level_db in enumerate([-50, -20, -3, -35]):
        t = torch.arange(int(0.15 * sample_rate), dtype=torch.float64) / sample_rate
        tone = torch.sin(2 * torch.pi * (300 + 900 * i) * t) * 10 ** (level_db / 20)
        pieces += [tone, torch.zeros(int(0.05 * sample_rate), dtype=torch.float64)]
    return torch.cat(pieces)[None]


@pytest.mark.parametrize("effect", COMPAND_TYPICAL, ids=lambda e: " ".join(e[1:]))
@pytest.mark.parametrize("sample_rate", [8000, 16000])
@pytest.mark.parametrize("kind", ["speech", "bursts"])
def test_compand_typical_strings_match_sox(effect, sample_rate, kind, speech):
    x = signal("speech", sample_rate, 1, speech, seconds=2.0) if kind == "speech" else _bursts(sample_rate)
    # End in silence: sox flushes its look-ahead tail without saturating, so a sample past full scale there
    # overflows its int32 conversion (to -1.0); we saturate it as everywhere else.
    x = torch.cat([x, torch.zeros(1, sample_rate // 4, dtype=x.dtype)], dim=-1)
    expected, _ = run_sox(x, sample_rate, [effect])
    got, _ = apply_effects_tensor(x, sample_rate, [effect])
    assert got.shape == expected.shape
    assert snr_db(expected, got) >= 30.0


def test_compand_clip_option():
    # signal property: with clip=False the gain is unbounded, with the default it saturates at full scale
    x = torch.full((1, 400), 0.5, dtype=torch.float64)
    kwargs = dict(sample_rate=8000, attack_decay=[(0.0, 0.0)], points=[(-70, -60), (-20, 0)], gain_db=6.0)
    assert F.compand(x, **kwargs).abs().max() == 1.0
    assert F.compand(x, **kwargs, clip=False).abs().max() > 1.0


def test_compand_harness():
    fn = functools.partial(F.compand, sample_rate=8000, attack_decay=[(0.01, 0.1)], points=[(-40, -30), (-10, -12)])
    check_all(fn, torch.rand(2, 2, 300) - 0.5, batch_dims=1, grad_input=None, batch_tol={"rtol": 1e-5, "atol": 1e-6})
    x = ((torch.rand(1, 200, dtype=torch.float64) - 0.5) * 0.2).requires_grad_()  # below the clip level
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
    ["mcompand", "0.3,1 6:-70,-60,-20 -5", "1k", "0.3,1 6:-70,-60,-20 -5"],  # both bands and their sum clip
    ["mcompand", "0.02,0.2 -60,-60,-30,-10,-20,-8 -3", "1k", "0.01,0.1 6:-40,-30,-10,-12 -2"],
    ["mcompand", "0.005,0.1 -47,-40,-34,-34,-17,-33", "100", "0.003,0.05 -47,-40,-34,-34,-17,-33", "400",
     "0.000625,0.0125 -47,-40,-34,-34,-15,-33", "1600", "0.0001,0.025 -47,-40,-34,-34,-31,-31,-0,-30", "6.4k",
     "0,0.025 -38,-31,-28,-28,-0,-25"],
]


@pytest.mark.parametrize("effect", MCOMPANDS, ids=["2-band-loud", "2-band", "5-band"])
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
    (["mcompand", "0.3,1 -60,-20 0 0 0.01", "1k", "0.3,1 -60,-20"], "mcompand.*delay.*not supported"),
])
def test_mcompand_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 1000), 8000, [effect])


@pytest.mark.parametrize("effect", [
    ["mcompand", "0.005,0.1 -47,-40,-34,-34,-17,-33", "100", "0.003,0.05 -47,-40,-34,-34,-17,-33"],
    ["mcompand", "0.0001,0.025 -47,-40,-34,-34,-31,-31,-0,-30", "3000", "0,0.025 -38,-31,-28,-28,-0,-25"],
], ids=["100 Hz", "3 kHz"])
def test_mcompand_bands_saturate_like_sox(effect):
    # a full-scale tone's onset makes a crossover band overshoot full scale; sox holds bands in 32-bit samples
    from soxoracle import full_scale_sine

    x = full_scale_sine(8000)
    expected, _ = run_sox(x, 8000, [effect])
    got, _ = apply_effects_tensor(x, 8000, [effect])
    assert snr_db(expected, got) >= 100.0  # sample-exact up to float32 WAV rounding (62 dB without the band clip)
