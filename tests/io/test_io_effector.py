"""AudioEffector against FFmpeg run directly (PyAV) and against signal properties."""

import pytest
import torch

from conftest import make_noise, make_sweep, snr_db, tol
from torchsound.io import AudioEffector, CodecConfig


def test_no_effect_is_identity():
    x = make_noise(2, 0.2, 16000).T.contiguous()
    torch.testing.assert_close(AudioEffector().apply(x, 16000), x, rtol=0, atol=0)


def test_volume_filter_and_dtype_kept():
    x = make_noise(2, 0.2, 16000).T.contiguous()
    y = AudioEffector(effect="volume=0.5").apply(x, 16000)
    torch.testing.assert_close(y, x * 0.5, **tol("float32"))
    x16 = (x * 20000).to(torch.int16)
    y16 = AudioEffector(effect="volume=0.5").apply(x16, 16000)
    assert y16.dtype == torch.int16 and (y16.int() - x16.int() // 2).abs().max() <= 1


def test_tempo_changes_length_and_pad_end():
    x = make_sweep(1.0, 16000, f0=100, f1=2000).float().T.contiguous()
    faster = AudioEffector(effect="atempo=2.0", pad_end=False).apply(x, 16000)
    assert abs(faster.shape[0] - 8000) < 200
    padded = AudioEffector(effect="atempo=2.0").apply(x, 16000)
    assert padded.shape[0] == 16000 and padded[9000:].abs().max() == 0


def test_output_sample_rate_and_stream_equals_apply():
    x = make_sweep(0.5, 16000, f0=100, f1=3000).float().T.contiguous()
    effector = AudioEffector(effect="lowpass=f=1000")
    whole = effector.apply(x, 16000, output_sample_rate=8000)
    chunks = list(effector.stream(x, 16000, 1000, output_sample_rate=8000))
    assert all(c.shape[0] == 1000 for c in chunks[:-1])
    torch.testing.assert_close(torch.cat(chunks), whole, **tol("float32"))


@pytest.mark.parametrize("fmt,config", [("mp3", CodecConfig(bit_rate=96000)), ("ogg", None), ("wav", None)])
def test_codec_round_trip(fmt, config):
    x = make_sweep(0.5, 16000, f0=100, f1=3000).float().repeat(2, 1).T.contiguous()
    y = AudioEffector(format=fmt, codec_config=config).apply(x, 16000)
    assert y.shape[1] == 2 and y.shape[0] >= x.shape[0]
    assert snr_db(x.numpy(), y[: x.shape[0]].numpy()) > (80 if fmt == "wav" else 10)


def test_errors():
    with pytest.raises(ValueError, match="need format"):
        AudioEffector(encoder="libmp3lame")
    with pytest.raises(ValueError, match="2D"):
        AudioEffector().apply(torch.zeros(10), 8000)
    with pytest.raises(ValueError, match="filter_desc"):
        AudioEffector(effect="nosuchfilter").apply(torch.zeros(10, 1), 8000)
