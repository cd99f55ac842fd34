"""Effects against the sox binary, convolution against scipy.signal, and closed-form properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
import torch
from _dsp_oracle import sox
from _harness import check_all, check_compile, check_module_equals_functional
from conftest import make_noise, make_tone, tol

import torchsound.functional as F
import torchsound.transforms as T
from torchsound.functional._effects import fade_envelope

SR = 16000


def _signal(channels=2, seconds=0.4, amplitude=0.8):
    return make_noise(channels, seconds, SR).double() * 2 * amplitude


SOX_EFFECTS = {
    "phaser": (lambda x: F.phaser(x, SR), ["phaser", "0.4", "0.74", "3", "0.4", "0.5", "-s"]),
    "phaser_triangle": (lambda x: F.phaser(x, SR, 0.6, 0.8, 2.0, 0.7, 1.5, False), ["phaser", "0.6", "0.8", "2", "0.7", "1.5", "-t"]),
    "flanger": (lambda x: F.flanger(x, SR), ["flanger"]),
    "flanger_regen_quadratic": (
        lambda x: F.flanger(x, SR, 1.0, 3.0, 50.0, 60.0, 1.0, 30.0, "triangular", "quadratic"),
        ["flanger", "1", "3", "50", "60", "1", "triangle", "30", "quadratic"],
    ),
    "flanger_negative_regen": (lambda x: F.flanger(x, SR, 0.0, 2.0, -80.0), ["flanger", "0", "2", "-80"]),
    "contrast": (lambda x: F.contrast(x, 60), ["contrast", "60"]),
    "overdrive": (lambda x: F.overdrive(x, 10, 30), ["overdrive", "10", "30"]),
    "gain": (lambda x: F.gain(x, -3), ["gain", "-3"]),
    "dcshift": (lambda x: F.dcshift(x, 0.2), ["dcshift", "0.2"]),
    "dcshift_limiter": (lambda x: F.dcshift(x, 0.3, 0.05), ["dcshift", "0.3", "0.05"]),
    "dcshift_limiter_negative": (lambda x: F.dcshift(x, -0.3, 0.05), ["dcshift", "-0.3", "0.05"]),
}


@pytest.mark.parametrize("name", sorted(SOX_EFFECTS))
def test_effects_match_sox_binary(name):
    fn, effect = SOX_EFFECTS[name]
    x = _signal()
    expected = torch.from_numpy(sox(x.float(), SR, *effect))
    torch.testing.assert_close(fn(x), expected, **tol("dsp32"))


@pytest.mark.parametrize("name", sorted(SOX_EFFECTS))
def test_effects_harness(name):
    fn, _ = SOX_EFFECTS[name]
    x = _signal(2, 0.05).float().reshape(1, 2, -1).repeat(2, 1, 1)  # flanger needs (..., channel, time)
    # sox's limiter jumps at its threshold: half-precision rounding moves samples across it.
    check_all(fn, x, low_precision=not name.startswith("dcshift_limiter"))


def test_effects_gradients():
    from _harness import check_gradcheck

    x = _signal(1, 0.0025) * 0.5  # 40 samples
    for fn in (lambda w: F.phaser(w, SR, delay_ms=1.0), lambda w: F.flanger(w, SR, regen=30.0), lambda w: F.overdrive(w, 5, 10),
               lambda w: F.contrast(w), lambda w: F.gain(w, 2.0)):
        check_gradcheck(fn, x)


def test_phaser_compiles():
    check_compile(lambda w: F.phaser(w, SR), _signal(1, 0.02).float())


def test_speed_is_resampling_and_scales_pitch():
    x = make_tone(440.0, 0.5, SR)
    y, lengths = F.speed(x, SR, 1.25, lengths=torch.tensor([8000]))
    assert lengths.item() == math.ceil(8000 * 4 / 5)
    torch.testing.assert_close(y, F.resample(x, 5, 4), **tol("float64"))
    spectrum = np.abs(np.fft.rfft(y[0, 1000:-1000].numpy() * np.hanning(y.shape[-1] - 2000)))
    peak = np.argmax(spectrum) * SR / (y.shape[-1] - 2000)
    assert abs(peak - 550.0) < 5.0
    module = T.Speed(SR, 1.25)
    check_module_equals_functional(module, lambda w: F.speed(w, SR, 1.25)[0], x)
    perturb = T.SpeedPerturbation(SR, [0.9, 1.0, 1.1])
    lengths_seen = {perturb(x)[0].shape[-1] for _ in range(12)}
    assert lengths_seen <= {math.ceil(8000 * 10 / 9), 8000, math.ceil(8000 * 10 / 11)} and len(lengths_seen) > 1


def test_add_noise():
    x = make_noise(3, 0.1).double()
    noise = make_noise(3, 0.1, seed=5).double()
    snr = torch.tensor([0.0, 10.0, 20.0], dtype=torch.float64)
    y = F.add_noise(x, noise, snr)
    measured = 10 * torch.log10(x.pow(2).sum(-1) / (y - x).pow(2).sum(-1))
    torch.testing.assert_close(measured, snr, **tol("float64"))
    lengths = torch.tensor([800, 1600, 400])
    y = F.add_noise(x, noise, snr, lengths)
    for i, n in enumerate(lengths.tolist()):
        got = 10 * torch.log10(x[i, :n].pow(2).sum() / (y[i, :n] - x[i, :n]).pow(2).sum())
        torch.testing.assert_close(got, snr[i], **tol("float64"))
    # a scalar SNR broadcasts; module equals functional
    F.add_noise(x, noise, torch.tensor(5.0))
    torch.testing.assert_close(T.AddNoise()(x, noise, snr), F.add_noise(x, noise, snr))
    check_all(lambda w: F.add_noise(w, torch.ones_like(w), torch.full(w.shape[:-1], 3.0)), make_noise(3, 0.01).reshape(3, 1, -1),
              grad_input=torch.randn(2, 16))
    with pytest.raises(ValueError, match="snr"):
        F.add_noise(x, noise, torch.zeros(4))
    with pytest.raises(ValueError, match="noise"):
        F.add_noise(x, noise[:, :10], snr)


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_convolution_matches_scipy(mode):
    x = torch.randn(2, 3, 300, dtype=torch.float64)
    y = torch.randn(1, 3, 41, dtype=torch.float64)
    expected = np.stack([[scipy.signal.fftconvolve(x[i, j].numpy(), y[0, j].numpy(), mode=mode) for j in range(3)] for i in range(2)])
    torch.testing.assert_close(F.fftconvolve(x, y, mode), torch.from_numpy(expected), **tol("float64"))
    torch.testing.assert_close(F.convolve(x, y, mode), torch.from_numpy(expected), **tol("float64"))
    torch.testing.assert_close(T.Convolve(mode)(x, y), F.convolve(x, y, mode), rtol=0, atol=0)
    torch.testing.assert_close(T.FFTConvolve(mode)(x, y), F.fftconvolve(x, y, mode))
    kernel = torch.randn(1, 9)
    for fn in (F.convolve, F.fftconvolve):
        conv = lambda a, fn=fn: fn(a, kernel.reshape((1,) * (a.ndim - 1) + (9,)).to(a.dtype), mode)
        check_all(conv, torch.randn(4, 50), grad_input=torch.randn(1, 12), compile=True)


@pytest.mark.parametrize("shape", ["linear", "exponential", "logarithmic", "quarter_sine", "half_sine"])
def test_fade_shapes(shape):
    x = torch.ones(2, 1000, dtype=torch.float64)
    fade = T.Fade(fade_in_len=300, fade_out_len=200, fade_shape=shape)
    y = fade(x)
    ramp = np.linspace(0, 1, 300)
    closed = {
        "linear": ramp, "exponential": 2 ** (ramp - 1) * ramp, "logarithmic": np.log10(0.1 + ramp) + 1,
        "quarter_sine": np.sin(ramp * np.pi / 2), "half_sine": np.sin(ramp * np.pi - np.pi / 2) / 2 + 0.5,
    }[shape]
    np.testing.assert_allclose(y[0, :300].numpy(), np.clip(closed, 0, 1), rtol=1e-6, atol=1e-7)
    assert torch.all(y[:, 300:800] == 1)
    assert y[0, -1] <= y[0, -200] and y[0, -1] < 0.05
    check_all(fade, make_noise(3, 0.1).reshape(3, 1, -1), grad_input=torch.randn(1, 1000))
    if shape == "linear":
        check_compile(fade, make_noise(1, 0.1))


def test_vol():
    x = make_noise(2, 0.1) * 1.5
    torch.testing.assert_close(T.Vol(0.5)(x), (x * 0.5).clamp(-1, 1))
    torch.testing.assert_close(T.Vol(6.0, "db")(x), (x * 10 ** (6 / 20)).clamp(-1, 1))
    torch.testing.assert_close(T.Vol(4.0, "power")(x), (x * 2.0).clamp(-1, 1))
    check_all(T.Vol(0.3), make_noise(3, 0.1).reshape(3, 1, -1), grad_input=torch.randn(1, 20))
    with pytest.raises(ValueError, match="gain_type"):
        T.Vol(1.0, "loud")
    with pytest.raises(ValueError, match="gain"):
        T.Vol(-1.0)


def test_dither_is_torchaudio_quantisation():
    x = make_noise(2, 0.05).double()
    y = F.dither(x)
    expected = torch.round(x * (2**15 - 2) + torch.bartlett_window(x.shape[-1], dtype=torch.float64)) / 2**15
    torch.testing.assert_close(y, expected, rtol=0, atol=0)
    assert torch.allclose(y * 2**15, torch.round(y * 2**15))  # on the 16-bit grid
    for density in ("RPDF", "GPDF"):
        z = F.dither(x, density)
        assert (z - x).abs().max() < 8 / 2**15
    shaped = F.dither(x, noise_shaping=True)
    torch.testing.assert_close(shaped[..., 1:], y[..., 1:] + (y - x)[..., :-1])


def test_bad_inputs():
    x = torch.randn(2, 100)
    with pytest.raises(ValueError, match="enhancement_amount"):
        F.contrast(x, 150)
    with pytest.raises(ValueError, match="modulation"):
        F.flanger(x, SR, modulation="square")
    with pytest.raises(ValueError, match="interpolation"):
        F.flanger(x, SR, interpolation="cubic")
    with pytest.raises(ValueError, match="channel"):
        F.flanger(torch.randn(5, 100), SR)
    with pytest.raises(ValueError, match="decay"):
        F.phaser(x, SR, decay=1.0)
    with pytest.raises(ValueError, match="sample_rate"):
        F.phaser(x, 0)
    with pytest.raises(ValueError, match="density_function"):
        F.dither(x, "uniform")
    with pytest.raises(ValueError, match="fade_shape"):
        T.Fade(10, 10, "cosine")
    with pytest.raises(ValueError, match="mode"):
        F.convolve(x, x, "circular")
    with pytest.raises(ValueError, match="broadcast"):
        F.fftconvolve(torch.randn(2, 10), torch.randn(3, 10))
    with pytest.raises(ValueError, match="factor"):
        F.speed(x, SR, 0.0)
    for fn in (F.gain, F.contrast, F.overdrive, lambda w: F.phaser(w, SR), lambda w: F.dcshift(w, 0.1)):
        with pytest.raises(TypeError, match="waveform"):
            fn(torch.ones(1, 10, dtype=torch.int16))
    with pytest.raises(ValueError, match="exceed"):
        fade_envelope(10, 20, 0, "linear")


def test_nan_in_nan_out():
    x = _signal(1, 0.05)
    x[0, 300] = float("nan")
    for fn in (lambda w: F.phaser(w, SR), lambda w: F.flanger(w, SR, regen=20.0), lambda w: F.overdrive(w)):
        y = fn(x)
        assert y[0, 300].isnan() and torch.isfinite(y[0, :300]).all()


def test_harness_remaining_functionals_and_transforms():
    x = make_noise(3, 0.05).reshape(3, 1, -1)
    check_all(lambda w: F.dither(w), x, low_precision=False)  # 16-bit quantisation is the point
    check_all(lambda w: F.speed(w, SR, 0.9)[0], x, grad_input=torch.randn(1, 40))
    check_module_equals_functional(T.Speed(SR, 0.9), lambda w: F.speed(w, SR, 0.9)[0], x)
    check_all(T.Speed(SR, 1.1), x)
    check_all(lambda w: T.AddNoise()(w, torch.ones_like(w), torch.full(w.shape[:-1], 10.0)), x)
    check_compile(lambda w: F.overdrive(w, 10, 10), make_noise(1, 0.02))
