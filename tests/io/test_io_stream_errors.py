"""StreamReader never ends early in silence: a source that fails halfway raises AudioFileError naming the file and
the position; errors from the file object, libsndfile, FFmpeg and numpy are wrapped the same way (issue 14)."""

import io
import struct
import subprocess
import wave

import numpy as np
import pytest
import soundfile
import torch

import torchsound
from conftest import make_noise
from torchsound.io import StreamReader
from torchsound.io._source import AudioFileError


def _read_all(src):
    reader = StreamReader(src)
    reader.add_basic_audio_stream(frames_per_chunk=4096)
    return sum(c.shape[0] for (c,) in reader.stream())


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("errs")
    x = make_noise(2, 1.0, 48000) * 0.5
    out = {}
    for fmt in ("wav", "flac", "mp3", "ogg"):
        torchsound.save(folder / f"x.{fmt}", x, 48000)
        out[fmt] = (folder / f"x.{fmt}").read_bytes()
    return out


class FailingFile(io.BytesIO):
    """A seekable file object whose reads raise ``exc`` past ``limit`` bytes (a network share going away)."""

    name = "failing-share.flac"

    def __init__(self, data, limit, exc):
        super().__init__(data)
        self.limit, self.exc = limit, exc

    def read(self, n=-1):
        if self.tell() + max(n, 1) > self.limit:
            raise self.exc
        return super().read(n)

    def readinto(self, buffer):
        if self.tell() + len(buffer) > self.limit:
            raise self.exc
        return super().readinto(buffer)


def test_truncated_flac_raises_with_file_and_position(encoded, tmp_path):
    path = tmp_path / "cut.flac"
    path.write_bytes(encoded["flac"][: len(encoded["flac"]) * 2 // 3])
    # the reference: libsndfile finds the file damaged too (it reads fewer frames than STREAMINFO promises, or fails)
    try:
        decoded = len(soundfile.read(str(path))[0])
    except soundfile.LibsndfileError:
        decoded = -1
    assert decoded < 48000
    with pytest.raises(AudioFileError, match=r"cut\.flac: decoding failed at frame \d+ \(\d\.\d+ s\)"):
        _read_all(str(path))


def test_truncated_mp3_raises_like_load(encoded, tmp_path):
    path = tmp_path / "cut.mp3"
    path.write_bytes(encoded["mp3"][: len(encoded["mp3"]) // 2])
    with pytest.raises(AudioFileError, match="truncated"):
        torchsound.load(path)
    with pytest.raises(AudioFileError, match=r"cut\.mp3: .*truncated file"):  # from the same check as load's
        _read_all(str(path))


@pytest.mark.parametrize("fmt", ["wav", "flac"])
@pytest.mark.parametrize("exc", [OSError("the share went away"), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad byte")],
                         ids=["OSError", "UnicodeDecodeError"])
def test_file_object_failing_halfway(encoded, fmt, exc):
    data = encoded[fmt]
    assert _read_all(io.BytesIO(data)) == 48000  # the same object without the failure reads whole
    with pytest.raises(AudioFileError, match=r"failing-share\.flac: decoding failed at frame \d+") as caught:
        _read_all(FailingFile(data, len(data) // 2, exc))
    assert str(exc) in str(caught.value) or "reading the file failed" in str(caught.value)


def test_file_object_failing_at_open_names_it(encoded):
    with pytest.raises(AudioFileError, match=r"failing-share\.flac: .*the share went away"):
        _read_all(FailingFile(encoded["mp3"], 100, OSError("the share went away")))


def test_mp3_changing_channel_count(encoded):
    mono, stereo = io.BytesIO(), io.BytesIO()
    torchsound.save(mono, make_noise(1, 0.5, 48000) * 0.5, 48000, format="mp3")
    torchsound.save(stereo, make_noise(2, 0.5, 48000) * 0.5, 48000, format="mp3")
    joined = mono.getvalue() + stereo.getvalue()
    # StreamReader decodes it as load does: the same samples, or the same kind of error
    try:
        loaded = torchsound.load(joined)[0]
    except AudioFileError as err:
        loaded = err
    if isinstance(loaded, AudioFileError):
        with pytest.raises(AudioFileError, match="channels"):
            _read_all(joined)
    else:
        reader = StreamReader(joined)
        reader.add_basic_audio_stream(frames_per_chunk=4096)
        streamed = torch.cat([c for (c,) in reader.stream()])
        torch.testing.assert_close(streamed.T, loaded, rtol=0, atol=0)
    # FFmpeg (asked for through decoder=) hands out frames of both layouts: a clear error, not numpy's ValueError
    reader = StreamReader(joined)
    reader.add_basic_audio_stream(frames_per_chunk=4096, decoder="mp3float")
    with pytest.raises(AudioFileError, match=r"byte buffer>: decoding failed at frame \d+ .*changes from \d to \d channels"):
        for _ in reader.stream():
            pass


def test_stream_without_decoder_is_a_clear_error(tmp_path):
    # A WAVE format tag no decoder knows: FFmpeg lists the stream but has no codec context for it.
    fmt = struct.pack("<HHIIHH", 0x1234, 1, 8000, 16000, 2, 16)
    data = b"\x01\x02" * 4000
    path = tmp_path / "unknown.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE" + b"fmt "
                     + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data)
    reader = StreamReader(str(path))
    assert reader.get_src_stream_info(0).media_type == "audio"
    with pytest.raises(AudioFileError, match=r"unknown\.wav: FFmpeg has no decoder for audio stream 0"):
        reader.add_basic_audio_stream(100)
    with pytest.raises(AudioFileError, match=r"unknown\.wav: decoding failed at frame 0"):
        reader.process_packet()


def test_wav_from_a_sox_pipe_streams_like_load():
    # sox writing to a pipe leaves a placeholder size in the header: read to the end of the data, as load and FFmpeg do
    piped = subprocess.run(["sox", "-n", "-r", "8000", "-b", "16", "-t", "wav", "-", "synth", "0.5", "sine", "440"],
                           capture_output=True, check=True).stdout
    expected = len(piped[piped.index(b"data") + 8:]) // 2  # 16-bit mono: every byte after the data header
    assert expected == 4000  # what sox was asked for
    loaded, _ = torchsound.load(io.BytesIO(piped))
    assert loaded.shape == (1, expected) and _read_all(io.BytesIO(piped)) == expected


def test_stream_and_load_agree_on_wav_frame_count(tmp_path):
    path = tmp_path / "odd.wav"  # an odd data size with a trailing pad byte and a chunk after the data
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(1), w.setframerate(8000)
        w.writeframes((np.arange(1001) % 256).astype(np.uint8).tobytes())
    with open(path, "ab") as f:
        f.write(b"\x00LIST" + struct.pack("<I", 4) + b"INFO")
    loaded, _ = torchsound.load(path)
    with wave.open(str(path)) as w:
        assert loaded.shape[1] == w.getnframes() == 1001
    assert _read_all(str(path)) == 1001
