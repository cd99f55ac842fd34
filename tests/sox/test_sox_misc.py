"""earwax, fir, hilbert, divide (against sox) and dither (statistics against sox)."""

from __future__ import annotations

import os
import subprocess
import tempfile

import numpy as np
import pytest
import soundfile
import torch
from soxoracle import GRID, run_sox, signal

from _harness import check_all
from conftest import snr_db
from torchsound import functional as F
from torchsound.sox_effects import apply_effects_tensor

CASES = [(["fir", "0.1", "0.2", "0.4", "0.2", "0.1"], GRID[0]), (["fir", "0.5", "-0.5"], GRID[1]),
         (["hilbert"], GRID[2]), (["hilbert"], GRID[1]), (["hilbert", "-n", "101"], GRID[3]), (["hilbert", "-n", "5"], GRID[4]),
         (["earwax"], GRID[3])]


@pytest.mark.parametrize("effect,row", CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else f"{v[0]}-{v[1]}-{v[2]}ch")
def test_fir_effects_match_sox(effect, row, speech):
    x = signal(*row, speech) * 0.5
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    assert snr_db(expected, got) >= (30 if effect[0] == "earwax" else 50)


def test_fir_coefficient_file(tmp_path):
    path = tmp_path / "coefs.txt"
    path.write_text("# a smoothing filter\n0.25\n0.5 0.25\n")
    x = signal("noise", 8000, 1)
    expected, _ = run_sox(x, 8000, [["fir", str(path)]])
    got, _ = apply_effects_tensor(x, 8000, [["fir", str(path)]])
    assert snr_db(expected, got) >= 50


def test_divide_matches_sox():
    x = torch.rand(3, 2000, dtype=torch.float64) * 0.4 + 0.5
    x[1:] *= 0.45
    expected, _ = run_sox(x, 8000, [["divide"]])
    got, _ = apply_effects_tensor(x, 8000, [["divide"]])
    assert snr_db(expected, got) >= 50


def test_divide_by_zero_samples_matches_sox():
    # torchaudio's own case: two equal full-scale sines (0/0 at the zero crossings), plus zeros and values
    # around one 32-bit step (sox repeats its last ratio where the divisor truncates to 0)
    t = torch.linspace(0, 1, 8000, dtype=torch.float64)
    sine = torch.sin(2 * torch.pi * 800 * t).float().double()
    tiny = torch.tensor([0.3, 0.0, -3e-10, -6e-10, 4.6e-10, 4.7e-10, 0.2, 0.0, 0.0, -0.1] * 10, dtype=torch.float64)
    x = torch.cat([torch.stack([sine, sine, -0.3 * sine]), torch.stack([tiny, tiny.roll(3) * 0.1, -tiny])], dim=-1)
    x = torch.cat([torch.zeros(3, 5, dtype=torch.float64), x], dim=-1)  # zero divisors before any ratio
    x = x.float().double()  # what sox reads from its float32 WAV
    expected, _ = run_sox(x, 8000, [["divide"]])
    got, _ = apply_effects_tensor(x, 8000, [["divide"]])
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-7)  # float32 WAV through sox
    batched, _ = apply_effects_tensor(torch.stack([x, x.flip(-1)]), 8000, [["divide"]])
    torch.testing.assert_close(batched[0], got, rtol=0, atol=0)
    torch.testing.assert_close(batched[1], apply_effects_tensor(x.flip(-1), 8000, [["divide"]])[0], rtol=0, atol=0)


def test_primitives_harness():
    check_all(F.earwax, torch.randn(3, 2, 300), grad_input=torch.randn(2, 100))
    check_all(lambda x: F.fir_filter(x, [0.2, 0.5, 0.3]), torch.randn(3, 2, 300), batch_dims=2, grad_input=torch.randn(1, 50))


def test_dither_statistics_match_sox():
    # statistical contract: the added error has sox's size and shape (TPDF + rounding: std = LSB / 2),
    # zero mean, and the output sits on the 16-bit grid
    x = signal("sweep", 16000, 1) * 0.5
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.wav"), os.path.join(tmp, "out.wav")
        soundfile.write(src, x[0].numpy(), 16000, subtype="FLOAT")
        subprocess.run(["sox", "-V1", src, "-b", "16", dst, "dither"], check=True)
        sox_out, _ = soundfile.read(dst, dtype="float64")
    got, _ = apply_effects_tensor(x, 16000, [["dither"]])
    lsb = 2.0 ** -15
    sox_err, our_err = sox_out - x[0].numpy(), (got[0] - x[0]).numpy()
    assert abs(our_err.std() / sox_err.std() - 1) < 0.1
    assert abs(our_err.std() / (lsb / 2) - 1) < 0.1
    assert abs(our_err.mean()) < 0.05 * lsb
    assert np.allclose(got[0].numpy() / lsb, np.round(got[0].numpy() / lsb))
    assert abs(np.corrcoef(our_err, x[0].numpy())[0, 1]) < 0.05
    coarse, _ = apply_effects_tensor(x, 16000, [["dither", "-p", "8"]])
    assert abs((coarse[0] - x[0]).std().item() / (2.0 ** -7 / 2) - 1) < 0.1


@pytest.mark.parametrize("effect,match", [
    (["earwax", "1"], "earwax.*too many"),
    (["fir"], "fir.*wrong number"),
    (["fir", "nofile.txt"], "fir.*'nofile.txt'.*could not read"),
    (["hilbert", "-n", "4"], "hilbert.*'4'.*odd"),
    (["dither", "-f", "bumpy"], "dither.*'bumpy'.*noise-shaping filter"),
    (["dither", "-q"], "dither.*'-q'"),
])
def test_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(2, 1000), 44100, [effect])


def test_earwax_needs_44k_stereo():
    with pytest.raises(ValueError, match="earwax.*44.1 kHz stereo"):
        apply_effects_tensor(torch.zeros(1, 1000), 44100, [["earwax"]])


SYNTHS = [["synth", "sine", "440"], ["synth", "triangle", "mix", "200"], ["synth", "trapezium", "1k"],
          ["synth", "0.3", "sine", "100", "sine", "150"], ["synth", "sine", "amod", "30", "sine", "amod", "40"],
          ["synth", "square", "300", "0", "0", "30"], ["synth", "sawtooth", "amod", "5", "20", "10"]]


@pytest.mark.parametrize("effect", SYNTHS, ids=" ".join)
@pytest.mark.parametrize("row", [GRID[0], GRID[1]], ids=lambda g: f"{g[0]}-{g[1]}-{g[2]}ch")
def test_synth_matches_sox(effect, row, speech):
    x = signal(*row, speech) * 0.5
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    # waveforms with jumps (square, sawtooth) may put an edge one sample apart where the phase lands
    # exactly on it; everything else agrees to float precision
    mismatched = ((expected - got).abs() > 1e-4).double().mean().item()
    assert mismatched < 0.01


def test_synth_noise_statistics():
    y, _ = apply_effects_tensor(torch.zeros(1, 40000), 8000, [["synth", "whitenoise"]])
    assert abs(y.mean().item()) < 0.02 and abs(y.std().item() - 3 ** -0.5) < 0.01 and y.abs().max() <= 1


@pytest.mark.parametrize("effect,match", [
    (["synth", "pluck"], "synth.*'pluck'.*not supported yet"),
    (["synth", "sine", "100-300"], "synth.*'100-300'.*length"),
    (["synth", "wobble"], "synth.*'wobble'"),
    (["synth", "-0.5"], "synth.*'-0.5'"),
])
def test_synth_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 1000), 8000, [effect])
