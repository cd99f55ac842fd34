"""AudioEffector against FFmpeg run directly (PyAV) and against signal properties."""

import numpy as np
import pytest
import torch

from conftest import make_noise, make_sweep, make_tone, snr_db, tol
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


def _ffmpeg_round_trip(x: torch.Tensor, rate: int, muxer: str, codec: str, option=None) -> torch.Tensor:
    """The reference: FFmpeg's encoder, muxer, demuxer and decoder run by PyAV on a (time, channel) float32 signal."""
    import io

    import av

    layout = {1: "mono", 2: "stereo"}[x.shape[1]]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=muxer) as c:
        s = c.add_stream(codec, rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(x.contiguous().numpy().reshape(1, -1), format="flt", layout=layout)
        frame.sample_rate, frame.pts = rate, 0
        for packet in list(s.encode(frame)) + list(s.encode(None)):
            c.mux(packet)
    with av.open(io.BytesIO(buffer.getvalue()), format=muxer, options=option or {}) as c:
        decoded = np.concatenate([f.to_ndarray().reshape(-1, x.shape[1]) for f in c.decode(audio=0)])
    return torch.from_numpy(decoded.astype(np.float32) / 32768)


def test_g722_headerless_round_trip_equals_ffmpeg():
    # speechbrain's CodecAugment: AudioEffector(format="g722").apply(x, 16000) on (time, 1)
    x = make_sweep(1.0, 16000, f0=100, f1=6000).float().T.contiguous()
    y = AudioEffector(format="g722").apply(x, 16000)
    ref = _ffmpeg_round_trip(x, 16000, "g722", "g722")
    assert y.shape == x.shape and y.dtype == torch.float32
    n = min(len(ref), len(y))
    torch.testing.assert_close(y[:n], ref[:n], rtol=0, atol=0)
    assert y[n:].abs().max() == 0 if n < len(y) else True  # pad_end: silence after the decoded frames


def test_g722_converts_rate_and_channels_for_the_codec():
    # G.722 is 16 kHz mono: other inputs are converted for it and back (torchaudio left FFmpeg to fail)
    tone = make_tone(440.0, 1.0, 8000).float().T.contiguous()
    y = AudioEffector(format="g722").apply(tone, 8000)
    assert y.shape == (8000, 1)
    assert _aligned_snr(tone, y) > 30  # a 440 Hz tone survives G.722 (58 dB measured) once its delay is removed
    stereo = tone.repeat(1, 2)
    y2 = AudioEffector(format="g722").apply(stereo, 8000)
    assert y2.shape == (8000, 2) and torch.equal(y2[:, 0], y2[:, 1])


def _aligned_snr(x: torch.Tensor, y: torch.Tensor) -> float:
    """SNR after removing the codec's delay (found by cross-correlation), in dB."""
    a, b = x[:, 0].numpy(), y[:, 0].numpy()
    lags = range(0, 64)
    best = max(lags, key=lambda k: float(np.dot(a[1000:7000], b[1000 + k : 7000 + k])))
    return snr_db(a[1000:7000], b[1000 + best : 7000 + best])


@pytest.mark.parametrize("fmt", ["mulaw", "alaw"])
def test_raw_g711_round_trip_equals_ffmpeg(fmt):
    # headerless: read back with the same format, given the rate and channels (as torchaudio did)
    x = make_noise(2, 0.25, 8000).T.contiguous()
    y = AudioEffector(format=fmt).apply(x, 8000)
    ref = _ffmpeg_round_trip(x, 8000, fmt, f"pcm_{fmt}", {"sample_rate": "8000", "ch_layout": "stereo"})
    assert y.shape == x.shape
    torch.testing.assert_close(y, ref, rtol=0, atol=0)


def test_vorbis_three_channels_and_opus_at_44khz():
    x = make_sweep(0.5, 16000, f0=100, f1=3000).float().repeat(3, 1).T.contiguous()
    y = AudioEffector(format="ogg", encoder="vorbis").apply(x, 16000)
    assert y.shape == x.shape and snr_db(x.numpy(), y.numpy()) > 10
    x44 = make_sweep(0.5, 44100, f0=100, f1=3000).float().T.contiguous()
    y44 = AudioEffector(format="ogg", encoder="opus").apply(x44, 44100)  # encoded at 48 kHz, back at 44.1 kHz
    assert y44.shape == x44.shape


def test_wav_mulaw_encoder_equals_ffmpeg():
    # speechbrain's CodecAugment "mu-law": AudioEffector(format="wav", encoder="pcm_mulaw")
    x = make_noise(1, 0.5, 8000).T.contiguous()
    y = AudioEffector(format="wav", encoder="pcm_mulaw").apply(x, 8000)
    torch.testing.assert_close(y, _ffmpeg_round_trip(x, 8000, "wav", "pcm_mulaw"), rtol=0, atol=0)
