"""tempo (WSOLA) against sox: exact length and a log-mel distance bound, plus harness checks."""

from __future__ import annotations

import functools

import pytest
import torch
from soxoracle import GRID, log_mel_distance, run_sox, signal

from _harness import check_all
from torchsound import functional as F
from torchsound.sox_effects import apply_effects_tensor

# Contract: exact length and the log-mel spectrogram within 0.1 dB (mean absolute) of sox's.
# (Our WSOLA follows sox's segment arithmetic and search order, so in practice the waveforms
# agree to > 100 dB SNR; the spectral bound leaves room for a float near-tie in the search.)
TEMPO_LOGMEL_DB = 0.1

TEMPOS = [["tempo", "1.2"], ["tempo", "0.8"], ["tempo", "-q", "1.3"], ["tempo", "-m", "1.2"], ["tempo", "-s", "0.7"],
          ["tempo", "-l", "1.2"], ["tempo", "1.1", "60", "10", "10"], ["tempo", "2"]]
CASES = [(e, GRID[(i + k) % len(GRID)]) for i, e in enumerate(TEMPOS) for k in (0, 3)]


@pytest.mark.parametrize("effect,row", CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else f"{v[0]}-{v[1]}-{v[2]}ch")
def test_tempo_matches_sox(effect, row, speech):
    x = signal(*row, speech)
    expected, _ = run_sox(x, row[1], [effect])
    got, rate = apply_effects_tensor(x, row[1], [effect])
    assert rate == row[1]
    assert got.shape == expected.shape
    for c in range(got.shape[0]):
        assert log_mel_distance(expected[c], got[c], row[1]) < TEMPO_LOGMEL_DB


def test_tempo_keeps_pitch():
    # signal property: a 440 Hz tone stays at 440 Hz while its duration changes
    t = torch.arange(16000, dtype=torch.float64) / 16000
    tone = torch.sin(2 * torch.pi * 440 * t)[None]
    for factor in (0.75, 1.5):
        y = F.tempo(tone, 16000, factor)
        assert y.shape[-1] == round(16000 / factor)
        spectrum = torch.fft.rfft(y[0] * torch.hann_window(y.shape[-1], dtype=torch.float64)).abs()
        peak_hz = spectrum.argmax().item() * 16000 / y.shape[-1]
        assert abs(peak_hz - 440) < 3


def test_tempo_harness():
    fn = functools.partial(F.tempo, sample_rate=8000, factor=1.25)
    check_all(fn, torch.randn(3, 2, 2000), batch_dims=1, grad_input=torch.randn(1, 1, 900))


@pytest.mark.parametrize("effect,match", [
    (["tempo"], "tempo.*missing"),
    (["tempo", "0"], "tempo.*'0'.*>= 0.1"),
    (["tempo", "-1.5"], "tempo.*'-1.5'"),
    (["tempo", "fast"], "tempo.*'fast'"),
    (["tempo", "1.2", "200"], "tempo.*'200'.*segment"),
    (["pitch"], "pitch.*missing"),
    (["pitch", "abc"], "pitch.*'abc'"),
])
def test_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 4000), 8000, [effect])


STRETCHES = [["stretch", "1.5"], ["stretch", "0.7"], ["stretch", "1.2", "30"], ["stretch", "0.8", "20", "lin", "0.9", "0.2"]]


@pytest.mark.parametrize("effect", STRETCHES, ids=" ".join)
@pytest.mark.parametrize("row", [GRID[0], GRID[3]], ids=lambda g: f"{g[0]}-{g[1]}-{g[2]}ch")
def test_stretch_matches_sox(effect, row, speech):
    # contract: sox's length and log-mel distance below 0.1 dB (the overlap-add is reproduced exactly)
    x = signal(*row, speech)
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    for c in range(got.shape[0]):
        assert log_mel_distance(expected[c], got[c], row[1]) < TEMPO_LOGMEL_DB


def test_stretch_harness():
    check_all(functools.partial(F.stretch, sample_rate=8000, factor=1.3), torch.randn(3, 2, 1200), batch_dims=2,
              grad_input=torch.randn(1, 500))


@pytest.mark.parametrize("effect,match", [(["stretch", "0"], "stretch.*'0'"), (["stretch", "1.2", "20", "cubic"], "stretch.*'cubic'"),
                                          (["stretch", "1.2", "20", "lin", "1.5"], "stretch.*'1.5'")])
def test_stretch_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 4000), 8000, [effect])


BENDS = [["bend", "0.1,300,0.2"], ["bend", "0,-200,0.1", "0.1,400,0.1"], ["bend", "-o", "8", "0.05,700,0.2"]]


@pytest.mark.parametrize("effect", BENDS, ids=" ".join)
@pytest.mark.parametrize("row", [GRID[0], GRID[2]], ids=lambda g: f"{g[0]}-{g[1]}-{g[2]}ch")
def test_bend_matches_sox(effect, row, speech):
    # contract for bend: exact length and log-mel distance below 1 dB. (The phase vocoder keeps its
    # phases in float32 as sox does; on pure sweeps phase unwrapping still drifts by rounding, giving
    # up to ~0.5 dB; speech and noise match to ~60-80 dB SNR.)
    x = signal(*row, speech) * 0.5
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    for c in range(got.shape[0]):
        assert log_mel_distance(expected[c], got[c], row[1]) < 1.0


@pytest.mark.parametrize("effect,match", [(["bend"], "bend.*wrong number"), (["bend", "0.1,300"], "bend.*'0.1,300'"),
                                          (["bend", "0.1,0,0.2"], "bend.*cents"), (["bend", "-f", "5", "0,1,1"], "bend.*'5'")])
def test_bend_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 4000), 8000, [effect])
