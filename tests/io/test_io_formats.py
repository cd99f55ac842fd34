"""load/save/info for libsndfile formats (FLAC, OGG/Vorbis, Opus, MP3, AIFF) against soundfile; sources; atomic saves."""

import io
import os
import pathlib

import pytest
import soundfile
import torch

import torchsound
from conftest import make_noise, make_tone, snr_db, tol


def _sf_read(path, dtype="float32"):
    data, sr = soundfile.read(path, dtype=dtype, always_2d=True)
    return torch.from_numpy(data.T.copy()), sr


def test_top_level_and_io_namespace_export_the_same_functions():
    for name in ["load", "save", "info", "AudioMetaData", "list_audio_backends", "get_audio_backend", "set_audio_backend"]:
        assert getattr(torchsound, name) is getattr(torchsound.io, name)
    assert torchsound.list_audio_backends() == ["ffmpeg", "soundfile"]  # torchaudio 2.8's names and order


@pytest.mark.parametrize("bits", [8, 16, 24])
def test_flac_bits_roundtrip_exact(tmp_path, bits):
    x = make_noise(2, 0.1, 16000) * 1.9
    path = tmp_path / "x.flac"
    torchsound.save(path, x, 16000, bits_per_sample=bits)
    meta = soundfile.info(str(path))
    assert meta.format == "FLAC" and meta.subtype == {8: "PCM_S8", 16: "PCM_16", 24: "PCM_24"}[bits]
    info = torchsound.info(path)
    assert (info.encoding, info.bits_per_sample, info.num_frames, info.num_channels) == ("FLAC", bits, 1600, 2)
    ours, sr = torchsound.load(path)
    torch.testing.assert_close(ours, _sf_read(str(path))[0], rtol=0, atol=0)
    expected = torch.round(x.double() * 2 ** (bits - 1)) / 2 ** (bits - 1)
    torch.testing.assert_close(ours.double(), expected, rtol=0, atol=1e-12)


def test_flac_compression_level_is_honoured(tmp_path):
    x = make_tone(440, 1.0, 16000).float() + 0.01 * make_noise(1, 1.0, 16000)
    torchsound.save(tmp_path / "fast.flac", x, 16000, compression=0)
    torchsound.save(tmp_path / "best.flac", x, 16000, compression=8)
    assert os.path.getsize(tmp_path / "best.flac") < os.path.getsize(tmp_path / "fast.flac")
    torch.testing.assert_close(torchsound.load(tmp_path / "fast.flac")[0], torchsound.load(tmp_path / "best.flac")[0])


def test_integer_flac_written_as_is(tmp_path):
    x = (make_noise(1, 0.05, 8000) * 65000).to(torch.int16)
    torchsound.save(tmp_path / "i.flac", x, 8000)
    assert torch.equal(_sf_read(str(tmp_path / "i.flac"), "int16")[0], x)


@pytest.mark.parametrize("fmt,encoding,sr", [("ogg", "VORBIS", 44100), ("vorbis", "VORBIS", 44100), ("opus", "OPUS", 48000),
                                             ("mp3", "MP3", 44100)])
def test_lossy_formats_roundtrip(tmp_path, fmt, encoding, sr):
    x = make_tone(440, 0.5, sr).float().repeat(2, 1)
    path = tmp_path / f"x.{fmt}"
    torchsound.save(path, x, sr)
    info = torchsound.info(path)
    assert (info.encoding, info.bits_per_sample, info.sample_rate, info.num_channels) == (encoding, 0, sr, 2)
    y, got_sr = torchsound.load(path)
    assert got_sr == sr and y.shape[1] == info.num_frames
    # Opus is decoded by FFmpeg by default (libopus builds differ in the last bits from libsndfile's)
    torch.testing.assert_close(y, _sf_read(str(path))[0], **tol("float32"))
    assert y.shape[1] == x.shape[1]
    assert snr_db(x.numpy(), y.numpy()) > 20


def test_mp3_bit_rate_and_vorbis_quality_honoured(tmp_path):
    x = make_noise(2, 2.0, 44100)
    for kbps in (64, 256):
        torchsound.save(tmp_path / f"{kbps}.mp3", x, 44100, compression=kbps)
    r64, r256 = (os.path.getsize(tmp_path / f"{k}.mp3") * 8 / 2.0 / 1000 for k in (64, 256))
    assert 0.8 * 64 < r64 < 1.2 * 64 and 0.8 * 256 < r256 < 1.2 * 256
    x16 = make_noise(1, 2.0, 16000)  # MPEG-2 rates: 8..160 kbit/s
    torchsound.save(tmp_path / "16k.mp3", x16, 16000, compression=48)
    assert 0.8 * 48 < os.path.getsize(tmp_path / "16k.mp3") * 8 / 2.0 / 1000 < 1.2 * 48
    with pytest.raises(ValueError, match=r"\[8, 160\]"):
        torchsound.save(tmp_path / "bad.mp3", x16, 16000, compression=320)
    torchsound.save(tmp_path / "lo.ogg", x, 44100, compression=0)
    torchsound.save(tmp_path / "hi.ogg", x, 44100, compression=10)
    assert os.path.getsize(tmp_path / "lo.ogg") < os.path.getsize(tmp_path / "hi.ogg")


def test_aiff_roundtrip(tmp_path):
    x = (make_noise(2, 0.05, 8000) * 60000).to(torch.int16)
    torchsound.save(tmp_path / "x.aiff", x, 8000)
    assert soundfile.info(str(tmp_path / "x.aiff")).format == "AIFF"
    assert torch.equal(torchsound.load(tmp_path / "x.aiff", normalize=False)[0], x.float() / 32768)  # non-WAV: float


@pytest.mark.parametrize("kind", ["str", "pathlib", "bytes", "bytearray", "bytesio", "open_file", "nonseekable"])
def test_sources(tmp_path, kind, sample_file):
    data = pathlib.Path(sample_file).read_bytes()

    class Pipe(io.RawIOBase):  # read-only, no seek: like a socket or a subprocess pipe
        def __init__(self):
            self._b = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buf):
            chunk = self._b.read(min(len(buf), 1000))
            buf[: len(chunk)] = chunk
            return len(chunk)

    uri = {"str": sample_file, "pathlib": pathlib.Path(sample_file), "bytes": data, "bytearray": bytearray(data),
           "bytesio": io.BytesIO(data), "open_file": open(sample_file, "rb"), "nonseekable": Pipe()}[kind]
    y, sr = torchsound.load(uri)
    ref, ref_sr = _sf_read(sample_file)
    assert sr == ref_sr
    torch.testing.assert_close(y, ref, rtol=0, atol=0)


def test_info_of_file_objects_and_format_hint(tmp_path):
    x = make_noise(1, 0.1, 8000)
    buf = io.BytesIO()
    torchsound.save(buf, x, 8000, format="flac")
    buf.seek(0)
    assert torchsound.info(buf, format="flac").num_frames == 800
    buf.seek(0)
    torch.testing.assert_close(torchsound.load(buf)[0], torch.round(x * 32768) / 32768)
    with pytest.raises(ValueError, match="format is required"):
        torchsound.save(io.BytesIO(), x, 8000)


def test_save_is_atomic(tmp_path, monkeypatch):
    from torchsound.io import _wav

    path = tmp_path / "keep.wav"
    torchsound.save(path, make_noise(1, 0.1, 8000), 8000)
    before = path.read_bytes()

    def broken(f, *args, **kwargs):
        f.write(b"RIFF partial")
        raise OSError("disk full")

    monkeypatch.setattr(_wav, "write", broken)
    with pytest.raises(OSError, match="disk full"):
        torchsound.save(path, make_noise(1, 0.2, 8000), 8000)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.wav"]  # no temporary file left behind


def test_save_argument_errors(tmp_path):
    x = make_noise(1, 0.01, 8000)
    with pytest.raises(ValueError, match="bits_per_sample"):
        torchsound.save(tmp_path / "a.wav", x, 8000, bits_per_sample=12)
    with pytest.raises(ValueError, match="encoding"):
        torchsound.save(tmp_path / "a.wav", x, 8000, encoding="FOO")
    with pytest.raises(ValueError, match="FLAC bits_per_sample"):
        torchsound.save(tmp_path / "a.flac", x, 8000, bits_per_sample=32)
    with pytest.raises(ValueError, match="backend"):
        torchsound.save(tmp_path / "a.wav", x, 8000, backend="nope")
    with pytest.raises(ValueError, match="sample_rate"):
        torchsound.save(tmp_path / "a.wav", x, 0)
    with pytest.raises(ValueError, match="2D"):
        torchsound.save(tmp_path / "a.wav", x[None, None], 8000)
    with pytest.raises(ValueError, match="frame_offset"):
        torchsound.load(tmp_path / "a.wav", frame_offset=-1)
    assert not (tmp_path / "a.wav").exists()


def test_backend_argument_and_default(tmp_path):
    x = make_noise(2, 0.05, 8000)
    torchsound.save(tmp_path / "x.wav", x, 8000, backend="soundfile", encoding="PCM_S", bits_per_sample=24)
    assert soundfile.info(str(tmp_path / "x.wav")).subtype == "PCM_24"
    a = torchsound.load(tmp_path / "x.wav", backend="wav")[0]
    b = torchsound.load(tmp_path / "x.wav", backend="soundfile")[0]
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    with pytest.raises(RuntimeError, match="reads only WAV"):
        torchsound.load(torchsound.utils.sample_path(), backend="wav")
    try:
        torchsound.set_audio_backend("soundfile")
        assert torchsound.get_audio_backend() == "soundfile"
        torch.testing.assert_close(torchsound.load(tmp_path / "x.wav")[0], a, rtol=0, atol=0)
    finally:
        torchsound.set_audio_backend(None)
    assert torchsound.get_audio_backend() is None
    with pytest.warns(UserWarning, match="no libsox"):  # torchaudio's sox names choose by format here
        torchsound.set_audio_backend("sox_io")
    assert torchsound.get_audio_backend() is None


@pytest.mark.parametrize("fmt", ["flac", "ogg", "opus", "aiff"])
def test_frame_offset_matches_slicing(tmp_path, fmt):
    x = make_noise(2, 0.5, 48000)
    path = tmp_path / f"x.{fmt}"
    torchsound.save(path, x, 48000)
    full, _ = torchsound.load(path)
    for offset, count in [(0, 100), (12345, 2000), (20000, -1), (full.shape[1] - 5, 100), (full.shape[1] + 10, -1)]:
        part, _ = torchsound.load(path, frame_offset=offset, num_frames=count)
        end = None if count < 0 else offset + count
        torch.testing.assert_close(part, full[:, offset:end], **tol("float32"))


@pytest.mark.parametrize("fmt", ["flac"])  # never Ogg: libsndfile's Ogg seek crashes on damaged files (test_io_fuzz)
@pytest.mark.parametrize("source", ["path", "bytes"])
def test_threaded_decode_of_long_files_is_identical(tmp_path, monkeypatch, fmt, source):
    from torchsound.io import _soundfile

    monkeypatch.setattr(_soundfile, "_PARALLEL_MIN_FRAMES", 1000)  # make a short file take the threaded path
    path = tmp_path / f"x.{fmt}"
    torchsound.save(path, make_noise(2, 0.5, 16000), 16000)
    uri = path if source == "path" else path.read_bytes()
    with soundfile.SoundFile(str(path)) as f:
        assert _soundfile._parallel_workers(_Src(uri), f, 7000, "float32") > 1 or torch.get_num_threads() == 1
    ref = _sf_read(str(path))[0]
    torch.testing.assert_close(torchsound.load(uri)[0], ref, rtol=0, atol=0)
    torch.testing.assert_close(torchsound.load(uri, frame_offset=777, num_frames=5000)[0], ref[:, 777:5777], rtol=0, atol=0)


def _Src(uri):
    from torchsound.io._source import Source

    return Source(uri)
