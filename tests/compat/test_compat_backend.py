"""torchaudio 2.8's deprecated backend modules and backend names, against torchaudio 2.8's own soundfile backend.

torchaudio 2.8's ``torchaudio._backend.soundfile_backend`` is pure Python over the soundfile package, so the
oracle runs it here: our ``torchaudio.backend.*`` forwarding must give what it gives.
"""

import warnings

import pytest
import soundfile
import torch

import torchsound
from conftest import make_noise
from torchsound.compat.backend import common, soundfile_backend, sox_io_backend


@pytest.fixture
def oracle_sf(torchaudio28):
    from importlib import import_module

    return import_module("torchaudio._backend.soundfile_backend")


@pytest.fixture
def files(tmp_path):
    x = make_noise(2, 0.25, 16000)
    paths = {}
    for name, sub in [("a.wav", "PCM_16"), ("b.flac", "PCM_24"), ("c.wav", "PCM_24")]:
        path = tmp_path / name
        soundfile.write(path, x.T.numpy(), 16000, subtype=sub)
        paths[name] = path
    return paths


@pytest.mark.parametrize("module", [soundfile_backend, sox_io_backend], ids=["soundfile_backend", "sox_io_backend"])
@pytest.mark.parametrize("name", ["a.wav", "b.flac", "c.wav"])
@pytest.mark.parametrize("kwargs", [{}, {"frame_offset": 100, "num_frames": 1000}, {"channels_first": False}])
def test_deprecated_load_matches_torchaudio_soundfile_backend(module, name, kwargs, files, oracle_sf):
    with pytest.warns(UserWarning, match="deprecated"):
        ours, sr = module.load(files[name], **kwargs)
    theirs, their_sr = oracle_sf.load(files[name], **kwargs)
    assert sr == their_sr
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


def test_deprecated_load_int16_and_info_match_torchaudio(files, oracle_sf):
    with pytest.warns(UserWarning, match="deprecated"):
        ours, _ = soundfile_backend.load(files["a.wav"], normalize=False)
    theirs, _ = oracle_sf.load(files["a.wav"], normalize=False)
    assert ours.dtype == theirs.dtype == torch.int16
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
    for name in files:
        with pytest.warns(UserWarning, match="deprecated"):
            meta = soundfile_backend.info(files[name])
        ref = oracle_sf.info(str(files[name]))
        fields = ("sample_rate", "num_frames", "num_channels", "bits_per_sample", "encoding")
        assert [getattr(meta, f) for f in fields] == [getattr(ref, f) for f in fields]


@pytest.mark.parametrize("module", [soundfile_backend, sox_io_backend], ids=["soundfile_backend", "sox_io_backend"])
def test_deprecated_save_writes_what_torchaudio_writes(module, tmp_path, oracle_sf):
    x = make_noise(2, 0.1, 8000)
    with pytest.warns(UserWarning, match="deprecated"):
        module.save(tmp_path / "ours.wav", x, 8000, encoding="PCM_S", bits_per_sample=16)
    oracle_sf.save(tmp_path / "theirs.wav", x, 8000, encoding="PCM_S", bits_per_sample=16)
    (ours, sr), (theirs, their_sr) = (soundfile.read(tmp_path / f, dtype="int16") for f in ("ours.wav", "theirs.wav"))
    assert sr == their_sr and ours.shape == theirs.shape
    # Within one step: torchaudio's soundfile backend lets libsndfile scale by 32767, torchsound scales by 32768
    # as torchaudio's default (FFmpeg) backend does.
    assert abs(ours.astype(int) - theirs.astype(int)).max() <= 1


def test_common_audiometadata_moved():
    with pytest.warns(UserWarning, match="moved to torchaudio.AudioMetaData"):
        assert common.AudioMetaData is torchsound.AudioMetaData
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        common.nope  # noqa: B018


def test_top_level_backend_attribute_is_the_deprecated_package():
    assert torchsound.backend is torchsound.compat.backend
    assert torchsound.backend.soundfile_backend is soundfile_backend


def test_list_audio_backends_uses_torchaudio_names_and_order():
    # torchaudio 2.8 lists its backends as ffmpeg, sox, soundfile (those available): we have no libsox.
    assert torchsound.list_audio_backends() == ["ffmpeg", "soundfile"]


@pytest.mark.parametrize("name", ["sox", "sox_io"])
def test_sox_backend_names_choose_by_format_with_one_warning(name, files, tmp_path):
    expected, _ = torchsound.load(files["b.flac"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, sr = torchsound.load(files["b.flac"], backend=name)
    assert [str(w.message) for w in caught if "libsox" in str(w.message)].__len__() == 1
    assert sr == 16000
    torch.testing.assert_close(got, expected, rtol=0, atol=0)
    with pytest.warns(UserWarning, match="no libsox"):
        assert torchsound.info(files["b.flac"], backend=name).num_frames == expected.shape[1]
    with pytest.warns(UserWarning, match="no libsox"):
        torchsound.save(tmp_path / "x.flac", expected, 16000, backend=name)
    data, _ = soundfile.read(tmp_path / "x.flac", dtype="float32", always_2d=True)
    torch.testing.assert_close(torch.from_numpy(data.T.copy()), expected, rtol=0, atol=1 / 32768)


def test_set_audio_backend_accepts_torchaudio_names():
    try:
        torchsound.set_audio_backend("soundfile")
        assert torchsound.get_audio_backend() == "soundfile"
        with pytest.warns(UserWarning, match="no libsox"):
            torchsound.set_audio_backend("sox_io")
        assert torchsound.get_audio_backend() is None
    finally:
        torchsound.set_audio_backend(None)
    with pytest.raises(ValueError, match=r"backend must be one of .*'sox_io'.*got 'libsox'"):
        torchsound.set_audio_backend("libsox")
