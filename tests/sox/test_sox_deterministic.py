"""Deterministic sox effects against the sox binary: exact length and SNR >= 50 dB."""

from __future__ import annotations

import pytest
from soxoracle import GRID, GRID_IDS, run_sox, signal

from conftest import snr_db
from torchsound.sox_effects import apply_effects_tensor

LEVEL_AND_TIMING = [
    ["gain", "-3"], ["gain", "-n"], ["gain", "-n", "-6"], ["gain", "-e", "-1"], ["gain", "-en", "-2"], ["gain", "-B"],
    ["gain", "-b", "3"], ["gain", "-Bn", "-1"], ["gain", "-l", "6"], ["gain", "-l", "-6"], ["norm"], ["norm", "-3"],
    ["vol", "0.5"], ["vol", "-6dB"], ["vol", "0.25", "power"], ["vol", "-3", "dB"], ["vol", "3", "amplitude", "0.05"],
    ["trim", "0.1"], ["trim", "0.05", "0.2"], ["trim", "100s", "=0.3"], ["trim", "0", "0.1", "0.1", "0.05"],
    ["trim", "0", "-0.1"], ["pad", "0.1"], ["pad", "0.05", "300s"], ["pad", "0.01@0.1", "0.02@0.2"],
    ["delay", "0.01"], ["delay", "0", "0.02"], ["repeat"], ["repeat", "2"], ["reverse"],
    ["fade", "0.1"], ["fade", "t", "0.1"], ["fade", "q", "0.1", "0.4"], ["fade", "h", "0.1", "0", "0.2"],
    ["fade", "p", "0.05", "-0.1", "0.1"], ["fade", "t", "0.1", "0.6", "0.05"], ["fade", "l", "0:0.1", "0.3", "0.1"],
    ["channels", "1"], ["channels", "2"], ["channels", "3"], ["remix", "1"], ["remix", "-m", "1,2", "1"],
    ["remix", "1v0.5", "1p-6"], ["remix", "1i-3", "0"], ["remix", "-p", "1,1", "1"],
]


def _grid_for(effect):
    # effects that need two channels only run on the stereo rows
    needs_stereo = effect[0] in ("swap", "oops") or (effect[0] == "delay" and len(effect) > 2)
    return [g for g in GRID if g[2] == 2] if needs_stereo else GRID


def _check(effect_chain, kind, rate, channels, speech, min_snr=50.0):
    x = signal(kind, rate, channels, speech)
    expected, expected_rate = run_sox(x, rate, effect_chain)
    got, got_rate = apply_effects_tensor(x, rate, effect_chain)
    assert got_rate == expected_rate
    assert got.shape == expected.shape, f"{effect_chain}: shape {tuple(got.shape)} != sox {tuple(expected.shape)}"
    snr = snr_db(expected, got)
    assert snr >= min_snr, f"{effect_chain} on {kind}@{rate}x{channels}: SNR {snr:.1f} dB"


@pytest.mark.parametrize("effect", LEVEL_AND_TIMING, ids=lambda e: " ".join(e))
def test_level_and_timing_match_sox(effect, speech):
    # one grid row per effect (rotating through the grid) keeps the run short but covers every row
    index = LEVEL_AND_TIMING.index(effect) % len(GRID)
    kind, rate, channels = GRID[index]
    if channels == 1 and (effect[0] == "remix" or _grid_for(effect)[0][2] == 2):
        kind, rate, channels = GRID[1]
    _check([effect], kind, rate, channels, speech)


@pytest.mark.parametrize("effect", [["swap"], ["delay", "0", "0.02"], ["remix", "2", "1,2"]], ids=" ".join)
@pytest.mark.parametrize("row", [g for g in GRID if g[2] == 2], ids=lambda g: f"{g[0]}-{g[1]}")
def test_stereo_effects_match_sox(effect, row, speech):
    _check([effect], *row, speech)


@pytest.mark.parametrize("row", GRID, ids=GRID_IDS)
def test_chain_matches_sox(row, speech):
    _check([["gain", "-n", "-3"], ["trim", "0.05", "0.3"], ["pad", "0.02", "0.01"], ["fade", "t", "0.05"],
            ["vol", "0.8"], ["reverse"]], *row, speech)


# effects implemented in torchsound.functional by the DSP area, reached through the chain
FUNCTIONAL_EFFECTS = [(["dcshift", "0.1"], 50), (["dcshift", "-0.2", "0.05"], 50), (["contrast"], 50), (["contrast", "30"], 50),
                      (["overdrive"], 50), (["overdrive", "10", "40"], 50), (["flanger"], 30),
                      (["flanger", "2", "3", "20", "60", "1", "triangle", "50", "quadratic"], 30), (["phaser"], 30),
                      (["phaser", "0.6", "0.66", "3", "0.6", "2", "-t"], 30)]


@pytest.mark.parametrize("effect,min_snr", FUNCTIONAL_EFFECTS, ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
@pytest.mark.parametrize("row", [GRID[0], GRID[1], GRID[3]], ids=GRID_IDS[:2] + GRID_IDS[3:4])
def test_functional_effects_match_sox(effect, min_snr, row, speech):
    _check([effect], *row, speech, min_snr=min_snr)
