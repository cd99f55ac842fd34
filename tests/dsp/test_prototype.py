"""Prototype synthesis, FIR design and image-source RIRs: closed forms, torchaudio's algorithm, pyroomacoustics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
import torch
from _dsp_oracle import response_db
from _harness import check_all, check_gradcheck
from conftest import make_noise, tol

import torchsound.functional as F
import torchsound.prototype.functional as P


def _adsr_reference(num_frames, attack=0.0, hold=0.0, decay=0.0, sustain=1.0, release=0.0, n_decay=2):
    """The envelope written segment by segment (each later segment overwrites the shared frame)."""
    last = num_frames - 1
    a, h, d, r = (int(last * v) for v in (attack, hold, decay, release))
    out = np.full(num_frames, float(sustain))
    if a > 0:
        out[: a + 1] = np.linspace(0, 1, a + 1)
    if h > 0:
        out[a : a + h + 1] = 1.0
    if d > 0:
        out[a + h : a + h + d + 1] = sustain + (1 - sustain) * np.linspace(1, 0, d + 1) ** n_decay
    if r > 0:
        out[-r - 1 :] = np.linspace(sustain, 0, r + 1)
    return out


@pytest.mark.parametrize("args", [dict(attack=0.1, hold=0.2, decay=0.3, sustain=0.5, release=0.2), dict(attack=0.5),
                                  dict(release=0.9, sustain=0.3), dict(decay=1.0, sustain=0.0, n_decay=3), dict()])
def test_adsr_envelope(args):
    for n in (10, 101, 1000):
        got = P.adsr_envelope(n, dtype=torch.float64, **args)
        np.testing.assert_allclose(got.numpy(), _adsr_reference(n, **args), rtol=0, atol=1e-12)
    assert P.adsr_envelope(100).dtype == torch.get_default_dtype()
    with pytest.raises(ValueError, match="attack"):
        P.adsr_envelope(100, attack=1.5)
    with pytest.raises(ValueError, match="exceed"):
        P.adsr_envelope(100, attack=0.6, release=0.6)


def test_oscillator_bank_and_extend_pitch():
    sr = 8000
    f0 = torch.full((2, 4000, 1), 220.0, dtype=torch.float64)
    freqs = P.extend_pitch(f0, 3)
    torch.testing.assert_close(freqs[0, 0], torch.tensor([220.0, 440.0, 660.0], dtype=torch.float64))
    torch.testing.assert_close(P.extend_pitch(f0, [1.0, 2.5])[0, 0], torch.tensor([220.0, 550.0], dtype=torch.float64))
    amps = torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64).expand_as(freqs)
    wave = P.oscillator_bank(freqs, amps, sr)
    n = torch.arange(1, 4001, dtype=torch.float64)
    expected = sum(a * torch.sin(2 * math.pi * f * n / sr) for f, a in ((220, 1.0), (440, 0.5), (660, 0.25)))
    torch.testing.assert_close(wave[0], expected, rtol=1e-9, atol=1e-9)
    none = P.oscillator_bank(freqs, amps, sr, reduction="none")
    assert none.shape == freqs.shape
    torch.testing.assert_close(P.oscillator_bank(freqs, amps, sr, reduction="mean"), none.mean(-1))
    with pytest.warns(UserWarning, match="Nyquist"):
        silent = P.oscillator_bank(torch.full((10, 1), 5000.0), torch.ones(10, 1), sr)
    assert torch.all(silent == 0)
    check_gradcheck(lambda a: P.oscillator_bank(freqs[0, :20].detach(), a, sr), amps[0, :20].contiguous())
    with pytest.raises(ValueError, match="reduction"):
        P.oscillator_bank(freqs, amps, sr, reduction="max")
    with pytest.raises(ValueError, match="shape"):
        P.oscillator_bank(freqs, amps[..., :2], sr)


def test_sinc_impulse_response_against_scipy_firwin():
    cutoff = torch.tensor([0.25, 0.5], dtype=torch.float64)
    taps = P.sinc_impulse_response(cutoff, 101)
    for i, c in enumerate(cutoff.tolist()):
        # firwin with a Hamming window and DC normalisation is the same design
        np.testing.assert_allclose(taps[i].numpy(), scipy.signal.firwin(101, c, window="hamming"), rtol=0, atol=1e-12)
    high = P.sinc_impulse_response(cutoff, 101, high_pass=True)
    db = response_db(lambda x: F.fftconvolve(x, high[:1]), [0.0, 7900.0], 16000)
    assert db[0] < -60 and abs(db[1]) < 0.1
    with pytest.raises(ValueError, match="odd"):
        P.sinc_impulse_response(cutoff, 100)


def test_frequency_impulse_response_and_filter_waveform():
    magnitudes = torch.tensor([1.0] * 20 + [0.0] * 13, dtype=torch.float64)
    ir = P.frequency_impulse_response(magnitudes)
    assert ir.shape == (64,)
    expected = np.fft.fftshift(np.fft.irfft(magnitudes.numpy())) * np.hanning(64)
    np.testing.assert_allclose(ir.numpy(), expected, rtol=0, atol=1e-12)
    # one kernel: plain convolution, delay-compensated
    x = make_noise(2, 0.05).double()
    kernel = torch.randn(1, 9, dtype=torch.float64)
    got = P.filter_waveform(x, kernel)
    full = np.stack([np.convolve(row, kernel[0].numpy()) for row in x.numpy()])
    np.testing.assert_allclose(got.numpy(), full[:, 4 : 4 + x.shape[-1]], atol=1e-12)
    # several kernels: chunk i filtered by kernel i, overlap-added (direct reference)
    kernels = torch.randn(4, 9, dtype=torch.float64)
    got = P.filter_waveform(x[0], kernels, delay_compensation=0)
    chunk = math.ceil(x.shape[-1] / 4)
    acc = np.zeros(chunk * 4 + 8)
    for i in range(4):
        piece = x[0, i * chunk : (i + 1) * chunk].numpy()
        acc[i * chunk : i * chunk + len(piece) + 8] += np.convolve(piece, kernels[i].numpy())
    np.testing.assert_allclose(got.numpy(), acc[: x.shape[-1]], atol=1e-12)
    check_all(lambda w: P.filter_waveform(w, kernels.float()), make_noise(3, 0.01).reshape(3, 1, -1), grad_input=torch.randn(1, 40))
    with pytest.raises(ValueError, match="delay_compensation"):
        P.filter_waveform(x, kernel, delay_compensation=20)


def _pyroomacoustics_rir(room, source, mics, order, absorption):
    import pyroomacoustics as pra

    pra.constants.set("rir_hpf_enable", False)  # compare the raw image-source response
    shoebox = pra.ShoeBox(room, fs=16000, materials=pra.Material(absorption), max_order=order, air_absorption=False)
    shoebox.add_source(source)
    shoebox.add_microphone_array(np.asarray(mics).T)
    shoebox.compute_rir()
    return [shoebox.rir[m][0] for m in range(len(mics))]


@pytest.mark.parametrize("order,absorption", [(0, 0.3), (3, 0.3), (8, 0.5)])
def test_simulate_rir_ism_matches_pyroomacoustics(order, absorption):
    room, source, mics = [6.0, 4.0, 3.0], [1.5, 2.2, 1.3], [[4.0, 1.0, 1.5], [3.0, 3.1, 1.0]]
    ours = P.simulate_rir_ism(torch.tensor(room, dtype=torch.float64), torch.tensor(source, dtype=torch.float64),
                              torch.tensor(mics, dtype=torch.float64), order, absorption)
    for channel, reference in enumerate(_pyroomacoustics_rir(room, source, mics, order, absorption)):
        n = min(len(reference), ours.shape[-1])
        peak = np.abs(reference).max()
        torch.testing.assert_close(ours[channel, :n] / peak, torch.from_numpy(reference[:n] / peak).double(), **tol("rir_pyroomacoustics"))
        # whatever is beyond the common length is (numerically) silent in both
        assert np.abs(reference[n:]).max(initial=0) < 1e-3 * peak and np.abs(ours[channel, n:].numpy()).max(initial=0) < 1e-3 * peak


def test_simulate_rir_ism_options_and_errors():
    room, source, mic = torch.tensor([5.0, 4.0, 3.0]), torch.tensor([1.0, 1.0, 1.0]), torch.tensor([[3.0, 2.0, 1.5]])
    rir = P.simulate_rir_ism(room, source, mic, 2, torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), output_length=4000)
    assert rir.shape == (1, 4000) and rir.dtype == torch.float32
    direct = P.simulate_rir_ism(room, source, mic, 0, 1.0)
    dist = float(torch.linalg.norm(source - mic[0]))
    # the direct path only: a band-limited impulse of area 1/distance centred at its delay (+40 samples)
    assert abs(float(direct.sum()) - 1 / dist) < 1e-3 / dist
    assert abs(int(direct.abs().argmax()) - round(dist * 16000 / 343 + 40)) <= 1
    with pytest.raises(ValueError, match="room"):
        P.simulate_rir_ism(torch.ones(2), source, mic, 1, 0.2)
    with pytest.raises(ValueError, match="mic_array"):
        P.simulate_rir_ism(room, source, torch.ones(3), 1, 0.2)
    with pytest.raises(ValueError, match="absorption"):
        P.simulate_rir_ism(room, source, mic, 1, torch.ones(7, 5) * 0.2)  # (band, 6) is multi-band; 5 walls is wrong
    with pytest.raises(ValueError, match="absorption"):
        P.simulate_rir_ism(room, source, mic, 1, 1.5)
    with pytest.raises(ValueError, match="odd"):
        P.simulate_rir_ism(room, source, mic, 1, 0.2, delay_filter_length=80)
    with pytest.raises(TypeError, match="max_order"):
        P.simulate_rir_ism(room, source, mic, 1.5, 0.2)


def test_prototype_harness():
    cutoff = torch.rand(3, 1) * 0.9 + 0.05
    check_all(lambda c: P.sinc_impulse_response(c, 31), cutoff, grad_input=torch.rand(1, 1) * 0.5 + 0.2)
    mags = torch.rand(3, 1, 17)
    check_all(P.frequency_impulse_response, mags, grad_input=torch.rand(1, 9), low_precision=False)
    freqs = torch.full((3, 200, 2), 440.0)
    amps = torch.rand(3, 200, 2)
    check_all(lambda a: P.oscillator_bank((freqs[: a.shape[0]] if a.ndim == 3 else freqs[0]).to(a.dtype), a, 16000), amps,
              low_precision=False)  # bfloat16 frequencies (8-bit mantissa) detune the oscillators by design
