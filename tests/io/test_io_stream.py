"""StreamReader / StreamWriter over libsndfile and FFmpeg: chunks, seek, conversion, bounded memory, chunked encode."""

import io
import tracemalloc
from fractions import Fraction

import av
import av.filter
import numpy as np
import pytest
import soundfile
import torch

import torchsound
from conftest import make_noise, make_sweep, snr_db, tol
from torchsound.io import CodecConfig, StreamReader, StreamWriter


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    x = make_sweep(1.0, 16000, f0=50, f1=6000).float().repeat(2, 1)
    x[1] *= 0.5
    out = {}
    for fmt in ["wav", "flac", "mp3", "ogg"]:
        out[fmt] = str(folder / f"x.{fmt}")
        torchsound.save(out[fmt], x, 16000)
    return out


def _concat(chunks):
    return torch.cat([c for c in chunks if c is not None])


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "ogg"])
@pytest.mark.parametrize("source", ["path", "bytes", "fileobj"])
def test_chunks_concatenate_to_load(files, fmt, source):
    path = files[fmt]
    data = open(path, "rb").read()
    src = {"path": path, "bytes": data, "fileobj": io.BytesIO(data)}[source]
    reader = StreamReader(src)
    info = reader.get_src_stream_info(reader.default_audio_stream)
    assert (info.media_type, info.sample_rate, info.num_channels) == ("audio", 16000.0, 2)
    reader.add_basic_audio_stream(frames_per_chunk=3000)
    chunks = [c for (c,) in reader.stream()]
    assert all(c.shape == (3000, 2) for c in chunks[:-1]) and 0 < chunks[-1].shape[0] <= 3000
    assert [c.pts for c in chunks] == [i * 3000 / 16000 for i in range(len(chunks))]
    full, _ = torchsound.load(path)  # the same decoder for each format (MP3: libsndfile for both)
    torch.testing.assert_close(_concat(chunks).T, full, rtol=0, atol=0)


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3"])
def test_precise_seek(files, fmt):
    full, _ = torchsound.load(files[fmt])
    reader = StreamReader(files[fmt])
    reader.add_basic_audio_stream(frames_per_chunk=1000)
    reader.seek(0.5)
    reader.fill_buffer()
    (chunk,) = reader.pop_chunks()
    assert chunk.pts == 0.5
    torch.testing.assert_close(chunk.T, full[:, 8000:9000], rtol=0, atol=0)
    with pytest.raises(ValueError, match="mode"):
        reader.seek(0.1, mode="nearest")


def test_sample_format_output(files):
    reader = StreamReader(files["wav"])
    reader.add_basic_audio_stream(frames_per_chunk=-1, buffer_chunk_size=-1, format="s16p")
    reader.add_basic_audio_stream(frames_per_chunk=-1, buffer_chunk_size=-1, format=None)
    reader.process_all_packets()
    s16, native = reader.pop_chunks()
    raw, _ = torchsound.load(files["wav"], normalize=False)
    assert s16.dtype == native.dtype == torch.int16
    assert torch.equal(s16.T, raw) and torch.equal(native.T, raw)


def _ffmpeg_filter_whole(x: np.ndarray, rate: int, desc: str) -> np.ndarray:
    """The reference: FFmpeg's filter chain run by PyAV on the whole (time, channel) int16 signal at once."""
    graph = av.filter.Graph()
    layout = "stereo" if x.shape[1] == 2 else "mono"
    nodes = [graph.add_abuffer(format="s16", sample_rate=rate, layout=layout, time_base=Fraction(1, rate))]
    for part in desc.split(","):
        name, _, args = part.partition("=")
        nodes.append(graph.add(name, args))
    nodes.append(graph.add("abuffersink"))
    for a, b in zip(nodes, nodes[1:]):
        a.link_to(b)
    graph.configure()
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x).reshape(1, -1), format="s16", layout=layout)
    frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
    out = []
    for f in (frame, None):
        graph.push(f)
        while True:
            try:
                got = graph.pull()
            except (BlockingIOError, av.error.EOFError):
                break
            arr = got.to_ndarray()
            out.append(arr.T if got.format.is_planar else arr.reshape(-1, got.layout.nb_channels))
    return np.concatenate(out)


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_resampling_and_channel_mixing_stream_like_ffmpeg(files, fmt):
    # torchaudio's chain for sample_rate=8000, num_channels=1, run by FFmpeg on the whole file at once
    native, _ = torchsound.load(files[fmt], normalize=False) if fmt == "wav" else (None, None)
    if native is None:
        native = (torchsound.load(files[fmt])[0] * 32768).round().to(torch.int16)
    ref = _ffmpeg_filter_whole(native.T.contiguous().numpy(), 16000, "aresample=8000,aformat=sample_fmts=fltp:channel_layouts=1c")
    for chunk_size in (257, 4096):
        reader = StreamReader(files[fmt])
        reader.add_basic_audio_stream(frames_per_chunk=chunk_size, sample_rate=8000, num_channels=1)
        assert reader.get_out_stream_info(0).sample_rate == 8000 and reader.get_out_stream_info(0).num_channels == 1
        out = _concat(c for (c,) in reader.stream())
        assert out.shape == ref.shape and out.dtype == torch.float32
        torch.testing.assert_close(out, torch.from_numpy(ref), **tol("float32"))


def test_filter_desc(files):
    reader = StreamReader(files["wav"])
    reader.add_audio_stream(frames_per_chunk=2000, filter_desc="volume=0.5")
    out = _concat(c for (c,) in reader.stream())
    full, _ = torchsound.load(files["wav"])
    torch.testing.assert_close(out.T, full * 0.5, **tol("float32"))
    with pytest.raises(ValueError, match="filter_desc"):
        StreamReader(files["wav"]).add_audio_stream(100, filter_desc="nosuchfilter=1")


def test_buffer_is_bounded_and_drops_oldest(tmp_path):
    path = tmp_path / "long.wav"
    torchsound.save(path, make_noise(2, 20.0, 16000), 16000)  # 2.5 MB of float32 once decoded
    reader = StreamReader(str(path))
    reader.add_basic_audio_stream(frames_per_chunk=1000, buffer_chunk_size=3)
    tracemalloc.start()
    reader.process_all_packets()  # never pops: only the newest 3000 frames may stay
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000
    chunks = [reader.pop_chunks()[0] for _ in range(4)]
    full, _ = torchsound.load(path)
    assert chunks[3] is None
    torch.testing.assert_close(torch.cat(chunks[:3]).T, full[:, -3000:], rtol=0, atol=0)
    assert chunks[0].pts == (full.shape[1] - 3000) / 16000


def test_stream_memory_bounded_while_iterating(tmp_path):
    path = tmp_path / "long.flac"
    torchsound.save(path, make_noise(2, 20.0, 16000), 16000)
    reader = StreamReader(str(path))
    reader.add_basic_audio_stream(frames_per_chunk=4000)
    tracemalloc.start()
    total = sum(c.shape[0] for (c,) in reader.stream())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert total == 320000 and peak < 1_000_000


def test_reader_errors(files, tmp_path):
    reader = StreamReader(files["wav"])
    with pytest.raises(ValueError, match="frames_per_chunk"):
        reader.add_basic_audio_stream(0)
    with pytest.raises(RuntimeError, match="no output stream"):
        next(reader.stream())
    with pytest.raises(ValueError, match="format"):
        reader.add_basic_audio_stream(10, format="s24p")
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        StreamReader(str(tmp_path / "missing.wav"))


@pytest.mark.parametrize("fmt,dtype", [("wav", "s16"), ("flac", "s16"), ("wav", "flt"), ("flac", "s32")])
def test_writer_lossless_chunks(tmp_path, fmt, dtype):
    x = make_noise(2, 0.5, 16000)
    torch_dtype = {"s16": torch.int16, "s32": torch.int32, "flt": torch.float32}[dtype]
    data = x if dtype == "flt" else (x * 2 ** (8 * torch_dtype.itemsize - 1) * 1.5).to(torch_dtype)
    path = tmp_path / f"out.{fmt}"
    w = StreamWriter(str(path))
    w.add_audio_stream(16000, 2, format=dtype, encoder_format="s32" if dtype == "s32" else ("flt" if dtype == "flt" else None))
    with w:
        for start in range(0, data.shape[1], 777):
            w.write_audio_chunk(0, data[:, start : start + 777].T.contiguous())
        assert not path.exists()  # appears on close, in one rename
    got, _ = soundfile.read(str(path), dtype="float64", always_2d=True)
    expected, _ = torchsound.load(path)
    assert got.shape == (8000, 2)
    if dtype == "s16":
        assert np.array_equal(soundfile.read(str(path), dtype="int16")[0], data.T.numpy())
    elif dtype == "s32":  # FLAC keeps the top 24 bits
        assert np.array_equal(soundfile.read(str(path), dtype="int32")[0], (data.T >> 8 << 8).numpy())
    else:
        np.testing.assert_array_equal(got.astype(np.float32), x.T.numpy())


@pytest.mark.parametrize("fmt", ["mp3", "m4a", "ogg"])
def test_writer_lossy_and_ffmpeg_formats(tmp_path, fmt):
    x = make_sweep(1.0, 44100, f0=100, f1=4000).float().repeat(2, 1)
    path = tmp_path / f"out.{fmt}"
    w = StreamWriter(str(path))
    w.add_audio_stream(44100, 2, codec_config=CodecConfig(bit_rate=128000) if fmt != "ogg" else None)
    with w:
        for start in range(0, x.shape[1], 1000):
            w.write_audio_chunk(0, x[:, start : start + 1000].T.contiguous())
    y, sr = torchsound.load(path)
    assert sr == 44100 and y.shape[0] == 2 and y.shape[1] >= x.shape[1]
    if fmt != "m4a":  # AAC keeps its priming samples
        assert y.shape[1] == x.shape[1] and snr_db(x.numpy(), y.numpy()) > 15


def test_writer_resamples_with_encoder_sample_rate(tmp_path):
    x = make_sweep(0.5, 16000, f0=100, f1=3000).float()
    path = tmp_path / "out.m4a"
    w = StreamWriter(str(path))
    w.add_audio_stream(16000, 1, encoder_sample_rate=8000)
    with w:
        w.write_audio_chunk(0, x.T.contiguous())
    meta = torchsound.info(path)
    assert meta.sample_rate == 8000 and abs(meta.num_frames - 4000) <= 2048


def test_writer_errors_leave_nothing(tmp_path):
    path = tmp_path / "x.wav"
    w = StreamWriter(str(path))
    w.add_audio_stream(8000, 1)
    with pytest.raises(ValueError, match="float32"):
        with w:
            w.write_audio_chunk(0, torch.zeros(10, 1, dtype=torch.int16))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match=r"\(frames, 1\)"):
        with w:
            w.write_audio_chunk(0, torch.zeros(1, 10))
    with pytest.raises(RuntimeError, match="open"):
        w.write_audio_chunk(0, torch.zeros(10, 1))


def test_resample_keeping_native_format(files):
    reader = StreamReader(files["wav"])
    reader.add_basic_audio_stream(frames_per_chunk=-1, buffer_chunk_size=-1, format=None, sample_rate=8000)
    assert reader.get_out_stream_info(0).sample_rate == 8000
    reader.process_all_packets()
    (chunk,) = reader.pop_chunks()
    assert chunk.dtype == torch.int16 and chunk.shape == (8000, 2)
