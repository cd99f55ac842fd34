"""Names torchaudio 2.8 has: exp_sigmoid, load/save_with_torchcodec, get_video_decoders/encoders."""

import importlib
import inspect

import av
import pytest
import soundfile
import torch

import torchsound
from conftest import make_noise, tol
from torchsound.prototype.functional import exp_sigmoid


def _theirs(torchaudio28):
    # the fixture put the oracle on sys.path; its prototype package is imported on demand
    return importlib.import_module("torchaudio.prototype.functional").exp_sigmoid


@pytest.mark.parametrize("kwargs", [{}, {"exponent": 3.0, "max_value": 1.0, "threshold": 1e-3}])
def test_exp_sigmoid_matches_torchaudio(torchaudio28, dtype, kwargs):
    x = torch.linspace(-20, 20, 401, dtype=dtype).reshape(1, 401)
    ours = exp_sigmoid(x, **kwargs)
    theirs = _theirs(torchaudio28)(x, **kwargs)
    assert ours.dtype == dtype and ours.shape == x.shape
    torch.testing.assert_close(ours, theirs, **tol("float64" if dtype == torch.float64 else "float32"))


def test_exp_sigmoid_signature_and_gradient(torchaudio28):
    assert inspect.signature(exp_sigmoid) == inspect.signature(_theirs(torchaudio28))
    x = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: exp_sigmoid(t, 5.0), (x,))


@pytest.mark.parametrize("name", ["load_with_torchcodec", "save_with_torchcodec"])
def test_torchcodec_names_have_torchaudios_signature(torchaudio28, name):
    ours, theirs = inspect.signature(getattr(torchsound, name)), inspect.signature(getattr(torchaudio28, name))
    assert [(p.name, p.default, p.kind) for p in ours.parameters.values()] == \
        [(p.name, p.default, p.kind) for p in theirs.parameters.values()]


def test_load_with_torchcodec_reads_float32(tmp_path):
    x = make_noise(2, 0.2, 16000)
    soundfile.write(tmp_path / "a.wav", x.T.numpy(), 16000, subtype="PCM_16")
    ref = torch.from_numpy(soundfile.read(tmp_path / "a.wav", dtype="float32")[0].T.copy())
    got, sr = torchsound.load_with_torchcodec(tmp_path / "a.wav", normalize=False)  # TorchCodec ignores normalize
    assert sr == 16000 and got.dtype == torch.float32
    torch.testing.assert_close(got, ref, rtol=0, atol=0)
    part, _ = torchsound.load_with_torchcodec(tmp_path / "a.wav", frame_offset=10, num_frames=50, channels_first=False)
    torch.testing.assert_close(part, ref[:, 10:60].T, rtol=0, atol=0)


def test_save_with_torchcodec_writes_the_file(tmp_path):
    x = make_noise(1, 0.2, 16000)[0]  # 1D: mono, as TorchCodec accepts
    torchsound.save_with_torchcodec(tmp_path / "a.flac", x, 16000)
    data, sr = soundfile.read(tmp_path / "a.flac", dtype="float32")
    assert sr == 16000
    torch.testing.assert_close(torch.from_numpy(data), x, rtol=0, atol=1 / 32768)


@pytest.mark.parametrize("mode,getter", [("r", "get_video_decoders"), ("w", "get_video_encoders")])
def test_video_codecs_come_from_pyav(mode, getter):
    from torchsound.utils import ffmpeg_utils

    codecs = getattr(ffmpeg_utils, getter)()
    audio = ffmpeg_utils.get_audio_decoders() if mode == "r" else ffmpeg_utils.get_audio_encoders()
    assert "mpeg4" in codecs and not set(codecs) & set(audio)
    for name, description in codecs.items():
        codec = av.codec.Codec(name, mode)
        assert codec.type == "video" and description == codec.long_name
