"""vad against the sox binary; mu-law against its closed form; apply_codec against soundfile."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import soundfile
import torch
from _dsp_oracle import sox
from _harness import check_all, check_module_equals_functional
from conftest import snr_db

import torchsound.functional as F
import torchsound.transforms as T


def _with_lead_in(speech, seconds):
    wav, sr = speech
    noise = torch.randn(1, int(seconds * sr), generator=torch.Generator().manual_seed(3)) * 0.002
    return torch.cat([noise, wav[:, :40000]], dim=-1), sr


@pytest.mark.parametrize("lead", [0.0, 0.5, 1.5])
@pytest.mark.parametrize("args", [{}, {"trigger_level": 5.0, "pre_trigger_time": 0.1}, {"allowed_gap": 0.1, "search_time": 0.5}])
def test_vad_matches_sox_binary(speech, lead, args):
    x, sr = _with_lead_in(speech, lead)
    flags = {"trigger_level": "-t", "pre_trigger_time": "-p", "allowed_gap": "-g", "search_time": "-s"}
    effect = ["vad"] + [item for k, v in args.items() for item in (flags[k], str(v))]
    expected = sox(x, sr, *effect)
    got = F.vad(x, sr, **args)
    assert got.shape[-1] == expected.shape[-1]
    torch.testing.assert_close(got.double(), torch.from_numpy(expected), rtol=0, atol=1e-7)
    check_module_equals_functional(T.Vad(sr, **args), lambda w: F.vad(w, sr, **args), x)


def test_vad_multichannel_silence_and_errors(speech):
    x, sr = _with_lead_in(speech, 0.5)
    stereo = torch.cat([x, x.roll(800, -1) * 0.5])
    expected = sox(stereo, sr, "vad")
    assert F.vad(stereo, sr).shape == expected.shape
    assert F.vad(x[0], sr).shape[-1] == F.vad(x, sr).shape[-1]  # 1-D input
    assert F.vad(torch.zeros(1, 16000), sr).shape == (1, 0)  # never triggers
    assert F.vad(torch.zeros(1, 10), sr).shape == (1, 0)
    check_all(lambda w: F.vad(w, sr), x[:, :24000].reshape(1, 1, -1), low_precision=False)
    with pytest.raises(ValueError, match="lifter"):
        F.vad(x, sr, hp_lifter_freq=3000.0, lp_lifter_freq=2000.0)
    with pytest.raises(ValueError, match="sample_rate"):
        F.vad(x, 0)
    with pytest.raises(TypeError, match="waveform"):
        F.vad(torch.ones(1, 100, dtype=torch.int16), sr)


def test_mu_law_closed_form_and_round_trip():
    x = torch.linspace(-1, 1, 2001, dtype=torch.float64)
    mu = 255.0
    expected = np.floor((np.sign(x.numpy()) * np.log1p(mu * np.abs(x.numpy())) / np.log1p(mu) + 1) / 2 * mu + 0.5)
    encoded = F.mu_law_encoding(x, 256)
    assert encoded.dtype == torch.int64
    np.testing.assert_array_equal(encoded.numpy(), expected)
    decoded = F.mu_law_decoding(encoded, 256)
    # quantisation error is at most half a step of the companded scale
    assert (decoded - x).abs().max() < 0.035
    torch.testing.assert_close(F.mu_law_decoding(F.mu_law_encoding(x, 65536), 65536).double(), x, rtol=0, atol=2e-3)
    check_module_equals_functional(T.MuLawEncoding(256), lambda w: F.mu_law_encoding(w, 256), x)
    check_module_equals_functional(T.MuLawDecoding(256), lambda w: F.mu_law_decoding(w, 256), encoded)
    check_all(lambda w: F.mu_law_decoding(w, 256), torch.rand(3, 1, 50) * 255, grad_input=torch.rand(1, 20) * 255)
    check_all(lambda w: F.mu_law_encoding(w, 256), torch.rand(3, 1, 50) * 2 - 1, expect_dtype=torch.int64, low_precision=False)
    with pytest.raises(TypeError, match="x"):
        F.mu_law_encoding(torch.ones(3, dtype=torch.int32), 256)
    with pytest.raises(ValueError, match="quantization_channels"):
        T.MuLawEncoding(1)


def _soundfile_round_trip(x, sr, subtype):
    buf = io.BytesIO()
    soundfile.write(buf, x.t().numpy(), sr, format="WAV", subtype=subtype)
    buf.seek(0)
    data, _ = soundfile.read(buf, dtype="float64", always_2d=True)
    return torch.from_numpy(data.T.copy())


def _tones(sr=16000, seconds=1.0):
    t = torch.arange(int(sr * seconds), dtype=torch.float64) / sr
    return torch.stack([0.5 * torch.sin(2 * math.pi * 440 * t), 0.3 * torch.sin(2 * math.pi * 660 * t + 1)]).float()


def test_apply_codec_lossless_matches_soundfile():
    x = _tones()
    torch.testing.assert_close(F.apply_codec(x, 16000, "wav"), x, rtol=0, atol=0)
    pcm16 = F.apply_codec(x, 16000, "wav", encoding="PCM_S", bits_per_sample=16)
    torch.testing.assert_close(pcm16.double(), _soundfile_round_trip(x, 16000, "PCM_16"), rtol=0, atol=1 / 32768)
    flac = F.apply_codec(x, 16000, "flac", compression=5)
    torch.testing.assert_close(flac, pcm16, rtol=0, atol=0)
    ulaw = F.apply_codec(x, 16000, "wav", encoding="ULAW")
    # G.711 is the same table; the float -> 16-bit rounding before it differs by at most one code.
    reference = _soundfile_round_trip(x, 16000, "ULAW")
    torch.testing.assert_close(ulaw.double(), reference, rtol=0, atol=1 / 32)
    assert (ulaw.double() == reference).double().mean() > 0.9
    assert F.apply_codec(x.t().contiguous(), 16000, "wav", channels_first=False).shape == (16000, 2)


@pytest.mark.parametrize("fmt,min_snr", [("mp3", 15.0), ("ogg", 15.0), ("opus", 10.0), ("aac", 10.0)])
def test_apply_codec_lossy_round_trip(fmt, min_snr):
    x = _tones()
    y = F.apply_codec(x, 16000, fmt)
    assert y.shape[0] == 2 and y.dtype == x.dtype
    # Align (encoder delay) by cross-correlation on the first channel, then compare.
    ref, est = x[0].double().numpy(), y[0].double().numpy()
    corr = np.correlate(est[:12000], ref[2000:6000], mode="valid")
    shift = int(np.argmax(corr)) - 2000
    n = min(len(ref), len(est) - shift) - 2000
    assert snr_db(ref[2000:n], est[2000 + shift : n + shift]) > min_snr


def test_apply_codec_bad_arguments():
    x = _tones(seconds=0.1)
    with pytest.raises(ValueError, match="format"):
        F.apply_codec(x, 16000, "xyz")
    with pytest.raises(ValueError, match="encoding"):
        F.apply_codec(x, 16000, "wav", encoding="PCM_X")
    with pytest.raises(ValueError, match="WAV only"):
        F.apply_codec(x, 16000, "mp3", encoding="PCM_S")
    with pytest.raises(TypeError, match="waveform"):
        F.apply_codec(torch.ones(1, 10, dtype=torch.int16), 16000, "wav")
    with pytest.raises(ValueError, match="sample_rate"):
        F.apply_codec(x, 0, "wav")
