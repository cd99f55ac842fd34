"""resample / Resample against a direct dense implementation of torchaudio's algorithm, scipy, soxr."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
import soxr
import torch
from _harness import check_all, check_compile, check_module_equals_functional
from conftest import make_noise, snr_db, tol

import torchsound.functional as F
import torchsound.transforms as T
from torchsound.functional import _resampling


def dense_reference(waveform, orig_freq, new_freq, lowpass_filter_width=6, rolloff=0.99, method="sinc_interp_hann", beta=None):
    """torchaudio's documented algorithm written directly: one dense kernel, strided conv1d, float64."""
    gcd = math.gcd(orig_freq, new_freq)
    orig, new = orig_freq // gcd, new_freq // gcd
    base = min(orig, new) * rolloff
    width = math.ceil(lowpass_filter_width * orig / base)
    idx = torch.arange(-width, width + orig, dtype=torch.float64)[None, None] / orig
    t = torch.arange(0, -new, -1, dtype=torch.float64)[:, None, None] / new + idx
    t = (t * base).clamp(-lowpass_filter_width, lowpass_filter_width)
    if method == "sinc_interp_hann":
        window = torch.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    else:
        b = torch.tensor(14.769656459379492 if beta is None else float(beta), dtype=torch.float64)
        window = torch.i0(b * torch.sqrt(1 - (t / lowpass_filter_width) ** 2)) / torch.i0(b)
    t = t * math.pi
    kernel = torch.where(t == 0, torch.ones_like(t), t.sin() / t) * window * base / orig
    shape = waveform.shape
    w = waveform.reshape(-1, shape[-1]).double()
    n = w.shape[-1]
    w = torch.nn.functional.pad(w, (width, width + orig))
    out = torch.nn.functional.conv1d(w[:, None], kernel, stride=orig).transpose(1, 2).reshape(w.shape[0], -1)
    out = out[..., : math.ceil(new * n / orig)]
    return out.reshape(shape[:-1] + out.shape[-1:])


RATES = [(44100, 16000), (16000, 44100), (48000, 44100), (16000, 8000), (8000, 16000), (16000, 48000), (3, 2), (1, 5),
         (7, 1), (101, 7)]


@pytest.mark.parametrize("orig,new", RATES)
@pytest.mark.parametrize("method", ["sinc_interp_hann", "sinc_interp_kaiser"])
def test_matches_torchaudio_algorithm(orig, new, method):
    x = make_noise(3, 0.05, 16000).reshape(3, 1, -1).double()
    got = F.resample(x, orig, new, resampling_method=method)
    torch.testing.assert_close(got, dense_reference(x, orig, new, method=method), **tol("float64"))
    got32 = F.resample(x.float(), orig, new, resampling_method=method)
    assert got32.dtype == torch.float32
    torch.testing.assert_close(got32.double(), dense_reference(x, orig, new, method=method), **tol("dsp32"))


def test_matches_with_custom_parameters():
    x = make_noise(2, 0.05).double()
    for lpw, rolloff, beta in [(3, 0.8, None), (16, 0.95, 8.0), (1, 0.5, 20.0)]:
        for method in ("sinc_interp_hann", "sinc_interp_kaiser"):
            got = F.resample(x, 44100, 22050, lpw, rolloff, method, beta)
            torch.testing.assert_close(got, dense_reference(x, 44100, 22050, lpw, rolloff, method, beta), **tol("float64"))


@pytest.mark.parametrize("orig,new", [(1, 2), (2, 1), (1, 3), (10, 11), (160, 441)])
def test_wide_filters_on_small_ratios(orig, new):
    # Wide sincs on small ratios make the kernel span many blocks (the block is enlarged to hold a
    # window); every output must still equal torchaudio's dense formula.
    x = make_noise(2, 0.05).double()
    got = F.resample(x, orig, new, 64, 0.955, "sinc_interp_kaiser", 6.5)
    torch.testing.assert_close(got, dense_reference(x, orig, new, 64, 0.955, "sinc_interp_kaiser", 6.5), **tol("float64"))


def test_short_and_empty_signals():
    for n in (1, 2, 3, 10):
        x = torch.randn(2, n, dtype=torch.float64)
        for orig, new in ((3, 2), (2, 3), (441, 160)):
            torch.testing.assert_close(F.resample(x, orig, new), dense_reference(x, orig, new), **tol("float64"))
    assert F.resample(torch.randn(2, 0), 3, 2).shape == (2, 0)
    assert F.resample(torch.randn(0, 100), 3, 2).shape == (0, 67)
    assert F.resample(torch.randn(0, 100), 20001, 30001).shape == (0, 150)  # the many-groups path


def test_large_coprime_ratio_is_cheap_and_correct():
    orig, new = 20001, 30001
    weights, *_ = _resampling._kernel(orig, new, 6, 0.99, "sinc_interp_hann", None, torch.float64, torch.device("cpu"))
    assert weights.numel() < 2_000_000  # the dense kernel would hold 30001 * 20015 values
    x = torch.randn(1, 50000, dtype=torch.float64)
    y = F.resample(x, orig, new)
    assert y.shape[-1] == math.ceil(50000 * new / orig)
    # A few output samples by the defining sum, straight from the formula.
    base = min(orig, new) * 0.99
    for n in (0, 1, 777, 30001, 45678, y.shape[-1] - 1):
        pos = n * orig / new
        k = torch.arange(max(0, int(pos) - 20), min(50000, int(pos) + 21), dtype=torch.float64)
        t = ((k - pos) / orig * base).clamp(-6, 6)
        kern = torch.where(t == 0, torch.ones_like(t), torch.sin(math.pi * t) / (math.pi * t)) * torch.cos(t * math.pi / 12) ** 2
        expected = (x[0, k.long()] * kern).sum() * base / orig
        torch.testing.assert_close(y[0, n], expected, rtol=1e-9, atol=1e-12)


def test_band_limited_signal_matches_scipy_resample_poly():
    sr = 44100
    t = torch.arange(sr // 2, dtype=torch.float64) / sr
    x = (0.3 * torch.sin(2 * math.pi * 440 * t) + 0.2 * torch.sin(2 * math.pi * 2500 * t + 1.0)).unsqueeze(0)
    ours = F.resample(x, sr, 16000, quality="hq")[0].numpy()
    ref = scipy.signal.resample_poly(x[0].numpy(), 160, 441, window=("kaiser", 14.0))
    inner = slice(200, -200)  # the two filters treat the edges differently
    assert snr_db(ref[inner], ours[inner]) > 90


def _tone_quality(quality, freq):
    sr = 44100
    t = torch.arange(sr, dtype=torch.float64) / sr
    y = F.resample(torch.sin(2 * math.pi * freq * t), sr, 16000, quality=quality)
    return y[1000:-1000], torch.sin(2 * math.pi * freq * torch.arange(y.shape[-1], dtype=torch.float64) / 16000)[1000:-1000]


def _soxr_quality(quality, freq):
    sr = 44100
    t = np.arange(sr) / sr
    y = soxr.resample(np.sin(2 * np.pi * freq * t), sr, 16000, quality)
    return y[1000:-1000], np.sin(2 * np.pi * freq * np.arange(len(y)) / 16000)[1000:-1000]


def _rejection_db(y):
    return float(-10 * np.log10(np.mean(np.asarray(y) ** 2) / 0.5))


@pytest.mark.parametrize("quality,soxr_quality,floor_db", [("hq", "HQ", 120.0), ("vhq", "VHQ", 200.0)])
def test_quality_presets_beat_soxr(quality, soxr_quality, floor_db):
    # 6 kHz passes (SNR against the ideal tone), 9 kHz (aliasing to 7 kHz) is rejected.
    ours_snr = snr_db(*(v.numpy() for v in reversed(_tone_quality(quality, 6000))))
    soxr_snr = snr_db(*reversed(_soxr_quality(soxr_quality, 6000)))
    assert ours_snr >= max(floor_db, soxr_snr)
    for freq in (8200, 9000, 12000, 20000):
        ours = _rejection_db(_tone_quality(quality, freq)[0])
        assert ours >= floor_db, (freq, ours)
    assert _rejection_db(_tone_quality(quality, 9000)[0]) >= _rejection_db(_soxr_quality(soxr_quality, 9000)[0])


def test_harness_and_transform():
    x = make_noise(3, 0.05).reshape(3, 1, -1)
    fn = lambda w: F.resample(w, 16000, 6000)
    check_all(fn, x, grad_input=torch.randn(1, 40), compile=True)
    check_module_equals_functional(T.Resample(16000, 6000), fn, x)
    check_module_equals_functional(T.Resample(16000, 6000, quality="hq"), lambda w: F.resample(w, 16000, 6000, quality="hq"), x)
    check_module_equals_functional(T.Resample(16000, 16000), lambda w: w, x)
    module = T.Resample(44100, 16000, dtype=torch.float64)
    torch.testing.assert_close(module(x.double()), F.resample(x.double(), 44100, 16000), **tol("float64"))
    check_compile(T.Resample(16000, 6000), x)


@pytest.mark.parametrize("orig,new", [(16000, 44100), (8000, 16000), (44100, 48001)])
def test_transform_exports_and_compiles(orig, new):
    # Every evaluation path: in-place columns (eager), concatenated columns (traced), and the
    # batched product with a gather (many phase groups, 44.1k -> 48001 Hz).
    module = T.Resample(orig, new)
    x = make_noise(2, 0.05, orig)
    expected = module(x)
    exported = torch.export.export(module, (x,)).module()
    torch.testing.assert_close(exported(x), expected, **tol("dsp32"))
    check_compile(module, x)
    x.requires_grad_(True)
    torch.testing.assert_close(module(x), expected, **tol("dsp32"))  # the autograd path


def test_bad_inputs():
    x = torch.randn(1, 100)
    with pytest.raises(ValueError, match="orig_freq"):
        F.resample(x, 0, 16000)
    with pytest.raises(ValueError, match="new_freq"):
        F.resample(x, 16000, -8000)
    with pytest.raises(ValueError, match="resampling_method"):
        F.resample(x, 16000, 8000, resampling_method="linear")
    with pytest.raises(ValueError, match="quality"):
        F.resample(x, 16000, 8000, quality="best")
    with pytest.raises(TypeError, match="waveform"):
        F.resample(torch.ones(1, 10, dtype=torch.int16), 16000, 8000)
    with pytest.raises(ValueError, match="orig_freq"):
        T.Resample(-1, 16000)
    with pytest.raises(ValueError, match="resampling_method"):
        T.Resample(16000, 8000, resampling_method="sinc")
    with pytest.raises(ValueError, match="fractional"):
        F.resample(x, 44100, 22050.5)
