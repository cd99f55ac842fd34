"""utils.sox_utils and utils.ffmpeg_utils: honest answers, checked against PyAV and against what load/save do."""

import av
import pytest
import torch

import torchsound
from conftest import make_noise
from torchsound.utils import ffmpeg_utils, sox_utils


def test_ffmpeg_utils_answer_from_pyav():
    assert ffmpeg_utils.get_versions() == {k: tuple(v) for k, v in av.library_versions.items()}
    decoders, encoders = ffmpeg_utils.get_audio_decoders(), ffmpeg_utils.get_audio_encoders()
    assert {"flac", "aac", "pcm_s16le"} <= set(decoders) and {"flac", "aac", "libmp3lame"} <= set(encoders)
    assert "h264" not in decoders  # audio only
    assert {"wav", "mp3", "ogg", "flac"} <= set(ffmpeg_utils.get_muxers()) and "wav" in ffmpeg_utils.get_demuxers()
    # Devices are FFmpeg's own (checked in test_playback_ffmpeg_utils.py); formats and devices do not overlap.
    assert not set(ffmpeg_utils.get_output_devices()) & set(ffmpeg_utils.get_muxers())
    before = ffmpeg_utils.get_log_level()
    try:
        ffmpeg_utils.set_log_level(16)
        assert ffmpeg_utils.get_log_level() == 16
    finally:
        ffmpeg_utils.set_log_level(before)
    with pytest.raises(ValueError, match="log_level"):
        ffmpeg_utils.set_log_level(17)


def test_sox_utils_effects_are_ours():
    assert sorted(sox_utils.list_effects()) == torchsound.sox_effects.effect_names()


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "ogg", "opus", "aiff", "m4a"])
def test_listed_formats_really_round_trip(tmp_path, fmt):
    assert fmt in sox_utils.list_write_formats() and fmt in sox_utils.list_read_formats()
    x = make_noise(1, 0.05, 48000)
    torchsound.save(tmp_path / f"x.{fmt}", x, 48000)
    y, sr = torchsound.load(tmp_path / f"x.{fmt}")
    assert sr == 48000 and y.shape[0] == 1 and y.shape[1] >= x.shape[1]


def test_sox_utils_settings():
    sox_utils.set_buffer_size(16384)
    assert sox_utils.get_buffer_size() == 16384
    sox_utils.set_buffer_size(8192)
    with pytest.raises(ValueError, match="buffer_size"):
        sox_utils.set_buffer_size(0)
    sox_utils.set_seed(3)
    a = torch.rand(4)
    sox_utils.set_seed(3)
    assert torch.equal(a, torch.rand(4))
    sox_utils.set_verbosity(0)
    sox_utils.set_use_threads(True)
