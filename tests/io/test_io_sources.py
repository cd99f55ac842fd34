"""Every kind of source gives the same result: path, open file, BytesIO, bytes and a pipe, for every format.

References: soundfile (libsndfile) for WAV/FLAC/Ogg/MP3 and PyAV (FFmpeg) for Opus/M4A decode the same
files by path; all other sources must then equal the path exactly. Damaged files must succeed or fail
alike from every source, and ``info`` must count what ``load`` returns.
"""

import io
import subprocess

import av
import numpy as np
import pytest
import soundfile
import torch

import torchsound
from conftest import make_sweep, tol
from torchsound.io._source import AudioFileError

FORMATS = ["wav", "flac", "ogg", "opus", "mp3", "m4a"]


def _encode_pyav(x: np.ndarray, sample_rate: int, fmt: str, codec: str) -> bytes:
    buf = io.BytesIO()
    layout = "mono" if x.shape[0] == 1 else "stereo"
    with av.open(buf, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=sample_rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x), format="fltp", layout=layout)
        frame.sample_rate = sample_rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def make_file(fmt: str, seconds: float = 0.5, channels: int = 2) -> bytes:
    """A short sweep encoded by soundfile (WAV, FLAC, Ogg/Vorbis, Opus, MP3) or PyAV (M4A/AAC)."""
    sample_rate = 48000 if fmt == "opus" else 44100
    x = make_sweep(seconds, sample_rate, f0=100, f1=5000).float().repeat(channels, 1).numpy()
    x[1:] *= 0.5
    if fmt == "m4a":
        return _encode_pyav(x, sample_rate, "ipod", "aac")
    buf = io.BytesIO()
    sf_format, subtype = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"),
                          "opus": ("OGG", "OPUS"), "mp3": ("MP3", "MPEG_LAYER_III")}[fmt]
    soundfile.write(buf, x.T, sample_rate, format=sf_format, subtype=subtype)
    return buf.getvalue()


def _reference(path, fmt):
    if fmt in ("opus", "m4a"):
        with av.open(str(path)) as container:
            data = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)
        return torch.from_numpy(data)
    data, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    return torch.from_numpy(data.T.copy())


def _pipe(path):
    return subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE).stdout


def _sources(path):
    """(name, factory) of every kind of source for the file at ``path``."""
    data = path.read_bytes()
    return [
        ("open file", lambda: open(path, "rb")),
        ("unbuffered file", lambda: open(path, "rb", buffering=0)),
        ("BytesIO", lambda: io.BytesIO(data)),
        ("bytes", lambda: data),
        ("pipe", lambda: _pipe(path)),
    ]


def _call(fn, source, **kw):
    """fn(source) -> ("ok", result) or ("error", type name); closes what it opened."""
    try:
        return "ok", fn(source, **kw)
    except AudioFileError as err:
        return "error", type(err).__name__
    finally:
        if hasattr(source, "close"):
            source.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_source_gives_the_path_result(tmp_path, fmt):
    path = tmp_path / f"x.{fmt}"
    path.write_bytes(make_file(fmt))
    ref = _reference(path, fmt)
    by_path, sr = torchsound.load(path)
    assert by_path.shape == ref.shape
    torch.testing.assert_close(by_path, ref, **tol("float32"))
    meta = torchsound.info(path)
    assert meta.num_frames == by_path.shape[1] and meta.sample_rate == sr
    part_ref, _ = torchsound.load(path, frame_offset=1234, num_frames=5000)
    for name, make in _sources(path):
        status, (waveform, rate) = _call(torchsound.load, make())
        assert status == "ok" and rate == sr, name
        torch.testing.assert_close(waveform, by_path, rtol=0, atol=0, msg=f"{fmt} from {name}")
        status, part = _call(torchsound.load, make(), frame_offset=1234, num_frames=5000)
        torch.testing.assert_close(part[0], part_ref, rtol=0, atol=0, msg=f"{fmt} slice from {name}")
        status, meta_src = _call(torchsound.info, make())
        assert meta_src == meta, name


def test_mp3_from_a_file_object_is_not_shifted(tmp_path):
    # The file-object path used to lose one MPEG frame (1152 samples): our own header reads moved the
    # position of the file object libsndfile was decoding from.
    path = tmp_path / "x.mp3"
    path.write_bytes(make_file("mp3", 1.0, 1))
    ref = _reference(path, "mp3")
    with open(path, "rb") as f:
        got, _ = torchsound.load(f)
    torch.testing.assert_close(got, ref, **tol("float32"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_file_object_position_is_where_the_caller_left_it(fmt):
    # A file object whose audio starts after other data (an archive member, a concatenation):
    # libsndfile and FFmpeg seek to absolute offsets, so they must see the object from there on.
    data = make_file(fmt)
    f = io.BytesIO(b"x" * 100 + data)
    f.seek(100)
    got, _ = torchsound.load(f)
    torch.testing.assert_close(got, torchsound.load(data)[0], rtol=0, atol=0)
    f.seek(100)
    assert torchsound.info(f) == torchsound.info(data)


def _mutants(data: bytes, count: int, seed: int):
    """Copies of ``data`` with a few bytes changed past the first 200 (headers mostly kept)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        d = bytearray(data)
        for _ in range(int(rng.integers(1, 6))):
            at = int(rng.integers(200, len(d)))
            d[at] = int(rng.integers(0, 256))
        yield bytes(d)


@pytest.mark.parametrize("fmt", ["mp3", "flac", "ogg"])
def test_damaged_files_behave_alike_from_every_source(tmp_path, fmt):
    base = make_file(fmt, 0.5, 2)
    outcomes = set()
    for i, data in enumerate(_mutants(base, 12, seed=7)):
        path = tmp_path / f"d{i}.{fmt}"
        path.write_bytes(data)
        status, by_path = _call(torchsound.load, path)
        outcomes.add(status)
        for name, make in _sources(path):
            got_status, got = _call(torchsound.load, make())
            assert got_status == status, f"mutant {i} from {name}: {got_status}, by path: {status}"
            if status == "ok":
                torch.testing.assert_close(got[0], by_path[0], rtol=0, atol=0, msg=f"mutant {i} from {name}")
    if fmt == "mp3":  # mpg123 resyncs, so damaged MP3s decode; libsndfile refuses damaged FLAC/Ogg pages
        assert "ok" in outcomes


def test_damaged_mp3_info_counts_what_load_returns(tmp_path):
    base = make_file("mp3", 1.0, 2)
    checked = 0
    for i, data in enumerate(_mutants(base, 20, seed=3)):
        try:
            meta = torchsound.info(data)
        except AudioFileError:
            with pytest.raises(AudioFileError):
                torchsound.load(data)
            continue
        waveform, _ = torchsound.load(data)
        assert meta.num_frames == waveform.shape[1], f"mutant {i}"
        # a slice never holds more than info says remains, and equals the slice of the whole
        start = meta.num_frames // 3
        part, _ = torchsound.load(data, frame_offset=start, num_frames=10**9)
        assert part.shape[1] == meta.num_frames - start
        torch.testing.assert_close(part, waveform[:, start:], rtol=0, atol=0)
        checked += 1
    assert checked >= 10
