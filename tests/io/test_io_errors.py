"""Bad input gets a clear error naming the file and the problem; nothing crashes, hangs or over-allocates."""

import io
import re
import struct

import pytest
import soundfile
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import torchsound
from conftest import make_noise, make_sweep
from torchsound.io._source import AudioFileError


def _wav_bytes(frames=800, channels=2) -> bytes:
    buf = io.BytesIO()
    torchsound.save(buf, make_noise(channels, frames / 8000, 8000), 8000, format="wav")
    return buf.getvalue()


def _sf_bytes(fmt: str, seconds=0.2) -> bytes:
    buf = io.BytesIO()
    soundfile.write(buf, make_sweep(seconds, 16000).numpy().T, 16000, format=fmt)
    return buf.getvalue()


@pytest.fixture(scope="module")
def samples():
    return {"wav": _wav_bytes(), "flac": _sf_bytes("FLAC"), "mp3": _sf_bytes("MP3", 0.3)}


def _both(path):
    """info and load must fail alike."""
    for fn in (torchsound.info, torchsound.load):
        yield fn


def test_missing_file(tmp_path):
    path = tmp_path / "nope.wav"
    for fn in (torchsound.load, torchsound.info):
        with pytest.raises(FileNotFoundError, match="nope.wav"):
            fn(path)


@pytest.mark.parametrize("name", ["empty.wav", "empty.flac", "empty.mp3", "empty"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    for fn in (torchsound.load, torchsound.info):
        with pytest.raises(AudioFileError, match=f"{name}: the file is empty"):
            fn(path)
    with pytest.raises(AudioFileError, match="empty"):
        torchsound.load(b"")


@pytest.mark.parametrize("cut", [4, 11, 20, 40])
def test_truncated_wav_header(tmp_path, cut, samples):
    path = tmp_path / "cut.wav"
    path.write_bytes(samples["wav"][:cut])
    for fn in (torchsound.load, torchsound.info):
        with pytest.raises(RuntimeError, match=r"cut\.wav: .*(truncated|corrupt|not a WAV)"):
            fn(path)


def test_wav_header_claiming_more_data_than_the_file_holds(tmp_path, samples):
    path = tmp_path / "short.wav"
    path.write_bytes(samples["wav"][:-100])  # header still says 3200 bytes of data
    for fn in (torchsound.load, torchsound.info):
        with pytest.raises(AudioFileError, match=r"short\.wav: WAV header claims 3200 bytes .* only 3100"):
            fn(path)


@pytest.mark.parametrize("field,offset,value,problem", [
    ("channels", 22, struct.pack("<H", 0), "0 channels"),
    ("sample rate", 24, struct.pack("<I", 0), "sample rate 0"),
    ("block align", 32, struct.pack("<H", 3), "block align 3"),
    ("bits", 34, struct.pack("<H", 40), "40 bits"),
    ("fmt size", 16, struct.pack("<I", 0xFFFFFFF0), "past the end"),
    ("data size", 40, struct.pack("<I", 0xFFFFFFF0), "claims 4294967280 bytes"),
    ("riff id", 0, b"RIFX", "not a WAV|cannot decode"),
    ("format tag", 20, struct.pack("<H", 0x1234), "cannot decode|Unsupported|unsupported"),
])
def test_corrupt_or_absurd_wav_header(tmp_path, samples, field, offset, value, problem):
    data = bytearray(samples["wav"])
    data[offset : offset + len(value)] = value
    path = tmp_path / "bad.wav"
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match=rf"bad\.wav: .*({problem})"):
        torchsound.load(path)


def test_rf64_without_ds64_chunk(tmp_path, samples):
    data = bytearray(samples["wav"])
    data[0:4] = b"RF64"
    data[40:44] = b"\xff\xff\xff\xff"
    path = tmp_path / "rf.wav"
    path.write_bytes(bytes(data))
    with pytest.raises(AudioFileError, match=r"rf\.wav: .*ds64 chunk, which is missing"):
        torchsound.info(path)


@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_truncated_compressed_files(tmp_path, samples, fmt):
    path = tmp_path / f"cut.{fmt}"
    path.write_bytes(samples[fmt][: len(samples[fmt]) // 2])
    with pytest.raises(AudioFileError, match=rf"cut\.{fmt}: .*(truncated|cannot decode)"):
        torchsound.load(path)


def test_absurd_mp3_frame_count(tmp_path, samples):
    data = bytearray(samples["mp3"])
    at = data.index(b"Xing") + 8  # the Xing tag's frame count: claim 2**31 MPEG frames
    data[at : at + 4] = struct.pack(">I", 2**31 - 1)
    path = tmp_path / "huge.mp3"
    path.write_bytes(bytes(data))
    for fn in (torchsound.load, torchsound.info):
        with pytest.raises(AudioFileError, match=r"huge\.mp3: MP3 header claims \d+ frames"):
            fn(path)


@pytest.mark.parametrize("name,data", [("noise.xyz", bytes(range(256)) * 8), ("text.wav", b"hello world, not audio" * 10),
                                       ("zeros.flac", bytes(4096))])
def test_unknown_format(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    for fn in (torchsound.load, torchsound.info):
        with pytest.raises(AudioFileError, match=rf"{name.replace('.', '[.]')}: (cannot decode|not a recognised audio file|not a WAV|not a FLAC)"):
            fn(path)


def test_unknown_format_in_a_buffer_is_named():
    with pytest.raises(AudioFileError, match="<2048-byte buffer>: cannot decode"):
        torchsound.load(bytes(range(256)) * 8)


_mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 4095), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, 4095), st.just(0)),
    st.tuples(st.just("set32"), st.integers(0, 200), st.sampled_from([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFFF0])),
)


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3"])
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(_mutation, min_size=1, max_size=4))
def test_fuzz_mutated_files_fail_cleanly(samples, fmt, mutations):
    data = bytearray(samples[fmt])
    for op, pos, value in mutations:
        pos = min(pos, max(len(data) - 1, 0))
        if op == "flip" and data:
            data[pos] ^= value
        elif op == "cut":
            del data[pos:]
        elif op == "set32" and pos + 4 <= len(data):
            data[pos : pos + 4] = struct.pack("<I", value)
    for call in (lambda: torchsound.info(bytes(data)), lambda: torchsound.load(bytes(data))):
        try:
            result = call()
        except (AudioFileError, FileNotFoundError) as err:
            assert "buffer>:" in str(err)
            continue
        if isinstance(result, tuple):  # decoded: a sane tensor no longer than the file allows
            waveform, sample_rate = result
            assert waveform.dtype in (torch.float32, torch.float64) and sample_rate > 0
            assert waveform.numel() <= 64 * len(data) + 16 * 2**20


# ----------------------------------------------------------------------------- error types and wrapping


def test_audio_file_error_is_an_oserror_and_a_runtimeerror(tmp_path):
    assert issubclass(AudioFileError, OSError) and issubclass(AudioFileError, RuntimeError)
    path = tmp_path / "bad.flac"
    path.write_bytes(b"fLaC" + bytes(100))
    for caught in (OSError, RuntimeError):  # what user code written for Python files / for torchaudio catches
        with pytest.raises(caught, match=r"bad\.flac: "):
            torchsound.load(path)
    err = pytest.raises(AudioFileError, torchsound.load, path).value
    assert str(err).startswith(str(path))  # the message, not OSError's "[Errno None]" form


@pytest.mark.parametrize("name", ["one.flac", "one.mp3", "one.ogg", "one.wav", "one.m4a", "one"])
def test_one_byte_file_is_an_error_not_an_empty_tensor(tmp_path, name):
    # A 1-byte .flac passed as a file object used to come back as an empty tensor at 0 Hz (from FFmpeg).
    path = tmp_path / name
    for value in (0x00, 0x49, 0xFF):
        path.write_bytes(bytes([value]))
        for fn in (torchsound.load, torchsound.info):
            with pytest.raises(AudioFileError, match=rf"{name.replace('.', '[.]')}: "):
                fn(path)
            with open(path, "rb") as f, pytest.raises(AudioFileError, match=rf"{name.replace('.', '[.]')}: "):
                fn(f)
            with pytest.raises(AudioFileError, match=r"<BytesIO>: "):
                fn(io.BytesIO(bytes([value])))


class _Failing(io.RawIOBase):
    """A seekable file object that fails with ``exc`` once reads pass ``limit`` bytes (a network mount going away)."""

    def __init__(self, data: bytes, limit: int, exc: Exception):
        self._data, self._limit, self._exc, self._pos = data, limit, exc, 0
        self.name = "flaky.flac"

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        self._pos = offset if whence == 0 else self._pos + offset if whence == 1 else len(self._data) + offset
        return self._pos

    def tell(self):
        return self._pos

    def readinto(self, b):
        if self._pos + len(b) > self._limit:
            raise self._exc
        chunk = self._data[self._pos : self._pos + len(b)]
        b[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


@pytest.mark.parametrize("exc", [OSError(5, "Input/output error"), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad byte")])
def test_file_object_read_errors_are_wrapped_with_the_name(samples, exc):
    for limit in (0, 40):  # while sniffing the format, or while parsing the WAV header
        with pytest.raises(AudioFileError, match=r"flaky\.flac: reading the file failed \((OSError|UnicodeDecodeError)"):
            torchsound.load(_Failing(samples["wav"], limit, exc))


def test_text_mode_file_object_is_a_usage_error(tmp_path, samples):
    path = tmp_path / "x.wav"
    path.write_bytes(samples["wav"])
    with open(path, "r", encoding="latin-1") as f:
        with pytest.raises(TypeError, match=r"x\.wav: file object is opened in text mode; open it with 'rb'"):
            torchsound.load(f)


def test_text_file_named_mp3_says_it_is_not_audio(tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_text("these are my notes, not a song\n" * 30)
    for fn in (torchsound.load, torchsound.info):
        with pytest.raises(AudioFileError, match=r"notes\.mp3: not an MP3 file: it holds text"):
            fn(path)
    lyrics = ("x" + "paroles é à ü — " * 10000).encode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        lyrics[: 1 << 16].decode("utf-8")  # the 64 KiB sample cuts a character in two
    path.write_bytes(lyrics)
    with pytest.raises(AudioFileError, match=r"notes\.mp3: not an MP3 file: it holds text"):
        torchsound.load(path)
    path.write_bytes(bytes(range(1, 256)) * 40)  # binary, no MPEG frame sync anywhere valid
    with pytest.raises(AudioFileError, match=r"notes\.mp3: not an MP3 file: no MPEG audio frame"):
        torchsound.load(path)


def test_flac_losing_sync_mid_stream_is_an_audio_file_error(tmp_path):
    data = bytearray(_sf_bytes("FLAC", 2.0))
    for at in range(len(data) // 2, len(data) // 2 + 64):
        data[at] = 0x55
    path = tmp_path / "sync.flac"
    path.write_bytes(bytes(data))
    with pytest.raises(AudioFileError, match=r"sync\.flac: .*(lost sync|truncated or corrupt)"):
        torchsound.load(path)


def test_corrupt_m4a_table_says_the_file_is_corrupt():
    from test_io_sources import make_file

    data = bytearray(make_file("m4a"))
    at = data.index(b"stsz") + 8  # the sample count of the sample-size table: claim a billion entries
    data[at : at + 4] = struct.pack(">I", 0x3FFFFFFF)
    with pytest.raises(AudioFileError, match=r"buffer>: corrupt file: its index claims more data than the file can hold"):
        torchsound.load(bytes(data))


def test_mp3_changing_channel_count_mid_stream():
    # Two MP3 streams glued together, mono then stereo: the decoders' layout changes mid-stream. That is
    # an AudioFileError naming the file (it was a numpy ValueError from FFmpeg's path), for info and load
    # alike, whichever backend reads it.
    from test_io_sources import make_file

    data = make_file("mp3", 0.3, 1) + make_file("mp3", 0.3, 2)
    for backend in (None, "ffmpeg", "soundfile"):
        try:
            waveform, _ = torchsound.load(data, backend=backend)
        except AudioFileError as err:
            assert re.search(r"buffer>: .*channels", str(err)), err
            with pytest.raises(AudioFileError):
                torchsound.info(data, backend=backend)
        else:
            assert torchsound.info(data, backend=backend).num_frames == waveform.shape[1]


def test_damaged_mp3_header_does_not_blame_the_file_system(tmp_path, samples):
    # libsndfile says "File does not exist or is not a regular file" for a header it can't parse.
    data = bytearray(samples["mp3"])
    data[2] ^= 0x5A  # the first frame's bit rate / sample rate byte
    path = tmp_path / "bad.mp3"
    path.write_bytes(bytes(data))
    for fn in (torchsound.load, torchsound.info):
        with pytest.raises(AudioFileError, match=r"bad\.mp3: cannot decode as MP3: unrecognised or corrupt header") as err:
            fn(path)
        assert "does not exist" not in str(err.value)


def test_m4a_whose_index_points_outside_the_data_is_not_an_empty_tensor():
    # FFmpeg reads no packet and reports nothing; the stream still declares its packets (PyAV shows them).
    av = pytest.importorskip("av")
    from test_io_sources import make_file

    good = make_file("m4a")
    data = bytearray(good)
    at = data.index(b"stco") + 12  # the first chunk offset: far past the end of the file
    data[at : at + 4] = struct.pack(">I", 0x3FFFFFFF)
    with av.open(io.BytesIO(bytes(data))) as container:
        declared = container.streams.audio[0].frames
    assert declared > 0
    for fn in (torchsound.load, torchsound.info):
        with pytest.raises(AudioFileError, match=rf"buffer>: FFmpeg decoded no audio although the file declares {declared} packets"):
            fn(bytes(data))
    assert torchsound.load(good, num_frames=0)[0].shape == (2, 0)  # asking for nothing is not an error


def test_audio_file_error_is_public_and_is_what_load_raises():
    import torchsound.io

    with pytest.raises(torchsound.io.AudioFileError, match="<BytesIO>"):
        torchsound.io.load(io.BytesIO(b"not audio at all"))
    assert issubclass(torchsound.io.AudioFileError, OSError) and issubclass(torchsound.io.AudioFileError, RuntimeError)
