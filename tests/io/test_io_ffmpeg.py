"""The FFmpeg backend (PyAV) against PyAV's own decoder and against the other backends."""

import io
import sys

import av
import numpy as np
import pytest
import torch

import torchsound
from conftest import make_noise, make_sweep, snr_db, tol


def _pyav_encode(x: np.ndarray, sample_rate: int, container_format: str, codec: str, video: bool = False) -> bytes:
    """Encode (channels, time) float32 with PyAV directly (the reference writer); optionally with a video track."""
    buf = io.BytesIO()
    layout = "mono" if x.shape[0] == 1 else "stereo"
    with av.open(buf, "w", format=container_format) as container:
        if video:
            vstream = container.add_stream("mpeg4", rate=10)
            vstream.width, vstream.height, vstream.pix_fmt = 32, 32, "yuv420p"
        stream = container.add_stream(codec, rate=sample_rate, layout=layout)
        fmt = stream.codec_context.codec.audio_formats[0].name
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x), format="fltp", layout=layout)
        frame.sample_rate, frame.pts = sample_rate, 0
        resampler = av.AudioResampler(format=fmt, layout=layout, rate=sample_rate)
        if video:
            for i in range(5):
                vframe = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 40 * i, np.uint8), format="rgb24")
                for packet in vstream.encode(vframe):
                    container.mux(packet)
            for packet in vstream.encode(None):
                container.mux(packet)
        for converted in resampler.resample(frame):
            for packet in stream.encode(converted):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def _pyav_decode(data: bytes) -> np.ndarray:
    """(channels, time) float32 from PyAV's decoder (planar float for these codecs)."""
    with av.open(io.BytesIO(data)) as container:
        frames = [f.to_ndarray() for f in container.decode(audio=0)]
    return np.concatenate(frames, axis=1).astype(np.float32)


@pytest.mark.parametrize("container_format,codec,video", [("ipod", "aac", False), ("mp4", "aac", True),
                                                          ("matroska", "ac3", True), ("ogg", "libopus", False)])
def test_load_pyav_written_files_matches_pyav_decoder(tmp_path, container_format, codec, video):
    x = make_sweep(0.5, 48000, f0=100, f1=5000).float().repeat(2, 1).numpy()
    data = _pyav_encode(x, 48000, container_format, codec, video)
    ref = _pyav_decode(data)
    ours, sr = torchsound.load(data)
    assert sr == 48000
    torch.testing.assert_close(ours, torch.from_numpy(ref), rtol=0, atol=0)
    meta = torchsound.info(data)
    assert meta.num_frames == ref.shape[1] and meta.num_channels == 2
    assert meta.encoding == {"aac": "AAC", "ac3": "AC3", "libopus": "OPUS"}[codec]
    part, _ = torchsound.load(data, frame_offset=1000, num_frames=500)
    torch.testing.assert_close(part, torch.from_numpy(ref[:, 1000:1500]), rtol=0, atol=0)


def test_opus_from_ffmpeg_is_aligned_by_default(tmp_path):
    # libsndfile ignores the pre-skip of FFmpeg's Opus files; the default backend must not.
    x = make_sweep(0.5, 48000, f0=100, f1=3000).float().numpy()
    data = _pyav_encode(x, 48000, "ogg", "libopus")
    y, _ = torchsound.load(data)
    assert y.shape == x.shape
    assert snr_db(x, y.numpy()) > 15


@pytest.mark.parametrize("fmt", ["m4a", "aac", "mka", "wma"])
def test_save_ffmpeg_only_formats(tmp_path, fmt):
    x = make_sweep(0.5, 44100, f0=100, f1=4000).float().repeat(2, 1)
    path = tmp_path / f"x.{fmt}"
    torchsound.save(path, x, 44100)
    ref = _pyav_decode(path.read_bytes())
    lost = 2048 if fmt == "wma" else 0  # FFmpeg's WMA decoder drops one 2048-sample frame of the encoder's output
    assert ref.shape[0] == 2 and ref.shape[1] >= x.shape[1] - lost
    ours, sr = torchsound.load(path)
    assert sr == 44100
    torch.testing.assert_close(ours, torch.from_numpy(ref), rtol=0, atol=0)


def test_save_bit_rate_honoured(tmp_path):
    x = make_noise(2, 2.0, 44100)
    for kbps in (64, 192):
        torchsound.save(tmp_path / f"{kbps}.m4a", x, 44100, compression=kbps)
    with av.open(str(tmp_path / "64.m4a")) as a, av.open(str(tmp_path / "192.m4a")) as b:
        assert a.streams.audio[0].bit_rate < b.streams.audio[0].bit_rate


@pytest.mark.parametrize("encoding,bits,dtype", [("PCM_S", 16, torch.int16), ("PCM_S", 24, torch.int32),
                                                 ("PCM_U", 8, torch.uint8), ("PCM_F", 32, torch.float32)])
def test_ffmpeg_backend_agrees_with_native_wav(tmp_path, encoding, bits, dtype):
    x = make_noise(2, 0.1, 16000) * 1.9
    path = tmp_path / "x.wav"
    torchsound.save(path, x, 16000, encoding=encoding, bits_per_sample=bits, backend="ffmpeg")
    assert torchsound.info(path) == torchsound.info(path, backend="ffmpeg")
    for normalize in (True, False):
        native, _ = torchsound.load(path, normalize=normalize)
        ffmpeg, _ = torchsound.load(path, normalize=normalize, backend="ffmpeg")
        assert native.dtype == ffmpeg.dtype == (torch.float32 if normalize else dtype)
        torch.testing.assert_close(native, ffmpeg, rtol=0, atol=0)


@pytest.mark.parametrize("bits", [16, 24])
def test_ffmpeg_flac_writer_reads_back_in_libsndfile(tmp_path, bits):
    x = make_noise(1, 0.1, 16000)
    torchsound.save(tmp_path / "x.flac", x, 16000, bits_per_sample=bits, backend="ffmpeg")
    assert torchsound.info(tmp_path / "x.flac", backend="soundfile").bits_per_sample == bits
    expected = torch.round(x.double() * 2 ** (bits - 1)) / 2 ** (bits - 1)
    torch.testing.assert_close(torchsound.load(tmp_path / "x.flac")[0].double(), expected, **tol("float64"))


def test_missing_pyav_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(ImportError, match=r"torchsound\[ffmpeg\]"):
        torchsound.load(b"\x00" * 64, backend="ffmpeg")


def test_corrupt_input_named_by_ffmpeg_backend(tmp_path):
    path = tmp_path / "junk.m4a"
    path.write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(range(256)) * 4)
    with pytest.raises(RuntimeError, match=r"junk\.m4a: "):
        torchsound.load(path)


def _corrupt_m4a_table(tmp_path):
    """An M4A whose sample-size table claims 2**29 entries: FFmpeg refuses the allocation (ENOMEM)."""
    import struct

    path = tmp_path / "x.m4a"
    torchsound.save(path, make_noise(1, 0.5, 16000), 16000)
    data = bytearray(path.read_bytes())
    at = data.find(b"stsz") + 16  # box type, version/flags, sample_size, then the sample count
    data[at : at + 4] = struct.pack(">I", 0x20000000)
    bad = tmp_path / "corrupt.m4a"
    bad.write_bytes(bytes(data))
    return bad


def test_corrupt_m4a_table_is_called_corrupt(tmp_path):
    bad = _corrupt_m4a_table(tmp_path)
    with pytest.raises(av.error.MemoryError):  # the reference: what FFmpeg itself reports for this file
        with av.open(str(bad)) as c:
            for _ in c.decode(audio=0):
                pass
    from torchsound.io import StreamReader
    from torchsound.io._source import AudioFileError

    def stream_all(path):
        reader = StreamReader(path)
        reader.add_basic_audio_stream(1024)
        for _ in reader.stream():
            pass

    for op in (torchsound.info, torchsound.load, stream_all):
        with pytest.raises(AudioFileError, match=r"corrupt\.m4a: .*corrupt file: .*claims more data"):
            op(str(bad))


def test_mp3_changing_channel_count_is_a_clear_error():
    # mono frames followed by stereo frames: FFmpeg decodes both, the tensor can't hold them
    from torchsound.io._source import AudioFileError

    mono, stereo = io.BytesIO(), io.BytesIO()
    torchsound.save(mono, make_noise(1, 0.5, 48000) * 0.5, 48000, format="mp3")
    torchsound.save(stereo, make_noise(2, 0.5, 48000) * 0.5, 48000, format="mp3")
    joined = mono.getvalue() + stereo.getvalue()
    with av.open(io.BytesIO(joined)) as c:  # the reference: FFmpeg sees both layouts in one stream
        assert {f.layout.nb_channels for f in c.decode(audio=0)} == {1, 2}
    with pytest.raises(AudioFileError, match=r"byte buffer>: .*changes from \d to \d channels"):
        torchsound.load(joined, backend="ffmpeg")
