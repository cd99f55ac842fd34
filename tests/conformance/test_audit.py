"""Audit: every name in torchaudio 2.8's ``functional.__all__`` and ``transforms.__all__`` against the oracle.

Each name has a case here (same inputs and arguments on both sides; defaults plus a few non-default
options), or a row in ``SKIPPED`` saying why it cannot be compared: the oracle needs a compiled library,
or torchsound deliberately differs (the README's "Where torchsound differs from torchaudio" section lists
the same rows). A meta-test keeps the two tables covering the whole of both ``__all__`` lists.
"""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from conftest import tol

import torchsound

SR = 16000

# name -> reason. "compiled": the oracle has no pure-Python path for it; "deliberate": we differ on purpose.
SKIPPED = {
    "functional.apply_codec": "compiled: the oracle needs torchaudio's FFmpeg/sox extension (ours: tests/dsp, io)",
    "functional.forced_align": "compiled: the oracle needs libtorchaudio (ours: tests/multichannel, vs a CTC reference)",
    "functional.rnnt_loss": "compiled: the oracle needs libtorchaudio (ours: gradcheck in test_edge_cases.py)",
    "transforms.RNNTLoss": "compiled: the oracle needs libtorchaudio (ours: gradcheck in test_edge_cases.py)",
    "functional.TokenSpan": "a dataclass, compared through merge_tokens",
    "transforms.InverseMelScale": "deliberate: closed-form least squares (driver='gels') instead of torchaudio's SGD "
    "from a random start; compared by re-projection in tests/spectral",
}


def _wave(channels=2, n=400, dtype=torch.float32, seed=0, scale=0.5):
    g = torch.Generator().manual_seed(seed)
    return (scale * (2 * torch.rand(channels, n, generator=g) - 1)).to(dtype)


def _spec(shape=(2, 201, 12), seed=1):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) + 0.01


def _cspec(shape=(2, 201, 12), seed=2):
    g = torch.Generator().manual_seed(seed)
    return torch.complex(torch.randn(*shape, generator=g), torch.randn(*shape, generator=g))


def _psd(channels=3, freq=9, seed=3):
    x = _cspec((channels, freq, 20), seed)
    return torch.einsum("cft,dft->fcd", x, x.conj()) / 20 + 1e-3 * torch.eye(channels)


_F64 = dict(dtype=torch.float64)
_A2 = torch.tensor([1.0, -1.6, 0.7], dtype=torch.float64)
_B2 = torch.tensor([0.05, 0.1, 0.05], dtype=torch.float64)
_W = torch.hann_window(400)

# (id, "functional"|"transforms", name, constructor args (transforms), inputs (callable -> tuple), kwargs, tolerance)
# Filters run in float64 (both sides then keep their coefficients in float64; torchaudio rounds them to float32
# inputs' dtype); tolerance rows come from tests/conftest.py.
CASES = [
    ("DB_to_amplitude", "functional", "DB_to_amplitude", None, lambda: (-20 * _spec(),), dict(ref=1.0, power=0.5), "float32"),
    ("amplitude_to_DB", "functional", "amplitude_to_DB", None, lambda: (_spec(),), dict(multiplier=10.0, amin=1e-10, db_multiplier=0.0, top_db=40.0), "float32_db"),
    ("amplitude_to_DB-no-top", "functional", "amplitude_to_DB", None, lambda: (_spec(),), dict(multiplier=20.0, amin=1e-5, db_multiplier=1.0), "float32_db"),
    ("add_noise", "functional", "add_noise", None, lambda: (_wave(), _wave(seed=9), torch.tensor([3.0, 10.0])), {}, "float32"),
    ("allpass_biquad", "functional", "allpass_biquad", None, lambda: (_wave(**_F64), SR, 1000.0), {}, "lfilter64_peak"),
    ("band_biquad", "functional", "band_biquad", None, lambda: (_wave(**_F64), SR, 1000.0, 2.0), {}, "lfilter64_peak"),
    ("band_biquad-noise", "functional", "band_biquad", None, lambda: (_wave(**_F64), SR, 1000.0), dict(noise=True), "lfilter64_peak"),
    ("bandpass_biquad", "functional", "bandpass_biquad", None, lambda: (_wave(**_F64), SR, 1500.0), {}, "lfilter64_peak"),
    ("bandpass_biquad-skirt", "functional", "bandpass_biquad", None, lambda: (_wave(**_F64), SR, 1500.0, 3.0, True), {}, "lfilter64_peak"),
    ("bandreject_biquad", "functional", "bandreject_biquad", None, lambda: (_wave(**_F64), SR, 1200.0), {}, "lfilter64_peak"),
    ("bass_biquad", "functional", "bass_biquad", None, lambda: (_wave(**_F64), SR, 6.0), {}, "lfilter64_peak"),
    ("treble_biquad", "functional", "treble_biquad", None, lambda: (_wave(**_F64), SR, -4.0, 2500.0), {}, "lfilter64_peak"),
    ("equalizer_biquad", "functional", "equalizer_biquad", None, lambda: (_wave(**_F64), SR, 1000.0, 5.0, 1.2), {}, "lfilter64_peak"),
    ("highpass_biquad", "functional", "highpass_biquad", None, lambda: (_wave(**_F64), SR, 500.0), {}, "lfilter64_peak"),
    ("lowpass_biquad", "functional", "lowpass_biquad", None, lambda: (_wave(**_F64), SR, 2000.0, 0.9), {}, "lfilter64_peak"),
    ("deemph_biquad", "functional", "deemph_biquad", None, lambda: (_wave(**_F64), 44100), {}, "lfilter64_peak"),
    ("riaa_biquad", "functional", "riaa_biquad", None, lambda: (_wave(**_F64, scale=0.05), 44100), {}, "lfilter64_peak"),
    ("biquad", "functional", "biquad", None, lambda: (_wave(**_F64), 0.05, 0.1, 0.05, 1.0, -1.6, 0.7), {}, "lfilter64_peak"),
    ("lfilter", "functional", "lfilter", None, lambda: (_wave(**_F64), _A2, _B2), {}, "lfilter64_peak"),
    ("lfilter-noclamp", "functional", "lfilter", None, lambda: (4 * _wave(**_F64), _A2, _B2), dict(clamp=False), "lfilter64_peak"),
    ("lfilter-bank", "functional", "lfilter", None, lambda: (_wave(**_F64), torch.stack([_A2, _A2 * 1.0]), torch.stack([_B2, 2 * _B2])), dict(batching=True), "lfilter64_peak"),
    ("filtfilt", "functional", "filtfilt", None, lambda: (_wave(**_F64), _A2, _B2), {}, "lfilter64_peak"),
    ("preemphasis", "functional", "preemphasis", None, lambda: (_wave(),), dict(coeff=0.9), "float32"),
    ("deemphasis", "functional", "deemphasis", None, lambda: (3 * _wave(**_F64),), {}, "lfilter64_peak"),
    ("compute_deltas", "functional", "compute_deltas", None, lambda: (_spec(),), dict(win_length=5), "float32"),
    ("compute_deltas-7", "functional", "compute_deltas", None, lambda: (_spec(),), dict(win_length=7, mode="replicate"), "float32"),
    ("contrast", "functional", "contrast", None, lambda: (_wave(),), dict(enhancement_amount=60.0), "float32"),
    ("convolve-full", "functional", "convolve", None, lambda: (_wave(), _wave(n=30, seed=4)), {}, "float32_fft"),
    ("convolve-same", "functional", "convolve", None, lambda: (_wave(), _wave(n=30, seed=4)), dict(mode="same"), "float32_fft"),
    ("fftconvolve-valid", "functional", "fftconvolve", None, lambda: (_wave(), _wave(n=30, seed=4)), dict(mode="valid"), "float32_fft"),
    ("create_dct-ortho", "functional", "create_dct", None, lambda: (13, 40, "ortho"), {}, "float32"),
    # torchaudio evaluates the cosines in float32 (arguments up to ~60 rad: ~4e-6 rounding); ours in float64
    ("create_dct-none", "functional", "create_dct", None, lambda: (20, 40, None), {}, "float32_fft"),
    ("dcshift", "functional", "dcshift", None, lambda: (_wave(),), dict(shift=0.3), "float32"),
    ("dcshift-limiter", "functional", "dcshift", None, lambda: (_wave(),), dict(shift=0.6, limiter_gain=0.05), "float32"),
    ("detect_pitch_frequency", "functional", "detect_pitch_frequency", None,
     lambda: (0.5 * torch.sin(2 * math.pi * 220 * torch.arange(8000) / SR).unsqueeze(0), SR), {}, "float32"),
    ("edit_distance", "functional", "edit_distance", None, lambda: (list("kitten"), list("sitting")), {}, None),
    ("frechet_distance", "functional", "frechet_distance", None,
     lambda: (torch.tensor([0.1, 0.2], **_F64), torch.tensor([[1.0, 0.2], [0.2, 2.0]], **_F64),
              torch.tensor([0.3, -0.1], **_F64), torch.tensor([[1.5, 0.1], [0.1, 0.7]], **_F64)), {}, "float64"),
    ("gain", "functional", "gain", None, lambda: (_wave(),), dict(gain_db=3.0), "float32"),
    ("griffinlim", "functional", "griffinlim", None, lambda: (_spec((1, 201, 6)), _W, 400, 100, 400, 2.0, 4, 0.99, None, False), {}, "float32_fft"),
    ("inverse_spectrogram", "functional", "inverse_spectrogram", None,
     lambda: (_cspec((2, 201, 8)), None, 0, _W, 400, 100, 400, False), {}, "float32_fft"),
    ("linear_fbanks", "functional", "linear_fbanks", None, lambda: (201, 100.0, 7000.0, 20, SR), {}, "float32_fft"),
    ("melscale_fbanks", "functional", "melscale_fbanks", None, lambda: (201, 0.0, 8000.0, 40, SR), {}, "float32_fft"),
    ("melscale_fbanks-slaney", "functional", "melscale_fbanks", None, lambda: (201, 20.0, 7600.0, 64, SR, "slaney", "slaney"), {}, "float32_fft"),
    ("loudness", "functional", "loudness", None, lambda: (_wave(n=SR), SR), {}, "float32_db"),
    ("mu_law_encoding", "functional", "mu_law_encoding", None, lambda: (_wave(), 256), {}, None),
    ("mu_law_decoding", "functional", "mu_law_decoding", None, lambda: (torch.randint(0, 256, (2, 50)), 256), {}, "float32"),
    ("overdrive", "functional", "overdrive", None, lambda: (_wave(n=300),), dict(gain=30.0, colour=10.0), "float32"),
    ("phaser", "functional", "phaser", None, lambda: (_wave(n=300), SR), {}, "float32"),
    ("flanger", "functional", "flanger", None, lambda: (_wave(n=300), SR), {}, "float32"),
    ("flanger-options", "functional", "flanger", None, lambda: (_wave(n=300), SR), dict(delay=2.0, depth=3.0, regen=20.0, width=50.0, speed=1.0, phase=40.0, modulation="triangular", interpolation="quadratic"), "float32"),
    ("phase_vocoder", "functional", "phase_vocoder", None,
     lambda: (_cspec((2, 201, 10)), 1.3, torch.linspace(0, math.pi * 100, 201)[..., None]), {}, "float32_fft"),
    ("pitch_shift", "functional", "pitch_shift", None, lambda: (_wave(n=4000), SR, 3), {}, "float32_accumulated"),
    ("resample", "functional", "resample", None, lambda: (_wave(n=1000), SR, 8000), {}, "dsp32"),
    ("resample-kaiser", "functional", "resample", None, lambda: (_wave(n=1000), 44100, 16000),
     dict(lowpass_filter_width=16, rolloff=0.85, resampling_method="sinc_interp_kaiser", beta=8.0), "dsp32"),
    ("sliding_window_cmn", "functional", "sliding_window_cmn", None, lambda: (_spec((2, 50, 13)),), dict(cmn_window=20, min_cmn_window=5), "float32"),
    ("sliding_window_cmn-center", "functional", "sliding_window_cmn", None, lambda: (_spec((50, 13)),), dict(cmn_window=20, center=True, norm_vars=True), "float32_fft"),
    ("spectral_centroid", "functional", "spectral_centroid", None, lambda: (_wave(n=2000), SR, 0, _W, 400, 100, 400), {}, "float32_fft"),
    ("spectrogram", "functional", "spectrogram", None, lambda: (_wave(n=2000), 0, _W, 400, 100, 400, 2.0, False), {}, "float32_fft"),
    ("spectrogram-complex", "functional", "spectrogram", None, lambda: (_wave(n=2000), 10, _W, 512, 160, 400, None, True), dict(center=False), "float32_fft"),
    ("speed", "functional", "speed", None, lambda: (_wave(n=1000), SR, 1.1), dict(lengths=torch.tensor([1000, 800])), "dsp32"),
    ("vad", "functional", "vad", None, lambda: (torch.cat([torch.zeros(2, 3000), _wave(n=6000)], -1), SR), {}, "float32"),
    ("psd", "functional", "psd", None, lambda: (_cspec((3, 9, 20)),), {}, "float32_fft"),
    ("psd-mask", "functional", "psd", None, lambda: (_cspec((3, 9, 20)), torch.rand(9, 20)), dict(normalize=False), "float32_fft"),
    ("mvdr_weights_souden", "functional", "mvdr_weights_souden", None, lambda: (_psd(seed=4), _psd(seed=5), 0), {}, "float32_fft"),
    ("mvdr_weights_rtf", "functional", "mvdr_weights_rtf", None, lambda: (_cspec((9, 3), seed=6), _psd(seed=5), 0), {}, "float32_fft"),
    ("rtf_evd", "functional", "rtf_evd", None, lambda: (_psd(seed=4),), {}, "float32_fft"),
    ("rtf_power", "functional", "rtf_power", None, lambda: (_psd(seed=4), _psd(seed=5), 0), dict(n_iter=3), "float32_fft"),
    ("apply_beamforming", "functional", "apply_beamforming", None, lambda: (_cspec((9, 3), seed=6), _cspec((3, 9, 20))), {}, "float32_fft"),
    ("merge_tokens", "functional", "merge_tokens", None,
     lambda: (torch.tensor([0, 3, 3, 0, 5, 5, 5, 0, 3]), torch.rand(9, generator=torch.Generator().manual_seed(7))), {}, None),
    # ---- random: the same global-generator seed must give the same draw
    ("mask_along_axis", "functional", "mask_along_axis", None, lambda: (_spec(), 30, 0.0, 1), {}, "float32"),
    ("mask_along_axis-p", "functional", "mask_along_axis", None, lambda: (_spec(), 30, 0.5, 2), dict(p=0.5), "float32"),
    ("mask_along_axis_iid", "functional", "mask_along_axis_iid", None, lambda: (_spec((2, 3, 201, 12)), 30, 0.0, 3), {}, "float32"),
    ("dither", "functional", "dither", None, lambda: (_wave(),), {}, "float32"),
    ("dither-RPDF-shaped", "functional", "dither", None, lambda: (_wave(),), dict(density_function="RPDF", noise_shaping=True), "float32"),
    # ---- transforms
    ("AddNoise", "transforms", "AddNoise", ((), {}), lambda: (_wave(), _wave(seed=9), torch.tensor([3.0, 10.0])), {}, "float32"),
    ("AmplitudeToDB", "transforms", "AmplitudeToDB", ((), {}), lambda: (_spec(),), {}, "float32_db"),
    ("AmplitudeToDB-mag", "transforms", "AmplitudeToDB", (("magnitude", 50.0), {}), lambda: (_spec(),), {}, "float32_db"),
    ("ComputeDeltas", "transforms", "ComputeDeltas", ((), {}), lambda: (_spec(),), {}, "float32"),
    ("Convolve", "transforms", "Convolve", ((), {"mode": "valid"}), lambda: (_wave(), _wave(n=30, seed=4)), {}, "float32_fft"),
    ("FFTConvolve", "transforms", "FFTConvolve", ((), {}), lambda: (_wave(), _wave(n=30, seed=4)), {}, "float32_fft"),
    ("Deemphasis", "transforms", "Deemphasis", ((), {}), lambda: (3 * _wave(**_F64),), {}, "lfilter64_peak"),
    ("Preemphasis", "transforms", "Preemphasis", ((0.8,), {}), lambda: (_wave(),), {}, "float32"),
    ("Fade", "transforms", "Fade", ((100, 50, "exponential"), {}), lambda: (_wave(),), {}, "float32"),
    ("Fade-log", "transforms", "Fade", ((100, 50, "logarithmic"), {}), lambda: (_wave(),), {}, "float32"),
    ("GriffinLim", "transforms", "GriffinLim", ((), {"n_fft": 400, "n_iter": 4, "rand_init": False}), lambda: (_spec((1, 201, 6)),), {}, "float32_fft"),
    ("InverseSpectrogram", "transforms", "InverseSpectrogram", ((), {"n_fft": 400}), lambda: (_cspec((2, 201, 8)),), {}, "float32_fft"),
    ("LFCC", "transforms", "LFCC", ((), {"sample_rate": SR, "n_filter": 64}), lambda: (_wave(n=2000),), {}, "float32_db"),
    ("Loudness", "transforms", "Loudness", ((SR,), {}), lambda: (_wave(n=SR),), {}, "float32_db"),
    ("MFCC", "transforms", "MFCC", ((), {"sample_rate": SR}), lambda: (_wave(n=2000),), {}, "float32_db"),
    ("MFCC-log-mels", "transforms", "MFCC", ((), {"sample_rate": SR, "log_mels": True, "melkwargs": {"n_mels": 40}}), lambda: (_wave(n=2000),), {}, "float32_db"),
    ("MelScale", "transforms", "MelScale", ((), {"n_mels": 40, "sample_rate": SR, "n_stft": 201}), lambda: (_spec(),), {}, "float32_fft"),
    ("MelSpectrogram", "transforms", "MelSpectrogram", ((), {"sample_rate": SR}), lambda: (_wave(n=2000),), {}, "float32_fft"),
    ("MelSpectrogram-slaney", "transforms", "MelSpectrogram", ((), {"sample_rate": SR, "n_fft": 512, "n_mels": 64, "norm": "slaney", "mel_scale": "slaney", "power": 1.0}), lambda: (_wave(n=2000),), {}, "float32_fft"),
    ("MuLawEncoding", "transforms", "MuLawEncoding", ((), {}), lambda: (_wave(),), {}, None),
    ("MuLawDecoding", "transforms", "MuLawDecoding", ((), {}), lambda: (torch.randint(0, 256, (2, 50)),), {}, "float32"),
    ("PSD", "transforms", "PSD", ((), {}), lambda: (_cspec((3, 9, 20)),), {}, "float32_fft"),
    ("SoudenMVDR", "transforms", "SoudenMVDR", ((), {}), lambda: (_cspec((3, 9, 20)), _psd(seed=4), _psd(seed=5), 0), {}, "float32_fft"),
    ("RTFMVDR", "transforms", "RTFMVDR", ((), {}), lambda: (_cspec((3, 9, 20)), _cspec((9, 3), seed=6), _psd(seed=5), 0), {}, "float32_fft"),
    ("MVDR", "transforms", "MVDR", ((), {}), lambda: (_cspec((3, 9, 20)), torch.rand(9, 20), torch.rand(9, 20)), {}, "float32_fft"),
    ("PitchShift", "transforms", "PitchShift", ((SR, 4), {}), lambda: (_wave(n=4000),), {}, "float32_accumulated"),
    ("Resample", "transforms", "Resample", ((SR, 22050), {}), lambda: (_wave(n=1000),), {}, "dsp32"),
    ("SlidingWindowCmn", "transforms", "SlidingWindowCmn", ((), {"cmn_window": 30}), lambda: (_spec((2, 50, 13)),), {}, "float32"),
    ("SpectralCentroid", "transforms", "SpectralCentroid", ((SR,), {}), lambda: (_wave(n=2000),), {}, "float32_fft"),
    ("Spectrogram", "transforms", "Spectrogram", ((), {}), lambda: (_wave(n=2000),), {}, "float32_fft"),
    ("Spectrogram-options", "transforms", "Spectrogram", ((), {"n_fft": 256, "hop_length": 64, "normalized": True, "center": False, "power": 1.0}), lambda: (_wave(n=2000),), {}, "float32_fft"),
    ("Speed", "transforms", "Speed", ((SR, 0.9), {}), lambda: (_wave(n=1000),), {}, "dsp32"),
    ("TimeStretch", "transforms", "TimeStretch", ((), {"n_freq": 201, "fixed_rate": 0.8}), lambda: (_cspec((2, 201, 10)),), {}, "float32_fft"),
    ("Vad", "transforms", "Vad", ((SR,), {}), lambda: (torch.cat([torch.zeros(2, 3000), _wave(n=6000)], -1),), {}, "float32"),
    ("Vol", "transforms", "Vol", ((2.0,), {}), lambda: (_wave(),), {}, "float32"),
    ("Vol-db", "transforms", "Vol", ((-3.0, "db"), {}), lambda: (_wave(),), {}, "float32"),
    # random transforms: same seed, same draw
    ("FrequencyMasking", "transforms", "FrequencyMasking", ((30,), {}), lambda: (_spec(),), {}, "float32"),
    ("FrequencyMasking-iid", "transforms", "FrequencyMasking", ((30, True), {}), lambda: (_spec((2, 3, 201, 12)),), {}, "float32"),
    ("TimeMasking", "transforms", "TimeMasking", ((5,), {"p": 0.8}), lambda: (_spec(),), {}, "float32"),
    ("SpecAugment", "transforms", "SpecAugment", ((2, 3, 30, 5), {}), lambda: (_spec(),), {}, "float32"),
    ("SpeedPerturbation", "transforms", "SpeedPerturbation", ((SR, [0.9, 1.0, 1.1]), {}), lambda: (_wave(n=1000),), {}, "dsp32"),
]


def _call(module, kind, name, ctor, inputs, kwargs, seed=123):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        target = getattr(getattr(module, kind), name)
        if ctor is not None:
            target = target(*ctor[0], **ctor[1])
        torch.manual_seed(seed)
        return target(*inputs(), **kwargs)


def _compare(ours, ref, tolerance, label):
    if isinstance(ref, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(ref), label
        for i, (o, r) in enumerate(zip(ours, ref)):
            _compare(o, r, tolerance, f"{label}[{i}]")
    elif isinstance(ref, torch.Tensor):
        assert isinstance(ours, torch.Tensor) and ours.shape == ref.shape and ours.dtype == ref.dtype, (
            f"{label}: {getattr(ours, 'shape', ours)} {getattr(ours, 'dtype', '')} vs {ref.shape} {ref.dtype}"
        )
        if tolerance is None or not ref.is_floating_point() and not ref.is_complex():
            assert torch.equal(ours, ref), label
        else:
            torch.testing.assert_close(ours, ref, **tol(tolerance), msg=lambda m: f"{label}: {m}")
    elif hasattr(ref, "__dataclass_fields__"):  # TokenSpan
        for field in ref.__dataclass_fields__:
            _compare(getattr(ours, field), getattr(ref, field), tolerance or "float32", f"{label}.{field}")
    elif isinstance(ref, float):
        assert ours == pytest.approx(ref, rel=1e-5, abs=1e-6), label
    else:
        assert ours == ref, label


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_torchaudio(case, torchaudio28):
    label, kind, name, ctor, inputs, kwargs, tolerance = case
    ref = _call(torchaudio28, kind, name, ctor, inputs, kwargs)
    ours = _call(torchsound, kind, name, ctor, inputs, kwargs)
    _compare(ours, ref, tolerance, label)


def test_every_public_name_is_audited_or_listed(torchaudio28):
    covered = {f"{kind}.{name}" for _, kind, name, *_ in CASES}
    expected = {f"functional.{n}" for n in torchaudio28.functional.__all__} | {
        f"transforms.{n}" for n in torchaudio28.transforms.__all__
    }
    missing = sorted(expected - covered - set(SKIPPED))
    assert not missing, f"names of torchaudio 2.8 neither compared nor listed in SKIPPED: {missing}"
    assert not covered & set(SKIPPED), "a name is both compared and skipped"
    assert set(SKIPPED) <= expected, sorted(set(SKIPPED) - expected)


def test_readme_lists_the_deliberate_differences():
    """The README's differences section names every deliberate row of SKIPPED (one table, two places)."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("Where torchsound differs from torchaudio", 1)[1]
    for key, reason in SKIPPED.items():
        if reason.startswith("deliberate"):
            assert key.split(".", 1)[1] in section, key
