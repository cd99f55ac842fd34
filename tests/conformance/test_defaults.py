"""Defaults follow torchaudio 2.8's definitions (issue 13): Fade's curves, deemphasis' clamp, Kaldi features' rounding.

Every expected value comes from the torchaudio 2.8 oracle run on the same input.
"""

from __future__ import annotations

import itertools

import pytest
import torch
from conftest import make_noise, tol

import torchsound
import torchsound.functional as F
import torchsound.transforms as T

# ----------------------------------------------------------------------------- Fade


@pytest.mark.parametrize("shape", ["linear", "exponential", "logarithmic", "quarter_sine", "half_sine"])
@pytest.mark.parametrize("fade_in, fade_out", [(300, 200), (0, 500), (1000, 0), (1, 1)])
def test_fade_matches_torchaudio(shape, fade_in, fade_out, torchaudio28):
    waveform = make_noise(2, 1000 / 16000)
    ours = T.Fade(fade_in, fade_out, shape)(waveform)
    ref = torchaudio28.transforms.Fade(fade_in, fade_out, shape)(waveform)
    torch.testing.assert_close(ours, ref, **tol("float32"))


def test_fade_exponential_float64_matches_torchaudio(torchaudio28):
    """float64 audio: torchaudio's curve is float32 (torch.linspace default); ours follows the input's dtype."""
    waveform = torch.ones(1, 800, dtype=torch.float64)
    ours = T.Fade(500, 300, "exponential")(waveform)
    ref = torchaudio28.transforms.Fade(500, 300, "exponential")(waveform)
    torch.testing.assert_close(ours, ref, **tol("float32"))
    assert ours[0, 0] == 0 and ours[0, -1] == 0  # the curve reaches 0 at both ends, as 2^(t-1) * t does


# ----------------------------------------------------------------------------- deemphasis


@pytest.mark.parametrize("coeff", [0.97, 0.5])
def test_deemphasis_clamps_like_torchaudio(coeff, torchaudio28):
    """Loud input: torchaudio's lfilter clamps to [-1, 1] by default, so its deemphasis does too."""
    waveform = 3.0 * make_noise(2, 600 / 16000).double()
    ours = F.deemphasis(waveform, coeff)
    ref = torchaudio28.functional.deemphasis(waveform, coeff)
    assert ref.abs().max() == 1.0  # the input is loud enough for the clamp to act
    torch.testing.assert_close(ours, ref, **tol("float64"))
    torch.testing.assert_close(T.Deemphasis(coeff)(waveform), ref, **tol("float64"))
    # float32: torchaudio recurses in float32 with a float32-rounded coefficient (gain up to 1 / (1 - coeff)).
    ref32 = torchaudio28.functional.deemphasis(waveform.float(), coeff)
    torch.testing.assert_close(F.deemphasis(waveform.float(), coeff), ref32, **tol("dsp32"))


def test_deemphasis_unclamped_option_inverts_preemphasis():
    waveform = 3.0 * make_noise(1, 0.05).double()
    restored = F.deemphasis(F.preemphasis(waveform, 0.9), 0.9, clamp=False)
    torch.testing.assert_close(restored, waveform, **tol("float64"))
    assert F.deemphasis(F.preemphasis(waveform, 0.9), 0.9).abs().max() == 1.0


# ----------------------------------------------------------------------------- compliance.kaldi

_KALDI_OPTIONS = [
    {},
    {"num_mel_bins": 80},
    {"num_mel_bins": 80, "snip_edges": False},
    {"use_energy": True, "htk_compat": True},
    {"use_energy": True, "raw_energy": False, "energy_floor": 0.0},
    {"window_type": "hamming", "preemphasis_coefficient": 0.0, "remove_dc_offset": False},
    {"window_type": "blackman", "round_to_power_of_two": False, "frame_length": 20.0},
    {"window_type": "hanning", "low_freq": 60.0, "high_freq": -400.0, "num_mel_bins": 40},
    {"vtln_warp": 0.9, "num_mel_bins": 40},
    {"sample_frequency": 8000.0, "num_mel_bins": 30, "subtract_mean": True},
    {"use_log_fbank": False, "use_power": False},
]
_FEATURES = {
    "spectrogram": {"num_mel_bins", "use_energy", "htk_compat", "low_freq", "high_freq", "vtln_warp", "use_log_fbank", "use_power"},
    "fbank": set(),
    "mfcc": {"use_log_fbank", "use_power"},
}


def _kaldi_cases():
    for name, options in itertools.product(_FEATURES, _KALDI_OPTIONS):
        kept = {k: v for k, v in options.items() if k not in _FEATURES[name]}
        if kept or not options:
            yield name, kept


_CASES = list(dict.fromkeys((n, tuple(sorted(o.items()))) for n, o in _kaldi_cases()))


def _inputs(speech):
    """The espeak sample at two scales (lhotse feeds int16-range audio) and random clips of several kinds."""
    g = torch.Generator().manual_seed(13)
    yield "speech", speech[0]
    yield "speech_int16_scale", speech[0] * 32768
    yield "noise", torch.rand(1, 7000, generator=g) - 0.5
    yield "quiet_lowpass", torch.cumsum(torch.randn(1, 6000, generator=g), -1) * 1e-4  # brown noise: quiet highs
    yield "tone_plus_dc", torch.sin(torch.arange(5000) * 0.05).unsqueeze(0) * 0.3 + 0.2


@pytest.mark.parametrize("name, options", _CASES, ids=[f"{n}-{dict(o)}" for n, o in _CASES])
def test_kaldi_features_match_torchaudio(name, options, speech, torchaudio28):
    """float32: equal to torchaudio within lhotse's tolerance (rtol 1e-4, atol 1e-5), in quiet bins too."""
    options = dict(options)
    for label, waveform in _inputs(speech):
        ours = getattr(torchsound.compliance.kaldi, name)(waveform, **options)
        ref = getattr(torchaudio28.compliance.kaldi, name)(waveform, **options)
        torch.testing.assert_close(ours, ref, **tol("float32_fft"), msg=lambda m, label=label: f"{label}: {m}")


@pytest.mark.parametrize("name", list(_FEATURES))
def test_kaldi_float64_matches_torchaudio(name, speech, torchaudio28):
    waveform = speech[0][:, :16000].double()
    ours = getattr(torchsound.compliance.kaldi, name)(waveform)
    ref = getattr(torchaudio28.compliance.kaldi, name)(waveform)
    torch.testing.assert_close(ours, ref, **tol("float64"))


@pytest.mark.parametrize("name", list(_FEATURES))
def test_kaldi_precise_option(name, speech, torchaudio28):
    """precise=True: torchsound's float64-built path; within the Kaldi contract of the default, and on speech
    its worst-case error against a float64 computation (torchaudio's code on float64 input) is not larger."""
    waveform = speech[0]
    # mfcc without the lifter: it scales coefficient 10 by ~12, and float32 log-mel rounding (~1e-4) with it.
    options = {"spectrogram": {}, "fbank": {"num_mel_bins": 80}, "mfcc": {"num_mel_bins": 80, "cepstral_lifter": 0.0}}[name]
    fn = getattr(torchsound.compliance.kaldi, name)
    default, precise = fn(waveform, **options), fn(waveform, precise=True, **options)
    if name != "spectrogram":  # (a log power spectrum's quiet bins are float32 rounding noise in both paths)
        torch.testing.assert_close(precise, default, **tol("kaldi"))
    reference = getattr(torchaudio28.compliance.kaldi, name)(waveform.double(), **options)
    assert (precise.double() - reference).abs().max() <= (default.double() - reference).abs().max()


def test_kaldi_batch_equals_loop_in_default_mode(speech):
    """The torchaudio-rounding path keeps batching: a (batch, 1, time) stack equals the per-clip results."""
    clips = torch.stack([speech[0][:, :8000], speech[0][:, 8000:16000] * 0.1, speech[0][:, 16000:24000]])
    batched = torchsound.compliance.kaldi.fbank(clips, num_mel_bins=40)
    for i in range(clips.shape[0]):
        torch.testing.assert_close(batched[i], torchsound.compliance.kaldi.fbank(clips[i], num_mel_bins=40), **tol("float32"))


@pytest.mark.parametrize("name", list(_FEATURES))
def test_kaldi_dither_draws_like_torchaudio(name, torchaudio28):
    """With dither, the same global-generator seed gives torchaudio's noise (same draw shape and order)."""
    waveform = make_noise(1, 0.5)
    torch.manual_seed(5)
    ours = getattr(torchsound.compliance.kaldi, name)(waveform, dither=1.0)
    torch.manual_seed(5)
    ref = getattr(torchaudio28.compliance.kaldi, name)(waveform, dither=1.0)
    torch.testing.assert_close(ours, ref, **tol("float32_fft"))
