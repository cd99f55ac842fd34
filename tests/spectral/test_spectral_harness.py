"""The shared harness over every spectral functional and transform of torchsound."""

import math

import pytest
import torch
from _harness import (
    check_all,
    check_dtype_device,
    check_gradcheck,
    check_low_precision,
    check_module_equals_functional,
    check_no_inplace,
)
from conftest import make_noise

import torchsound.functional as F
import torchsound.prototype.functional as PF
import torchsound.prototype.transforms as PT
import torchsound.transforms as T

W400 = torch.hann_window(400)
W16 = torch.hann_window(16, dtype=torch.float64)


def wave(batch=(3,), seconds=0.1, sample_rate=16000):
    return make_noise(int(torch.tensor(batch).prod()), seconds, sample_rate).reshape(*batch, -1)


def spec_fn(power, **kw):
    return lambda x: F.spectrogram(x, 0, W400.to(x.dtype if x.dtype.is_floating_point else torch.float32), 400, 160,
                                   400, power, False, **kw)


# --------------------------------------------------------------------------- functionals


@pytest.mark.parametrize("power", [None, 1.0, 2.0])
def test_spectrogram_harness(power):
    fn = spec_fn(power)
    small = lambda x: F.spectrogram(x, 2, torch.hann_window(12, dtype=x.dtype), 16, 4, 12, power, "window")
    check_all(fn, wave((2, 3)), batch_dims=2, expect_dtype=torch.complex64 if power is None else None)
    check_gradcheck(lambda x: torch.view_as_real(small(x)) if power is None else small(x), torch.randn(2, 40))


def test_spectrogram_real_stft_harness():
    fn = lambda x: F.spectrogram(x, 0, torch.hann_window(64, dtype=x.dtype), 64, 16, 64, 2.0, False, real_stft=True)
    check_all(fn, wave(), grad_input=torch.randn(2, 100))


def test_inverse_spectrogram_harness():
    spec = F.spectrogram(wave((2, 2)), 0, W400, 400, 100, 400, None, False)
    fn = lambda s: F.inverse_spectrogram(s, 1600, 0, W400.to(s.real.dtype), 400, 100, 400, False)
    check_all(fn, spec, batch_dims=2, expect_dtype=torch.float32, low_precision=False)
    small = F.spectrogram(torch.randn(1, 24, dtype=torch.float64), 0, W16, 16, 4, 16, None, False)
    check_gradcheck(lambda s: F.inverse_spectrogram(s, 24, 0, W16, 16, 4, 16, False), small)


def test_griffinlim_harness():
    spec = F.spectrogram(wave(), 0, W400, 400, 100, 400, 2.0, False)
    fn = lambda s: F.griffinlim(s, W400.to(s.dtype), 400, 100, 400, 2.0, 4, 0.99, 1600, False)
    check_all(fn, spec, batch_tol={"rtol": 1e-4, "atol": 1e-5}, low_precision=False)
    check_low_precision(fn, spec, dtypes=(torch.float16,))
    # bfloat16 rounds the magnitudes to 8 bits; phase retrieval from them drifts further, so only
    # check that it runs in float32 and comes back as finite bfloat16.
    out = fn(spec.bfloat16())
    assert out.dtype == torch.bfloat16 and torch.isfinite(out.float()).all()
    small = F.spectrogram(torch.randn(1, 48, dtype=torch.float64), 0, W16, 16, 4, 16, 2.0, False) + 0.1
    check_gradcheck(lambda s: F.griffinlim(s, W16, 16, 4, 16, 2.0, 2, 0.5, 48, False), small)


def test_phase_vocoder_harness():
    spec = F.spectrogram(wave((2, 2)), 0, W400, 400, 100, 400, None, False)
    advance = torch.linspace(0, math.pi * 100, 201)[..., None]
    fn = lambda s: F.phase_vocoder(s, 1.3, advance)
    check_all(fn, spec, batch_dims=2, expect_dtype=torch.complex64, low_precision=False)
    small = torch.randn(2, 9, 6, dtype=torch.complex128)
    adv = torch.linspace(0, math.pi * 4, 9, dtype=torch.float64)[..., None]
    check_gradcheck(lambda s: torch.view_as_real(F.phase_vocoder(s, 0.8, adv)), small)


def test_pitch_shift_harness():
    fn = lambda x: F.pitch_shift(x, 16000, 3)
    check_all(fn, wave(seconds=0.1), batch_tol={"rtol": 1e-4, "atol": 1e-5}, low_precision=False)
    check_low_precision(fn, wave(seconds=0.1), dtypes=(torch.float16,))
    # bfloat16 rounds the input to 8 bits; the vocoder's phase tracking of weak bins amplifies that
    # rounding (not the computation, which runs in float32), so only dtype and finiteness are checked.
    out = fn(wave(seconds=0.1).bfloat16())
    assert out.dtype == torch.bfloat16 and torch.isfinite(out.float()).all()
    check_gradcheck(lambda x: F.pitch_shift(x, 8000, 2, n_fft=32, hop_length=8), torch.randn(1, 72))


def test_spectral_centroid_harness():
    fn = lambda x: F.spectral_centroid(x, 16000, 0, W400.to(x.dtype), 400, 160, 400)
    check_all(fn, wave((2, 2)), batch_dims=2, grad_input=torch.randn(1, 800), batch_tol={"rtol": 1e-5, "atol": 1e-3})


def test_amplitude_db_harness():
    s = torch.rand(2, 3, 20, 30) ** 2
    to_db = lambda x: F.amplitude_to_DB(x, 10.0, 1e-10, 0.0, 80.0)
    check_all(to_db, s, grad_input=torch.rand(2, 5, 6) + 0.1)
    from_db = lambda x: F.DB_to_amplitude(x, 1.0, 0.5)
    check_all(from_db, to_db(s), grad_input=torch.randn(2, 5, 6))


def test_compute_deltas_harness():
    fn = lambda x: F.compute_deltas(x, 7, "replicate")
    check_all(fn, torch.randn(3, 2, 20, 30), batch_dims=2, grad_input=torch.randn(1, 4, 10))


def test_sliding_window_cmn_harness():
    fn = lambda x: F.sliding_window_cmn(x, 20, 5, False, True)
    check_all(fn, torch.randn(3, 2, 50, 13), batch_dims=2, grad_input=torch.randn(1, 30, 3))


def test_detect_pitch_harness():
    fn = lambda x: F.detect_pitch_frequency(x, 16000)
    check_all(fn, wave((2, 2), seconds=0.5), batch_dims=2, low_precision=False)
    check_low_precision(lambda x: F.detect_pitch_frequency(x, 16000),
                        torch.sin(2 * math.pi * 200 * torch.arange(8000) / 16000).unsqueeze(0))


def test_loudness_harness():
    fn = lambda x: F.loudness(x, 16000)
    check_all(fn, wave((3, 2), seconds=0.8), batch_dims=1)
    # fast_mode: a random-direction gradcheck, as the full Jacobian of a 0.4 s block is large
    check_gradcheck(lambda x: F.loudness(x, 4000), wave((1, 2), seconds=0.45, sample_rate=4000), fast_mode=True)


def test_mask_along_axis_harness():
    for axis in (1, 2):
        def fn(x, axis=axis):
            torch.manual_seed(1)  # one shared mask: a batch equals its loop under the same draw
            return F.mask_along_axis(x, 10, 0.0, x.dim() - 3 + axis)
        check_all(fn, torch.rand(4, 40, 50) + 1, grad_input=torch.rand(2, 12, 12))


def test_mask_along_axis_iid_harness():
    x = torch.rand(4, 2, 40, 50) + 1
    fn = lambda s: F.mask_along_axis_iid(s, 10, 0.0, 3)
    check_no_inplace(fn, x)
    check_dtype_device(fn, x)
    check_low_precision(lambda s: (torch.manual_seed(2), F.mask_along_axis_iid(s, 10, 0.0, 3))[1], x)
    g = torch.rand(2, 2, 6, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: (torch.manual_seed(3), F.mask_along_axis_iid(s, 5, 0.0, 2))[1], (g,))


def test_filterbank_builders_are_cached_and_fresh():
    a = F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000)
    a.zero_()  # callers get their own copy: mutating it must not poison the cache
    b = F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000)
    assert b.abs().sum() > 0 and b.dtype == torch.float32
    for build in (lambda: F.linear_fbanks(201, 0.0, 8000.0, 20, 16000), lambda: F.create_dct(13, 40, "ortho"),
                  lambda: PF.barkscale_fbanks(201, 0.0, 8000.0, 20, 16000), lambda: PF.chroma_filterbank(16000, 201, 12)):
        first = build()
        first.mul_(0)
        assert build().abs().sum() > 0


# --------------------------------------------------------------------------- transforms


def _module_checks(module, fn, x, *, compile=False, expect_dtype=None, low_precision=True, batch_dims=1, tol=None):
    check_module_equals_functional(module, fn, x, **(tol or {}))
    check_all(module, x, compile=compile, expect_dtype=expect_dtype, low_precision=low_precision, batch_dims=batch_dims,
              batch_tol=tol)
    double = module.to(torch.float64)
    check_dtype_device(double, x.to(torch.complex128 if x.is_complex() else torch.float64),
                       expect_dtype=None if expect_dtype is None else (torch.float64 if not expect_dtype.is_complex else torch.complex128))
    module.to(torch.float32)


def test_spectrogram_transform():
    m = T.Spectrogram(400, hop_length=160, normalized=True)
    _module_checks(m, lambda x: F.spectrogram(x, 0, W400, 400, 160, 400, 2.0, True), wave((2, 2)), compile=True, batch_dims=2)


def test_inverse_spectrogram_transform():
    spec = T.Spectrogram(400, power=None)(wave((2,)))
    m = T.InverseSpectrogram(400)
    check_module_equals_functional(m, lambda s: F.inverse_spectrogram(s, None, 0, W400, 400, 200, 400, False), spec)
    check_all(m, spec, expect_dtype=torch.float32, low_precision=False)


def test_griffinlim_transform():
    spec = T.Spectrogram(400)(wave())
    m = T.GriffinLim(400, n_iter=3, rand_init=False, length=1600)
    _module_checks(m, lambda s: F.griffinlim(s, W400, 400, 200, 400, 2.0, 3, 0.99, 1600, False), spec,
                   tol={"rtol": 1e-4, "atol": 1e-5}, low_precision=False)


def test_time_stretch_transform():
    spec = T.Spectrogram(400, hop_length=100, power=None)(wave())
    m = T.TimeStretch(hop_length=100, n_freq=201, fixed_rate=0.7)
    advance = torch.linspace(0, math.pi * 100, 201)[..., None]
    check_module_equals_functional(m, lambda s: F.phase_vocoder(s, 0.7, advance), spec)
    check_all(m, spec, expect_dtype=torch.complex64, low_precision=False)
    assert m(spec, 2.0).shape[-1] == math.ceil(spec.shape[-1] / 2.0)


def test_pitch_shift_transform():
    m = T.PitchShift(16000, -2)
    _module_checks(m, lambda x: F.pitch_shift(x, 16000, -2), wave(), tol={"rtol": 1e-4, "atol": 1e-5},
                   low_precision=False)


def test_mel_transforms():
    x = wave((2, 2))
    mel = T.MelSpectrogram(16000, n_fft=400, hop_length=160, n_mels=40, norm="slaney", mel_scale="slaney")
    fb = F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000, "slaney", "slaney")
    ref = lambda w: (F.spectrogram(w, 0, W400, 400, 160, 400, 2.0, False).transpose(-1, -2) @ fb).transpose(-1, -2)
    _module_checks(mel, ref, x, compile=True, batch_dims=2, tol={"rtol": 1e-5, "atol": 1e-5})
    spec = T.Spectrogram(400, hop_length=160)(x)
    scale = T.MelScale(40, 16000, n_stft=201, norm="slaney", mel_scale="slaney")
    _module_checks(scale, lambda s: (s.transpose(-1, -2) @ fb).transpose(-1, -2), spec, batch_dims=2)
    inverse = T.InverseMelScale(201, 40, 16000, norm="slaney", mel_scale="slaney")
    check_all(inverse, scale(spec), batch_dims=2, batch_tol={"rtol": 1e-4, "atol": 1e-4})


def test_mfcc_lfcc_transforms():
    x = wave((2,), seconds=0.2)
    mfcc = T.MFCC(16000, n_mfcc=13, melkwargs={"n_fft": 400, "hop_length": 160, "n_mels": 40})
    mel = T.MelSpectrogram(16000, n_fft=400, hop_length=160, n_mels=40)
    dct = F.create_dct(13, 40, "ortho")
    ref = lambda w: (F.amplitude_to_DB(mel(w), 10.0, 1e-10, 0.0, 80.0).transpose(-1, -2) @ dct).transpose(-1, -2)
    _module_checks(mfcc, ref, x, compile=True)
    lfcc = T.LFCC(16000, n_filter=40, n_lfcc=13, log_lf=True, speckwargs={"n_fft": 400, "hop_length": 160})
    lin = F.linear_fbanks(201, 0.0, 8000.0, 40, 16000)
    ref = lambda w: (torch.log((F.spectrogram(w, 0, W400, 400, 160, 400, 2.0, False).transpose(-1, -2) @ lin) + 1e-6)
                     @ dct).transpose(-1, -2)
    _module_checks(lfcc, ref, x, tol={"rtol": 1e-4, "atol": 1e-5})  # banded vs dense filterbank rounding


def test_amplitude_to_db_transform():
    s = torch.rand(2, 3, 20, 30)
    m = T.AmplitudeToDB("magnitude", top_db=60.0)
    _module_checks(m, lambda v: F.amplitude_to_DB(v, 20.0, 1e-10, 0.0, 60.0), s, compile=True)


def test_spectral_centroid_transform():
    m = T.SpectralCentroid(16000, hop_length=160)
    _module_checks(m, lambda x: F.spectral_centroid(x, 16000, 0, W400, 400, 160, 400), wave(),
                   tol={"rtol": 1e-5, "atol": 1e-3})


def test_feature_transforms():
    s = torch.randn(3, 20, 30)
    _module_checks(T.ComputeDeltas(5), lambda v: F.compute_deltas(v, 5), s)
    _module_checks(T.SlidingWindowCmn(10, 4, True, False), lambda v: F.sliding_window_cmn(v, 10, 4, True, False), s)


def test_loudness_transform():
    x = wave((2, 2), seconds=0.6)
    m = T.Loudness(16000)
    check_module_equals_functional(m, lambda v: F.loudness(v, 16000), x)
    check_all(m, x)


def test_masking_transforms():
    s = torch.rand(4, 30, 40) + 1

    def seeded(module):
        def run(x):
            torch.manual_seed(5)
            return module(x)
        return run

    for module, fn in [
        (T.FrequencyMasking(8), lambda x: F.mask_along_axis(x, 8, 0.0, x.dim() - 2)),
        (T.TimeMasking(8, p=0.5), lambda x: F.mask_along_axis(x, 8, 0.0, x.dim() - 1, p=0.5)),
    ]:
        check_module_equals_functional(seeded(module), seeded(fn), s)
        check_all(seeded(module), s)
    aug = T.SpecAugment(2, 8, 2, 6, iid_masks=True, zero_masking=True)
    out = seeded(aug)(s.unsqueeze(1))
    check_no_inplace(aug, s.unsqueeze(1))
    check_dtype_device(aug, s.unsqueeze(1))
    masked = out == 0
    assert masked.any() and (masked.float().mean() < 0.7)


def test_prototype_scale_transforms():
    x = wave((2,))
    spec = T.Spectrogram(400, hop_length=160)(x)
    bark = PT.BarkScale(32, 16000, n_stft=201)
    fb = PF.barkscale_fbanks(201, 0.0, 8000.0, 32, 16000)
    _module_checks(bark, lambda s: (s.transpose(-1, -2) @ fb).transpose(-1, -2), spec)
    barkspec = PT.BarkSpectrogram(16000, hop_length=160, n_barks=32)
    _module_checks(barkspec, lambda w: bark(T.Spectrogram(400, hop_length=160)(w)), x)
    check_all(PT.InverseBarkScale(201, 32, 16000), bark(spec), batch_tol={"rtol": 1e-4, "atol": 1e-4})
    chroma = PT.ChromaScale(16000, 201)
    cfb = PF.chroma_filterbank(16000, 201, 12)
    _module_checks(chroma, lambda s: (s.transpose(-1, -2) @ cfb).transpose(-1, -2), spec)
    _module_checks(PT.ChromaSpectrogram(16000, 400, hop_length=160), lambda w: chroma(spec if w is x else
                   T.Spectrogram(400, hop_length=160)(w)), x)



def test_complex_half_inputs_computed_in_complex64():
    x = wave((1,), seconds=0.25)
    spec = F.spectrogram(x, 0, W400, 400, 100, 400, None, False)
    y = F.inverse_spectrogram(spec.to(torch.complex32), x.shape[-1], 0, W400, 400, 100, 400, False)
    assert y.dtype == torch.float16
    ref = F.inverse_spectrogram(spec, x.shape[-1], 0, W400, 400, 100, 400, False)
    assert float((y.float() - ref).abs().max() / ref.abs().max()) < 0.01
    advance = torch.linspace(0, math.pi * 100, 201)[..., None]
    stretched = F.phase_vocoder(spec.to(torch.complex32), 1.25, advance)
    assert stretched.dtype == torch.complex32
    ref = F.phase_vocoder(spec, 1.25, advance)
    assert float((stretched.to(torch.complex64).abs() - ref.abs()).abs().max() / ref.abs().max()) < 0.01
