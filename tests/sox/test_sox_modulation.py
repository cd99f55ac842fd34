"""Delay-line effects (echo, echos, chorus, tremolo) against sox (length exact, SNR >= 30 dB), and the
functional primitives behind them through the shared harness."""

from __future__ import annotations

import functools

import pytest
import torch
from soxoracle import GRID, run_sox, signal

from _harness import check_all, check_compile
from conftest import snr_db
from torchsound import functional as F
from torchsound.sox_effects import apply_effects_tensor

CHAINS = [
    ["echo", "0.8", "0.9", "100", "0.3"],
    ["echo", "0.8", "0.7", "50", "0.3", "83", "0.2"],
    ["echos", "0.8", "0.7", "50", "0.3", "83", "0.2"],
    ["echos", "0.5", "0.6", "20", "0.5"],
    ["chorus", "0.7", "0.9", "55", "0.4", "0.25", "2", "-t"],
    ["chorus", "0.6", "0.9", "50", "0.4", "0.25", "2", "-t", "60", "0.32", "0.4", "2.3", "-s"],
    ["tremolo", "5"],
    ["tremolo", "8.5", "70"],
]


@pytest.mark.parametrize("effect", CHAINS, ids=" ".join)
@pytest.mark.parametrize("row", [GRID[0], GRID[1], GRID[2]], ids=lambda g: f"{g[0]}-{g[1]}-{g[2]}ch")
def test_matches_sox(effect, row, speech):
    x = signal(*row, speech)
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    assert snr_db(expected, got) >= 30.0


PRIMITIVES = {
    "echo": functools.partial(F.echo, sample_rate=8000, gain_in=0.8, gain_out=0.9, delays=[2.0, 3.5], decays=[0.3, 0.2]),
    "echos": functools.partial(F.echos, sample_rate=8000, gain_in=0.8, gain_out=0.9, delays=[2.0, 3.5], decays=[0.3, 0.2]),
    "chorus": functools.partial(F.chorus, sample_rate=8000, gain_in=0.6, gain_out=0.9, delays=[20.0], decays=[0.4],
                                speeds=[2.0], depths=[2.0], modulations=["triangle"]),
    "tremolo": functools.partial(F.tremolo, sample_rate=8000, speed=5.0, depth=60.0),
}


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitives_harness(name):
    fn = PRIMITIVES[name]
    check_all(fn, torch.randn(3, 2, 400), batch_dims=2, grad_input=torch.randn(1, 300))


def test_tremolo_compiles():
    check_compile(PRIMITIVES["tremolo"], torch.randn(2, 400))


def test_echo_is_input_plus_delayed_copy():
    # signal property, independent of sox: one echo of an impulse lands delay samples later
    x = torch.zeros(1, 100, dtype=torch.float64)
    x[0, 0] = 1.0
    y = F.echo(x, 1000, 0.5, 2.0, [10.0], [0.25])
    expected = torch.zeros(1, 110, dtype=torch.float64)
    expected[0, 0], expected[0, 10] = 1.0, 0.5
    torch.testing.assert_close(y, expected)


@pytest.mark.parametrize("effect,match", [
    (["echo", "0.8", "0.9", "100"], "echo.*wrong number"),
    (["echo", "1.5", "0.9", "100", "0.3"], "echo.*'1.5'.*gain-in"),
    (["echo", "0.8", "0.9", "abc", "0.3"], "echo.*'abc'"),
    (["chorus", "0.7", "0.9", "10", "0.4", "0.25", "2", "-t"], "chorus.*'10'.*delay"),
    (["chorus", "0.7", "0.9", "55", "0.4", "0.25", "2", "-x"], "chorus.*'-x'"),
    (["tremolo", "-5"], "tremolo.*'-5'"),
    (["tremolo"], "tremolo.*missing"),
])
def test_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 1000), 8000, [effect])
