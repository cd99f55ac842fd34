"""lfilter, filtfilt, the biquad family, pre/de-emphasis against scipy.signal, the sox binary and freqz."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.signal
import torch
from _dsp_oracle import response_db, sox
from _harness import (
    check_all,
    check_compile,
    check_gradcheck,
    check_module_equals_functional,
)
from conftest import make_noise, tol

import torchsound.functional as F
import torchsound.transforms as T


def _filters():
    """Orders 1..8 (Butterworth, Chebyshev, elliptic in ba form) and stable high-Q resonators."""
    out = {"order1": ([0.3, 0.2], [1.0, -0.9])}
    for order in range(2, 9):
        b, a = scipy.signal.butter(order, 0.12 + 0.03 * order)
        out[f"butter{order}"] = (b, a)
    out["cheby1_6"] = scipy.signal.cheby1(6, 1, 0.2)
    out["ellip4_hp"] = scipy.signal.ellip(4, 0.5, 60, 0.3, btype="high")
    out["butter5_low_cutoff"] = scipy.signal.butter(5, 0.05)
    for q in (300, 3000):
        out[f"peak_q{q}"] = scipy.signal.iirpeak(1000, q, fs=16000)
    # 4th-order resonator: two poles pairs at radius 0.9995
    poles = [0.9995 * np.exp(1j * w) for w in (0.3, -0.3, 0.31, -0.31)]
    out["resonator4"] = ([1.0, 0.0, 0.0, 0.0, 0.0], np.real(np.poly(poles)))
    return out


FILTERS = _filters()


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_lfilter_matches_scipy_float64(name):
    b, a = (np.asarray(c, dtype=np.float64) for c in FILTERS[name])
    x = np.random.default_rng(0).standard_normal((2, 3001))
    expected = scipy.signal.lfilter(b, a, x, axis=-1)
    got = F.lfilter(torch.from_numpy(x), torch.from_numpy(a), torch.from_numpy(b), clamp=False)
    scale = np.abs(expected).max()
    torch.testing.assert_close(got / scale, torch.from_numpy(expected) / scale, **tol("lfilter64_peak"))


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_lfilter_matches_scipy_float32(name):
    # The float32 filter is the float32-rounded coefficients; scipy runs it in float64.
    b, a = (np.asarray(c, dtype=np.float32) for c in FILTERS[name])
    x = np.random.default_rng(1).standard_normal((2, 3001)).astype(np.float32)
    expected = scipy.signal.lfilter(b.astype(np.float64), a.astype(np.float64), x.astype(np.float64), axis=-1)
    got = F.lfilter(torch.from_numpy(x), torch.from_numpy(a), torch.from_numpy(b), clamp=False)
    assert got.dtype == torch.float32
    scale = np.abs(expected).max()
    torch.testing.assert_close(got.double() / scale, torch.from_numpy(expected) / scale, **tol("lfilter32_peak"))


def test_lfilter_long_signal_and_short_lengths():
    b, a = scipy.signal.butter(2, 0.1)
    for n in (1, 2, 5, 31, 32, 33, 1000, 70001):
        x = np.random.default_rng(n).standard_normal(n)
        got = F.lfilter(torch.from_numpy(x), torch.from_numpy(a), torch.from_numpy(b), clamp=False)
        torch.testing.assert_close(got, torch.from_numpy(scipy.signal.lfilter(b, a, x)), **tol("lfilter64_peak"))


def test_lfilter_filter_bank_batching():
    bank = [scipy.signal.butter(2, w) for w in (0.1, 0.2, 0.3)]
    b = torch.tensor(np.stack([f[0] for f in bank]))
    a = torch.tensor(np.stack([f[1] for f in bank]))
    x = torch.randn(4, 3, 500, dtype=torch.float64)
    got = F.lfilter(x, a, b, clamp=False, batching=True)
    for i, (bi, ai) in enumerate(bank):
        torch.testing.assert_close(got[:, i], torch.from_numpy(scipy.signal.lfilter(bi, ai, x[:, i].numpy())), **tol("lfilter64_peak"))
    y = torch.randn(2, 500, dtype=torch.float64)
    got = F.lfilter(y, a, b, clamp=False, batching=False)
    assert got.shape == (2, 3, 500)
    for i, (bi, ai) in enumerate(bank):
        torch.testing.assert_close(got[:, i], torch.from_numpy(scipy.signal.lfilter(bi, ai, y.numpy())), **tol("lfilter64_peak"))


def test_lfilter_clamp():
    x = torch.full((1, 100), 0.9, dtype=torch.float64)
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([3.0, 0.0])
    assert F.lfilter(x, a.double(), b.double()).max() == 1.0
    torch.testing.assert_close(F.lfilter(x, a.double(), b.double(), clamp=False), 3 * x)


def test_lfilter_gradcheck_all_arguments():
    # 40 samples: more than one 32-sample block, so the block-state scan is differentiated too.
    x = torch.randn(1, 2, 40, dtype=torch.float64, requires_grad=True)
    a = torch.tensor([[1.0, -0.5, 0.2], [2.0, -1.2, 0.5]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[0.4, 0.2, 0.1], [0.5, 0.5, 0.5]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, a, b: F.lfilter(x, a, b, clamp=False), (x, a, b))
    assert torch.autograd.gradcheck(lambda x, a, b: F.filtfilt(x, a, b, clamp=False), (x, a, b), fast_mode=True)


def test_lfilter_nan_in_nan_out():
    x = torch.randn(1, 200)
    x[0, 100] = float("nan")
    y = F.lfilter(x, torch.tensor([1.0, -0.5]), torch.tensor([1.0, 0.0]))
    assert y[0, 100:].isnan().all()
    assert torch.isfinite(y[0, :64]).all()


def test_filtfilt_matches_scipy():
    b, a = scipy.signal.butter(3, 0.2)
    x = np.zeros((2, 1200))
    x[:, 300:900] = np.random.default_rng(0).standard_normal((2, 600))
    # Zero edges: scipy's initial conditions (scaled by the edge values) vanish, leaving the definition.
    expected = scipy.signal.filtfilt(b, a, x, padtype=None).copy()
    got = F.filtfilt(torch.from_numpy(x), torch.from_numpy(a), torch.from_numpy(b), clamp=False)
    torch.testing.assert_close(got, torch.from_numpy(expected), **tol("lfilter64_peak"))
    twice = scipy.signal.lfilter(b, a, scipy.signal.lfilter(b, a, x)[:, ::-1])[:, ::-1]
    torch.testing.assert_close(got, torch.from_numpy(twice.copy()), **tol("lfilter64_peak"))


SR = 44100
BIQUADS = {
    "lowpass": (functools.partial(F.lowpass_biquad, sample_rate=SR, cutoff_freq=1000, Q=0.707), ["lowpass", "1000", "0.707q"]),
    "highpass": (functools.partial(F.highpass_biquad, sample_rate=SR, cutoff_freq=1000, Q=2), ["highpass", "1000", "2q"]),
    "bandpass": (functools.partial(F.bandpass_biquad, sample_rate=SR, central_freq=1000, Q=2), ["bandpass", "1000", "2q"]),
    "bandpass_c": (functools.partial(F.bandpass_biquad, sample_rate=SR, central_freq=1000, Q=2, const_skirt_gain=True),
                   ["bandpass", "-c", "1000", "2q"]),
    "bandreject": (functools.partial(F.bandreject_biquad, sample_rate=SR, central_freq=1000, Q=2), ["bandreject", "1000", "2q"]),
    "allpass": (functools.partial(F.allpass_biquad, sample_rate=SR, central_freq=1000, Q=2), ["allpass", "1000", "2q"]),
    "band": (functools.partial(F.band_biquad, sample_rate=SR, central_freq=1000, Q=2), ["band", "1000", "2q"]),
    "band_noise": (functools.partial(F.band_biquad, sample_rate=SR, central_freq=1000, Q=2, noise=True), ["band", "-n", "1000", "2q"]),
    "bass": (functools.partial(F.bass_biquad, sample_rate=SR, gain=6, central_freq=200, Q=0.9), ["bass", "6", "200", "0.9q"]),
    "treble": (functools.partial(F.treble_biquad, sample_rate=SR, gain=-6, central_freq=3000, Q=0.9), ["treble", "-6", "3000", "0.9q"]),
    "equalizer": (functools.partial(F.equalizer_biquad, sample_rate=SR, center_freq=2000, gain=5, Q=1.5), ["equalizer", "2000", "1.5q", "5"]),
    "deemph": (functools.partial(F.deemph_biquad, sample_rate=SR), ["deemph"]),
    "riaa": (functools.partial(F.riaa_biquad, sample_rate=SR), ["riaa"]),
}


@pytest.mark.parametrize("name", sorted(BIQUADS))
def test_biquads_match_sox_binary(name):
    fn, effect = BIQUADS[name]
    x = make_noise(2, 0.2, SR) * 0.5
    expected = sox(x, SR, *effect)
    torch.testing.assert_close(fn(x.double()), torch.from_numpy(expected), **tol("float32"))
    # every design runs through the same lfilter: one gradcheck (lowpass) covers the path
    check_all(fn, x.reshape(2, 1, -1)[..., :400], grad_input=x[:1, :40] if name == "lowpass" else None)


def test_biquad_responses_by_freqz():
    """Closed-form properties of each design, measured with scipy.signal.freqz on the impulse response."""
    sr = 16000
    resp = lambda fn, f: response_db(lambda x: fn(x), f, sr)
    # -3 dB at the cutoff for Q = 1/sqrt(2); unity in the passband
    np.testing.assert_allclose(resp(lambda x: F.lowpass_biquad(x, sr, 1000, 2**-0.5), [1000, 10]), [-3.0103, 0.0], atol=2e-3)
    np.testing.assert_allclose(resp(lambda x: F.highpass_biquad(x, sr, 1000, 2**-0.5), [1000, 7900]), [-3.0103, 0.0], atol=2e-3)
    # all-pass: flat magnitude
    np.testing.assert_allclose(resp(lambda x: F.allpass_biquad(x, sr, 1200, 3), [100, 1200, 5000]), [0, 0, 0], atol=1e-6)
    # band-pass: 0 dB at the centre; constant skirt: gain Q at the centre
    np.testing.assert_allclose(resp(lambda x: F.bandpass_biquad(x, sr, 2000, 4), [2000]), [0.0], atol=1e-6)
    np.testing.assert_allclose(resp(lambda x: F.bandpass_biquad(x, sr, 2000, 4, True), [2000]), [20 * np.log10(4)], atol=1e-6)
    # notch: deep zero at the centre
    assert resp(lambda x: F.bandreject_biquad(x, sr, 2000, 4), [2000])[0] < -100
    # peaking EQ: the asked gain at the centre
    np.testing.assert_allclose(resp(lambda x: F.equalizer_biquad(x, sr, 1500, -7.5, 2.0), [1500]), [-7.5], atol=1e-6)
    # shelves: the asked gain at DC (bass) / Nyquist (treble), 0 dB at the other end
    np.testing.assert_allclose(resp(lambda x: F.bass_biquad(x, sr, 9.0, 100), [0.0, 7999.0]), [9.0, 0.0], atol=1e-3)
    np.testing.assert_allclose(resp(lambda x: F.treble_biquad(x, sr, -4.0, 3000), [8000.0, 0.0]), [-4.0, 0.0], atol=1e-3)
    # RIAA: normalised to 0 dB at 1 kHz, about +19.3 dB of bass boost at 20 Hz (the RIAA curve)
    riaa = response_db(lambda x: F.riaa_biquad(x, 44100), [1000, 20], 44100, n=1 << 18)
    np.testing.assert_allclose(riaa, [0.0, 19.3], atol=0.3)


def test_biquad_tensor_coefficients_are_differentiable():
    x = torch.randn(1, 64, dtype=torch.float64)
    coeffs = torch.tensor([0.2, 0.3, 0.1, 1.0, -0.4, 0.1], dtype=torch.float64, requires_grad=True)
    check_gradcheck(lambda c: F.biquad(x * 0.1, *c.unbind()), coeffs)


def test_lfilter_compiles():
    check_compile(lambda x: F.lowpass_biquad(x, 16000, 1000.0), torch.rand(2, 700) - 0.5)


def test_lfilter_harness():
    a = torch.tensor([1.0, -1.2, 0.5])
    b = torch.tensor([0.3, 0.2, 0.1])
    check_all(lambda x: F.lfilter(x, a, b), make_noise(3, 0.05).reshape(3, 1, -1), grad_input=torch.randn(1, 50))
    check_all(lambda x: F.filtfilt(x, a, b), make_noise(3, 0.05).reshape(3, 1, -1), grad_input=torch.randn(1, 50))


def test_preemphasis_deemphasis():
    x = make_noise(2, 0.1).double()
    pre = F.preemphasis(x, 0.9)
    expected = scipy.signal.lfilter([1.0, -0.9], [1.0], x.numpy())
    torch.testing.assert_close(pre, torch.from_numpy(expected), **tol("float64"))
    torch.testing.assert_close(F.deemphasis(pre, 0.9, clamp=False), x, **tol("float64"))
    for fn in (F.preemphasis, F.deemphasis):
        check_all(fn, make_noise(3, 0.05).reshape(3, 1, -1), grad_input=torch.randn(1, 30))
    y = make_noise(2, 0.05)
    check_module_equals_functional(T.Preemphasis(0.8), lambda w: F.preemphasis(w, 0.8), y)
    check_module_equals_functional(T.Deemphasis(0.8), lambda w: F.deemphasis(w, 0.8), y)


def test_bad_inputs():
    x = torch.randn(1, 100)
    with pytest.raises(ValueError, match="a_coeffs and b_coeffs"):
        F.lfilter(x, torch.tensor([1.0, 0.5]), torch.tensor([1.0, 0.5, 0.1]))
    with pytest.raises(ValueError, match="a0"):
        F.lfilter(x, torch.tensor([0.0, 0.5]), torch.tensor([1.0, 0.5]))
    with pytest.raises(ValueError, match="unstable"):
        F.lfilter(x, torch.tensor([1.0, -1.5]), torch.tensor([1.0, 0.0]), check_stability=True)
    F.lfilter(x, torch.tensor([1.0, -0.5]), torch.tensor([1.0, 0.0]), check_stability=True)
    with pytest.raises(TypeError, match="waveform"):
        F.lfilter(torch.ones(1, 10, dtype=torch.int16), torch.tensor([1.0, 0.5]), torch.tensor([1.0, 0.5]))
    with pytest.raises(ValueError, match="number of filters"):
        F.lfilter(torch.randn(2, 10), torch.ones(3, 2), torch.ones(3, 2))
    with pytest.raises(ValueError, match="sample_rate"):
        F.lowpass_biquad(x, 0, 100.0)
    with pytest.raises(ValueError, match="Q"):
        F.highpass_biquad(x, 16000, 100.0, Q=0)
    with pytest.raises(ValueError, match="sample_rate"):
        F.riaa_biquad(x, 22050)
    with pytest.raises(ValueError, match="sample_rate"):
        F.deemph_biquad(x, 16000)
    with pytest.raises(TypeError, match="waveform"):
        F.preemphasis(torch.ones(3, dtype=torch.int32))
