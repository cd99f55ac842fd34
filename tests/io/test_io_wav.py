"""Native WAV reader/writer against soundfile (libsndfile), the sox binary and Python's wave module."""

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

# (torchsound encoding, bits) -> libsndfile subtype of the same file.
WAV_ENCODINGS = {
    ("PCM_U", 8): "PCM_U8", ("PCM_S", 16): "PCM_16", ("PCM_S", 24): "PCM_24", ("PCM_S", 32): "PCM_32",
    ("PCM_F", 32): "FLOAT", ("PCM_F", 64): "DOUBLE", ("ULAW", 8): "ULAW", ("ALAW", 8): "ALAW",
}
# Largest error of one float -> integer -> float round trip (half a step; a full step at +1, which clips).
STEP = {8: 2**-7, 16: 2**-15, 24: 2**-23, 32: 2**-31}


def _sf_read(path, dtype="float32", **kw):
    data, sr = soundfile.read(path, dtype=dtype, always_2d=True, **kw)
    return torch.from_numpy(data.T.copy()), sr


@pytest.mark.parametrize("encoding,bits", list(WAV_ENCODINGS))
def test_save_every_encoding_reads_back_in_soundfile(tmp_path, encoding, bits):
    x = make_noise(2, 0.05, 8000) * 1.8  # [-0.9, 0.9)
    path = tmp_path / "x.wav"
    torchsound.save(path, x, 8000, encoding=encoding, bits_per_sample=bits)
    meta = soundfile.info(str(path))
    assert (meta.subtype, meta.samplerate, meta.channels, meta.frames) == (WAV_ENCODINGS[(encoding, bits)], 8000, 2, 400)
    ref, _ = _sf_read(str(path))
    ours, sr = torchsound.load(path)
    assert sr == 8000 and ours.dtype == torch.float32
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)
    if encoding in ("PCM_S", "PCM_U"):  # nearest level: round(x * 2**(bits-1)) / 2**(bits-1)
        expected = torch.round(x.double() * 2 ** (bits - 1)) / 2 ** (bits - 1)
        torch.testing.assert_close(ours.double(), expected, rtol=0, atol=1e-12)
    elif encoding == "PCM_F":
        torch.testing.assert_close(ours, x, rtol=0, atol=0)
    else:  # G.711 companding: the top segment's step is 1/32 of full scale
        assert (ours - x).abs().max() < 2**-5


@pytest.mark.parametrize("encoding", ["u-law", "a-law"])
def test_g711_encoder_matches_sox(tmp_path, encoding):
    ramp = torch.arange(-32768, 32768, dtype=torch.int16).unsqueeze(0)
    (tmp_path / "ramp.raw").write_bytes(ramp.numpy().tobytes())
    subprocess.run(["sox", "-D", "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1", str(tmp_path / "ramp.raw"),
                    "-t", "raw", "-e", encoding, str(tmp_path / "sox.raw")], check=True, capture_output=True)
    torchsound.save(tmp_path / "ours.wav", ramp, 8000, encoding="ULAW" if encoding == "u-law" else "ALAW")
    ours = (tmp_path / "ours.wav").read_bytes()[-65536:]
    assert ours == (tmp_path / "sox.raw").read_bytes()


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW"])
@pytest.mark.parametrize("container", ["WAV", "WAVEX", "RF64"])
def test_load_files_written_by_libsndfile(tmp_path, subtype, container):
    x = make_noise(3, 0.02, 16000).numpy().T * 1.5
    path = str(tmp_path / "sf.wav")
    soundfile.write(path, x, 16000, subtype=subtype, format=container)
    meta = torchsound.info(path)
    assert (meta.sample_rate, meta.num_frames, meta.num_channels) == (16000, 320, 3)
    ref, _ = _sf_read(path)
    ours, _ = torchsound.load(path)
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)
    if container == "RF64":
        assert open(path, "rb").read(4) == b"RF64"


@pytest.mark.parametrize("args,dtype,encoding,bits", [
    (["-e", "unsigned", "-b", "8"], torch.uint8, "PCM_U", 8),
    (["-e", "signed", "-b", "16"], torch.int16, "PCM_S", 16),
    (["-e", "signed", "-b", "24"], torch.int32, "PCM_S", 24),
    (["-e", "signed", "-b", "32"], torch.int32, "PCM_S", 32),
    (["-e", "float", "-b", "32"], torch.float32, "PCM_F", 32),
    (["-e", "u-law"], torch.int16, "ULAW", 8),
    (["-e", "a-law"], torch.int16, "ALAW", 8),
])
def test_load_files_written_by_sox(tmp_path, args, dtype, encoding, bits):
    path = str(tmp_path / "sox.wav")
    subprocess.run(["sox", "-n", "-r", "11025", "-c", "2", *args, path, "synth", "0.1", "sine", "300", "sine", "440"],
                   check=True, capture_output=True)
    out = subprocess.run(["sox", "--i", "-s", path], check=True, capture_output=True, text=True).stdout
    meta = torchsound.info(path)
    assert (meta.sample_rate, meta.num_channels, meta.encoding, meta.bits_per_sample) == (11025, 2, encoding, bits)
    assert meta.num_frames == int(out)
    raw, sr = torchsound.load(path, normalize=False)
    assert raw.dtype == dtype and raw.shape == (2, meta.num_frames)
    norm, _ = torchsound.load(path)
    torch.testing.assert_close(norm, _sf_read(path)[0], rtol=0, atol=0)
    if dtype == torch.int16 and encoding == "PCM_S":
        torch.testing.assert_close(raw, _sf_read(path, "int16")[0], rtol=0, atol=0)
    if dtype == torch.int32:  # 24-bit comes back left-aligned in int32, as libsndfile's int32 read
        torch.testing.assert_close(raw, _sf_read(path, "int32")[0], rtol=0, atol=0)
    if dtype == torch.uint8:
        torch.testing.assert_close((raw.float() - 128) / 128, norm, rtol=0, atol=0)


def test_python_wave_module_agrees(tmp_path):
    x = (make_noise(2, 0.1, 22050) * 20000).to(torch.int16)
    path = str(tmp_path / "w.wav")
    torchsound.save(path, x, 22050)
    with wave.open(path) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (2, 2, 22050, x.shape[1])
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2).T
    assert np.array_equal(data, x.numpy())  # integer input written as-is
    with wave.open(str(tmp_path / "py.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(x[0].numpy().astype("<i2").tobytes())
    loaded, sr = torchsound.load(tmp_path / "py.wav", normalize=False)
    assert sr == 8000 and torch.equal(loaded, x[:1])


@pytest.mark.parametrize("offset,count", [(0, -1), (100, 50), (0, 1), (1599, -1), (1500, 500), (1600, 10), (5000, -1)])
@pytest.mark.parametrize("source", ["path", "bytes", "fileobj"])
def test_frame_offset_and_num_frames(tmp_path, offset, count, source):
    x = make_noise(2, 0.1, 16000)
    path = tmp_path / "x.wav"
    torchsound.save(path, x, 16000, bits_per_sample=24)
    uri = {"path": path, "bytes": path.read_bytes(), "fileobj": io.BytesIO(path.read_bytes())}[source]
    ours, _ = torchsound.load(uri, frame_offset=offset, num_frames=count)
    full, _ = _sf_read(str(path))
    end = None if count < 0 else offset + count
    torch.testing.assert_close(ours, full[:, offset:end], rtol=0, atol=0)


def test_channels_first_false_and_native_dtypes(tmp_path):
    x = (make_noise(3, 0.01, 8000) * 60000).to(torch.int32) << 8
    torchsound.save(tmp_path / "x.wav", x, 8000)  # int32 -> 32-bit PCM
    raw, _ = torchsound.load(tmp_path / "x.wav", normalize=False, channels_first=False)
    assert raw.shape == (80, 3) and raw.dtype == torch.int32 and torch.equal(raw, x.T)
    torchsound.save(tmp_path / "y.wav", x, 8000, bits_per_sample=16)  # int32 -> 16 bits by shifting, not clipping
    y, _ = torchsound.load(tmp_path / "y.wav", normalize=False)
    assert torch.equal(y, (x >> 16).to(torch.int16))


def test_rf64_header_written_for_large_data_reads_back(tmp_path):
    from torchsound.io import _wav

    x = make_noise(2, 0.01, 8000)
    path = tmp_path / "r.wav"
    with open(path, "wb") as f:
        _wav.write(f, x.T, 8000, "pcm", 16, rf64=True)  # as a > 4 GiB file is written, on small data
    assert path.read_bytes()[:4] == b"RF64"
    assert soundfile.info(str(path)).frames == 80
    torch.testing.assert_close(torchsound.load(path)[0], _sf_read(str(path))[0], rtol=0, atol=0)
    # the size decision itself: a header for 5 GiB of audio switches to RF64 with a ds64 chunk
    header = _wav.header_bytes(48000, 2, "pcm", 16, num_frames=5 * 2**30 // 4)
    assert header[:4] == b"RF64" and header[12:16] == b"ds64"


def _chunk(chunk_id: bytes, body: bytes) -> bytes:
    return chunk_id + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


def test_unusual_chunk_layouts(tmp_path):
    """Odd-sized chunks with padding, a LIST chunk before the data, fmt after data, trailing chunks."""
    x = (make_noise(2, 0.01, 8000) * 60000).to(torch.int16)
    pcm = x.T.contiguous().numpy().astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 2, 8000, 8000 * 4, 4, 16)
    layouts = {
        "list_first": [_chunk(b"LIST", b"INFOISFT\x05\x00\x00\x00odd!\x00"), _chunk(b"fmt ", fmt), _chunk(b"data", pcm)],
        "fmt_after_data": [_chunk(b"data", pcm), _chunk(b"fmt ", fmt)],
        "trailing_junk": [_chunk(b"fmt ", fmt), _chunk(b"data", pcm), _chunk(b"id3 ", b"\x01" * 33)],
    }
    for name, chunks in layouts.items():
        body = b"WAVE" + b"".join(chunks)
        data = b"RIFF" + struct.pack("<I", len(body)) + body
        loaded, sr = torchsound.load(data, normalize=False)
        assert sr == 8000 and torch.equal(loaded, x), name
        assert torchsound.info(data).num_frames == x.shape[1]


def test_streaming_header_with_unknown_data_size(tmp_path):
    x = make_noise(1, 0.01, 8000)
    buf = io.BytesIO()
    torchsound.save(buf, x, 8000, format="wav")
    data = bytearray(buf.getvalue())
    data[40:44] = b"\xff\xff\xff\xff"  # what a recorder writes before it knows the length
    loaded, _ = torchsound.load(bytes(data))
    torch.testing.assert_close(loaded, torch.round(x * 32768) / 32768, rtol=0, atol=0)


def test_extensible_with_fewer_valid_bits(tmp_path):
    path = str(tmp_path / "x20.wav")
    x = make_noise(2, 0.01, 8000).numpy().T
    soundfile.write(path, x, 8000, subtype="PCM_24", format="WAVEX")
    data = bytearray(open(path, "rb").read())
    at = data.index(b"fmt ") + 8 + 18  # wValidBitsPerSample
    data[at : at + 2] = struct.pack("<H", 20)
    meta = torchsound.info(bytes(data))
    assert meta.bits_per_sample == 20 and meta.encoding == "PCM_S"
    torch.testing.assert_close(torchsound.load(bytes(data))[0], _sf_read(path)[0], rtol=0, atol=0)


# ----------------------------------------------------------------------------- streamed and corrupt headers


def _sox_raw(path_or_bytes, *fmt) -> np.ndarray:
    """The int16 samples sox decodes from a WAV (bytes are fed through its stdin), (time, channel)."""
    src = ["-"] if isinstance(path_or_bytes, bytes) else [str(path_or_bytes)]
    out = subprocess.run(["sox", *fmt, *src, "-t", "raw", "-e", "signed", "-b", "16", "-"],
                         input=path_or_bytes if isinstance(path_or_bytes, bytes) else None, capture_output=True, check=True)
    return np.frombuffer(out.stdout, "<i2")


def test_wav_piped_by_sox_loads_to_the_end(tmp_path):
    # sox writing to a pipe can't go back to fix the header: it leaves data size 0x7FFFF000.
    raw = (make_noise(2, 0.3, 8000) * 60000).to(torch.int16).T.contiguous().numpy().tobytes()
    proc = subprocess.Popen(["sox", "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "2", "-", "-t", "wav", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdin.write(raw)
    proc.stdin.close()
    loaded, sr = torchsound.load(proc.stdout, normalize=False)  # straight from the pipe
    proc.wait()
    expected = torch.from_numpy(np.frombuffer(raw, "<i2").reshape(-1, 2).T.copy())
    assert sr == 8000 and torch.equal(loaded, expected)


@pytest.mark.parametrize("bits,channels", [(24, 1), (24, 3), (32, 3), (16, 3)])
def test_wav_piped_by_sox_with_odd_frame_sizes(tmp_path, bits, channels):
    # For frames that don't divide 0x7FFFF000 sox rounds the placeholder down (0x7FFFEFFF for 24-bit mono).
    piped = subprocess.run(f"sox -n -b {bits} -c {channels} -r 8000 -t wav - synth 0.1 sine 440 | cat",
                           shell=True, check=True, capture_output=True).stdout
    size = int.from_bytes(piped[piped.index(b"data") + 4:][:4], "little")
    assert size > len(piped) and size <= 0x7FFFF000  # really a placeholder, not the true size
    loaded, sr = torchsound.load(piped)
    assert sr == 8000 and loaded.shape == (channels, 800)
    ref = _sox_raw(piped, "-D").reshape(-1, channels).T / 32768.0  # sox decodes its own stream to 16 bits, undithered
    torch.testing.assert_close(loaded, torch.from_numpy(ref).float(), rtol=0, atol=1 / 32768)


def test_wav_piped_by_ffmpeg_loads_to_the_end():
    # FFmpeg writing to a non-seekable output leaves the RIFF and data sizes at 0xFFFFFFFF.
    av = pytest.importorskip("av")

    class Pipe:  # write-only and not seekable, like a pipe
        def __init__(self):
            self.data = bytearray()

        def write(self, b):
            self.data += b
            return len(b)

    x = (make_noise(1, 0.2, 16000) * 60000).to(torch.int16).numpy()
    sink = Pipe()
    with av.open(sink, "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(x, format="s16", layout="mono")
        frame.sample_rate = 16000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    data = bytes(sink.data)
    assert data[data.index(b"data") + 4 :][:4] == b"\xff\xff\xff\xff"
    with av.open(io.BytesIO(data)) as container:  # FFmpeg's own reading of its stream
        ref = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)
    for src in (data, io.BytesIO(data)):
        loaded, _ = torchsound.load(src, normalize=False)
        assert torch.equal(loaded, torch.from_numpy(ref))
        assert torchsound.info(src if isinstance(src, bytes) else io.BytesIO(data)).num_frames == ref.shape[1]


@pytest.mark.parametrize("placeholder", [0xFFFFFFFF, 0x7FFFF000])
def test_placeholder_data_size_without_data_is_an_error(placeholder):
    buf = io.BytesIO()
    torchsound.save(buf, make_noise(1, 0.01, 8000), 8000, format="wav")
    header = bytearray(buf.getvalue()[:44])
    header[40:44] = struct.pack("<I", placeholder)
    for fn in (torchsound.load, torchsound.info):
        with pytest.raises(torchsound.io._source.AudioFileError,
                           match=rf"buffer>: WAV header gives a placeholder data size \(0x{placeholder:X}\) and no audio data"):
            fn(bytes(header))


def test_corrupt_chunk_walk_is_bounded(tmp_path):
    # A fmt chunk, then 4 MiB of zeros: 8-byte "chunks" with no data chunk anywhere. The walk used to
    # take one file open per 8-byte step (18 s for this file); it now stops after a bounded number of reads.
    data = (b"RIFF" + struct.pack("<I", 4 << 20) + b"WAVE" + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
            + bytes(4 << 20))

    class Counting(io.BytesIO):
        reads = 0

        def read(self, n=-1):
            Counting.reads += 1
            return super().read(n)

    with pytest.raises(torchsound.io._source.AudioFileError, match=r"<Counting>: corrupt WAV header: no data chunk among"):
        torchsound.info(Counting(data))
    assert Counting.reads < 10_000  # a few per chunk, with the chunk count capped (was 524,292)
    path = tmp_path / "corrupt.wav"
    path.write_bytes(data)
    with pytest.raises(torchsound.io._source.AudioFileError, match=r"corrupt\.wav: corrupt WAV header: no data chunk"):
        torchsound.load(path)


def test_two_thousand_channels_load_back(tmp_path):
    x = make_noise(2000, 0.005, 8000)
    path = tmp_path / "many.wav"
    torchsound.save(path, x, 8000)
    ref = _sox_raw(path).reshape(-1, 2000).T  # sox decodes it as the reference
    meta = torchsound.info(path)
    assert (meta.num_channels, meta.num_frames) == (2000, 40)
    loaded, _ = torchsound.load(path, normalize=False)
    assert torch.equal(loaded, torch.from_numpy(ref.copy()))
