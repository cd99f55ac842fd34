"""Options of sox effects added late: synth sweeps, exp, fmod, pink/brown noise; dither noise shaping
(against the sox binary: sample-exact where sox is deterministic, statistics where it draws random numbers)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import torch
from soxoracle import GRID, run_sox, signal

from conftest import snr_db
from torchsound.sox_effects import apply_effects_tensor

SWEEPS = [["synth", "0.3", "sine", "300:3000"], ["synth", "0.3", "sine", "3k+200"], ["synth", "0.3", "sine", "300/3000"],
          ["synth", "0.3", "sine", "300-3000"], ["synth", "0.25", "triangle", "mix", "100:1k", "10", "20"],
          ["synth", "0.25", "exp", "440"], ["synth", "0.25", "exp", "100/2k", "0", "0", "30", "40"],
          ["synth", "sine", "fmod", "300"], ["synth", "trapezium", "fmod", "50", "sine", "fmod", "70"],
          ["synth", "0.2", "sine", "amod", "20-200", "sine", "10:40"]]


@pytest.mark.parametrize("effect", SWEEPS, ids=" ".join)
@pytest.mark.parametrize("row", [GRID[0], GRID[1]], ids=lambda g: f"{g[0]}-{g[1]}-{g[2]}ch")
def test_synth_sweeps_and_waveforms_match_sox(effect, row, speech):
    x = signal(*row, speech) * 0.5
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    assert snr_db(expected, got) >= 50


def _psd_db(y, sample_rate):
    freqs, power = scipy.signal.welch(np.asarray(y, dtype=np.float64), fs=sample_rate, nperseg=1024)
    return freqs, 10 * np.log10(power)


def _slope_db_per_octave(y, sample_rate, lo, hi):
    freqs, db = _psd_db(y, sample_rate)
    band = (freqs >= lo) & (freqs <= hi)
    return np.polyfit(np.log2(freqs[band]), db[band], 1)[0]


@pytest.mark.parametrize("kind,slope", [("pinknoise", -3.0), ("brownnoise", -6.0), ("whitenoise", 0.0)])
def test_synth_coloured_noise_statistics_match_sox(kind, slope):
    rate, effect = 16000, ["synth", "8", kind]
    silence = torch.zeros(1, 8 * rate, dtype=torch.float64)
    expected, _ = run_sox(silence, rate, [effect])
    got, _ = apply_effects_tensor(silence, rate, [effect])
    assert got.shape == expected.shape
    ours, theirs = (_slope_db_per_octave(y[0], rate, 100, 4000) for y in (got, expected))
    assert abs(ours - slope) < 0.5 and abs(ours - theirs) < 0.5, (ours, theirs)
    level = got.std().item() / expected.std().item()
    # pink and brown noise carry much low-frequency power, so an 8 s estimate of their level varies by a few %
    assert abs(level - 1) < {"pinknoise": 0.1, "brownnoise": 0.15}.get(kind, 0.03), level
    assert got.abs().max() <= 1


def test_synth_ends_with_its_input():
    x = torch.zeros(1, 800, dtype=torch.float64)
    expected, _ = run_sox(x, 8000, [["synth", "1", "sine", "100:1000"]])
    got, _ = apply_effects_tensor(x, 8000, [["synth", "1", "sine", "100:1000"]])
    assert got.shape == expected.shape == (1, 800)
    assert snr_db(expected, got) >= 50


@pytest.mark.parametrize("effect,match", [
    (["synth", "sine", "100-300"], "synth.*'100-300'.*length"),
    (["synth", "1", "pinknoise", "100:300"], "synth.*'100:300'.*sweep"),
    (["synth", "1", "sine", "100:x"], "synth.*'x'"),
    (["synth", "pluck"], "synth.*'pluck'.*not supported yet"),
])
def test_synth_sweep_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 1000), 8000, [effect])


def _sox_to_16_bits(x, sample_rate, effect):
    """sox writing a 16-bit WAV, so that its dither effect really requantizes (float output needs none)."""
    import os
    import subprocess
    import tempfile

    import soundfile

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.wav"), os.path.join(tmp, "out.wav")
        soundfile.write(src, x.numpy().T, sample_rate, subtype="FLOAT")
        subprocess.run(["sox", "-V1", src, "-b", "16", dst, *effect], check=True)
        out, _ = soundfile.read(dst, dtype="float64", always_2d=True)
    return torch.from_numpy(out.T.copy())


def _band_levels_db(error, sample_rate, bands=8):
    """Mean power spectral density of ``error`` in ``bands`` equal-width bands up to Nyquist, in dB."""
    freqs, power = scipy.signal.welch(np.asarray(error, dtype=np.float64), fs=sample_rate, nperseg=512)
    edges = np.linspace(0, sample_rate / 2, bands + 1)
    return np.array([10 * np.log10(power[(freqs >= lo) & (freqs < hi)].mean()) for lo, hi in zip(edges[:-1], edges[1:])])


@pytest.mark.parametrize("rate,effect", [
    (44100, ["dither", "-s"]), (44100, ["dither", "-S"]), (44100, ["dither", "-f", "lipshitz"]),
    (48000, ["dither", "-f", "gesemann"]), (44100, ["dither", "-f", "improved-e-weighted"]),
    (44100, ["dither", "-f", "high-shibata"]), (16000, ["dither", "-s"]), (8000, ["dither", "-s"]),
    (16000, ["dither", "-f", "lipshitz"]), (32000, ["dither", "-f", "lipshitz"]),
], ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_dither_noise_shaping_statistics_match_sox(rate, effect):
    # the added error's spectrum has sox's shape (each of 8 bands within 1.5 dB, see below) and sox's power (within 10 %);
    # the output sits on the 16-bit grid
    x = signal("sweep", rate, 2, seconds=0.6) * 0.5
    expected = _sox_to_16_bits(x, rate, effect)
    got, _ = apply_effects_tensor(x, rate, [effect])
    assert got.shape == expected.shape
    ours, theirs = (got - x).numpy(), (expected - x).numpy()
    theirs_db = _band_levels_db(theirs.ravel(), rate)
    diff = _band_levels_db(ours.ravel(), rate) - theirs_db
    # bands shaped 40 dB or more below the loudest are estimates of a very small power: sox's own level there
    # moves by ~3 dB from run to run, so they get a wider bound (still far below the 10-30 dB of no shaping)
    bound = np.where(theirs_db < theirs_db.max() - 40, 6.0, 1.5)
    assert np.all(np.abs(diff) < bound), diff
    assert abs(ours.std() / theirs.std() - 1) < 0.1, (ours.std(), theirs.std())
    lsb = 2.0 ** -15
    assert np.allclose(got.numpy() / lsb, np.round(got.numpy() / lsb))


def test_dither_bad_filter_name():
    with pytest.raises(ValueError, match="dither.*'bumpy'.*noise-shaping filter"):
        apply_effects_tensor(torch.zeros(1, 100), 44100, [["dither", "-f", "bumpy"]])


# minimum (-M, -p 0) and maximum (-p 100) phase sinc: sox's magnitude response and length, aligned on the
# filter's main peak as sox does; the exact phase (and so the samples) depends on sox's cepstral method and
# its handling of the stop-band zeros, so the bound is on the log-mel distance, with a loose SNR as a sanity check
PHASE_SINCS = [["sinc", "-M", "1k"], ["sinc", "-p", "0", "300-3k"], ["sinc", "-M", "-t", "500", "1k"],
               ["sinc", "-p", "100", "1k"], ["sinc", "-p", "100", "-n", "201", "2k"], ["sinc", "-M", "-2k"]]


@pytest.mark.parametrize("effect", PHASE_SINCS, ids=" ".join)
@pytest.mark.parametrize("row", [GRID[1], GRID[2], GRID[0]], ids=lambda g: f"{g[0]}-{g[1]}-{g[2]}ch")
def test_sinc_minimum_and_maximum_phase_match_sox(effect, row, speech):
    from soxoracle import log_mel_distance

    x = signal(*row, speech)
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    distance = max(log_mel_distance(expected[c].numpy(), got[c].numpy(), row[1]) for c in range(x.shape[0]))
    assert distance < 0.6, distance
    assert snr_db(expected, got) >= 10


def test_minimum_phase_keeps_the_magnitude_and_moves_energy_forward():
    from torchsound.functional._fir_phase import fir_to_phase
    from torchsound.functional._sox_misc import sinc_fir

    linear = sinc_fir(16000, 0, 2000)
    minimum, advance = fir_to_phase(linear, 0)
    mag = [20 * torch.log10(torch.fft.rfft(h, 4096).abs().clamp_min(1e-5)) for h in (linear, minimum)]
    assert (mag[0] - mag[1]).abs().max() < 0.05  # both floored at -100 dB, in the stop band
    energy = torch.cumsum(minimum**2, 0) / (minimum**2).sum()
    assert energy[linear.numel() // 4] > 0.98 and advance < linear.numel() // 8  # linear phase: ~1e-5 and n / 2


@pytest.mark.parametrize("effect,match", [(["sinc", "-I", "1k"], "sinc.*intermediate.*not supported yet"),
                                          (["sinc", "-p", "30", "1k"], "sinc.*intermediate.*not supported yet"),
                                          (["sinc", "-M", "3k-1k"], "sinc.*band-reject.*not supported yet")])
def test_sinc_phase_not_supported_yet(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 1000), 8000, [effect])


# minimum-phase rate: sox's length exactly, and its magnitude response (pass-band levels per band within 0.5 dB,
# log-mel distance bounded); the sample-level phase differs from sox's multi-stage filters (SNR is low)
PHASE_RATES = [["rate", "-M", "8k"], ["rate", "-M", "44100"], ["rate", "-v", "-M", "16k"], ["rate", "-p", "0", "22050"]]


@pytest.mark.parametrize("effect", PHASE_RATES, ids=" ".join)
@pytest.mark.parametrize("row", [GRID[1], GRID[2], GRID[0]], ids=lambda g: f"{g[0]}-{g[1]}-{g[2]}ch")
def test_rate_minimum_phase_matches_sox_magnitude(effect, row, speech):
    from soxoracle import log_mel_distance

    x = signal(*row, speech)
    new_rate = int(float(effect[-1].replace("k", "")) * (1000 if effect[-1].endswith("k") else 1))
    expected, _ = run_sox(x, row[1], [effect])
    got, rate = apply_effects_tensor(x, row[1], [effect])
    assert rate == new_rate and got.shape == expected.shape
    distance = max(log_mel_distance(expected[c].numpy(), got[c].numpy(), new_rate) for c in range(x.shape[0]))
    assert distance < 1.5, distance
    edge = 0.9 * min(row[1], new_rate) / 2
    for c in range(x.shape[0]):
        f, ours = _psd_db(got[c], new_rate)
        _, theirs = _psd_db(expected[c], new_rate)
        passband = (f > 50) & (f < edge)
        levels = [(ours[passband][i::8].mean() - theirs[passband][i::8].mean()) for i in range(8)]
        assert np.abs(levels).max() < 0.5, levels


def test_rate_minimum_phase_has_no_pre_ringing():
    impulse = torch.zeros(1, 4000, dtype=torch.float64)
    impulse[0, 2000] = 1.0
    pre_ringing = []
    for effect in (["rate", "-M", "16k"], ["rate", "16k"]):
        response, _ = apply_effects_tensor(impulse, 8000, [effect])
        peak = int(response.abs().argmax())
        pre_ringing.append(float((response[0, :peak - 4] ** 2).sum() / (response**2).sum()))  # before the main lobe
    assert pre_ringing[0] < 0.1 * pre_ringing[1], pre_ringing


@pytest.mark.parametrize("effect,match", [(["rate", "-I", "16k"], "rate.*'-I'.*not supported yet"),
                                          (["rate", "-p", "20", "16k"], "rate.*'-p'.*not supported yet")])
def test_rate_intermediate_phase_not_supported_yet(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.zeros(1, 1000), 8000, [effect])


# Effects run with no or default arguments, as torchaudio's own tests run them (libsox's defaults).
DEFAULTS = [["synth"], ["synth", "0"], ["synth", "0.1"], ["synth", "square"], ["stretch"], ["stretch", "1", "30"], ["pad"],
            ["pad", "0"]]


@pytest.mark.parametrize("effect", DEFAULTS, ids=" ".join)
@pytest.mark.parametrize("row", [GRID[0], GRID[1]], ids=lambda g: f"{g[0]}-{g[1]}-{g[2]}ch")
def test_default_arguments_match_sox(effect, row, speech):
    x = signal(*row, speech) * 0.5
    expected, _ = run_sox(x, row[1], [effect])
    got, _ = apply_effects_tensor(x, row[1], [effect])
    assert got.shape == expected.shape
    assert snr_db(expected, got) >= 50
