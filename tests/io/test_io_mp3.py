"""MP3 is sample-accurate: encoder delay and padding removed; info's frame count equals the decoded length.

Files come from two encoders (libsndfile's LAME and FFmpeg's libmp3lame through PyAV) and are checked
against the source signal and against PyAV's and libsndfile's own decoders.
"""

import io

import av
import numpy as np
import pytest
import soundfile
import torch

import torchsound
from conftest import make_sweep, make_tone, snr_db, tol


def _encode_pyav(x: np.ndarray, sample_rate: int) -> bytes:
    """MP3 bytes from PyAV's libmp3lame: x is (channels, time) float32."""
    buf = io.BytesIO()
    layout = "mono" if x.shape[0] == 1 else "stereo"
    with av.open(buf, "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=sample_rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x), format="fltp", layout=layout)
        frame.sample_rate = sample_rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def _encode_soundfile(x: np.ndarray, sample_rate: int) -> bytes:
    buf = io.BytesIO()
    soundfile.write(buf, x.T, sample_rate, format="MP3")
    return buf.getvalue()


def _decode_pyav(data: bytes) -> np.ndarray:
    with av.open(io.BytesIO(data)) as container:
        return np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)


def _best_lag(y: np.ndarray, x: np.ndarray, max_lag: int = 1500) -> int:
    """The shift of y against x that matches best (0 when the encoder delay is removed)."""
    n = min(len(x), len(y)) - 2 * max_lag
    errors = [np.mean((y[max_lag + lag : max_lag + lag + n] - x[max_lag : max_lag + n]) ** 2) for lag in range(-max_lag, max_lag + 1)]
    return int(np.argmin(errors)) - max_lag


@pytest.mark.parametrize("encoder", ["soundfile", "pyav"])
@pytest.mark.parametrize("sample_rate,channels,extra", [(44100, 2, 123), (16000, 1, 1), (8000, 1, 577)])
def test_mp3_is_sample_accurate(tmp_path, encoder, sample_rate, channels, extra):
    n = sample_rate // 2 + extra
    x = make_sweep(1.0, sample_rate, f0=100, f1=3000).float()[:, :n].repeat(channels, 1).numpy()  # no periodicity: one best lag
    data = (_encode_soundfile if encoder == "soundfile" else _encode_pyav)(x, sample_rate)
    path = tmp_path / "x.mp3"
    path.write_bytes(data)
    meta = torchsound.info(path)
    y, sr = torchsound.load(path)
    assert (meta.sample_rate, meta.num_channels, meta.encoding, meta.bits_per_sample) == (sample_rate, channels, "MP3", 0)
    assert meta.num_frames == y.shape[-1] == n
    assert _best_lag(y[0].numpy(), x[0]) == 0
    assert snr_db(x, y.numpy()) > 15
    # the same samples as the two reference decoders, also when loaded from bytes
    ref_av = _decode_pyav(data)
    assert ref_av.shape == y.shape
    torch.testing.assert_close(y, torch.from_numpy(ref_av), **tol("mp3_decoders"))
    ref_sf = soundfile.read(str(path), dtype="float32", always_2d=True)[0].T
    # (mpg123 may round the last bit differently between runs of its SIMD synthesis)
    torch.testing.assert_close(torchsound.load(data)[0], torch.from_numpy(ref_sf.copy()), **tol("float32"))


def test_mp3_frame_offset(tmp_path):
    x = make_tone(300, 1.0, 16000).float().numpy()
    data = _encode_soundfile(x, 16000)
    full, _ = torchsound.load(data)
    part, _ = torchsound.load(data, frame_offset=5000, num_frames=3000)
    assert part.shape == (1, 3000)
    torch.testing.assert_close(part, full[:, 5000:8000], rtol=0, atol=1e-4)


@pytest.mark.parametrize("sample_rate", [44100, 16000, 8000])
def test_untagged_mp3_info_counts_frames_like_the_decoders(sample_rate):
    # At the lowest bit rates LAME has no room for its Info tag; libsndfile then only estimates
    # the length, while decoders return every frame: info must count what load returns.
    x = make_sweep(0.5, sample_rate, f0=100, f1=2000).float().numpy()
    buf = io.BytesIO()
    soundfile.write(buf, x.T, sample_rate, format="MP3", compression_level=0.95, bitrate_mode="CONSTANT")
    data = buf.getvalue()
    assert b"Info" not in data[:400] and b"Xing" not in data[:400]
    meta = torchsound.info(data)
    assert meta.num_frames == torchsound.load(data)[0].shape[-1] == _decode_pyav(data).shape[1]


def test_truncated_tagged_mp3_info_fails():
    x = make_sweep(0.5, 44100, f0=100, f1=2000).float().numpy()
    data = _encode_soundfile(x, 44100)
    cut = data[: len(data) * 3 // 4]
    with pytest.raises(torchsound.io._source.AudioFileError, match=r"buffer>: MP3 tag says the stream has \d+ bytes .*truncated"):
        torchsound.info(cut)


def test_damaged_mp3_decodes_past_the_damage_like_ffmpeg():
    # A Xing tag whose frame count was damaged: libsndfile trusts it and stops silently after those
    # frames; load hands a stream whose headers don't add up to FFmpeg, and info counts the same.
    x = make_sweep(1.0, 16000, f0=100, f1=3000).float().numpy()
    data = bytearray(_encode_soundfile(x, 16000))
    at = data.index(b"Xing") + 8
    data[at : at + 4] = (5).to_bytes(4, "big")  # 5 MPEG frames, of ~30
    data = bytes(data)
    short = soundfile.read(io.BytesIO(data), dtype="float32")[0]
    reference = _decode_pyav(data)
    waveform, _ = torchsound.load(data)
    assert len(short) < waveform.shape[1] == reference.shape[1] >= 15000
    torch.testing.assert_close(waveform, torch.from_numpy(reference), rtol=0, atol=0)
    assert torchsound.info(data).num_frames == waveform.shape[1]
    # asked for by name, libsndfile still decodes it, and info still counts what load returns
    by_soundfile, _ = torchsound.load(data, backend="soundfile")
    assert by_soundfile.shape[1] == len(short) == torchsound.info(data, backend="soundfile").num_frames
