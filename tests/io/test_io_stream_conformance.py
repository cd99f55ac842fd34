"""StreamReader / StreamWriter behaviours torchaudio 2.8 had (issue 13 "Streams"/"Encoders", issue 14), checked
against FFmpeg itself (PyAV), libsndfile (soundfile) and the stdlib ``wave`` module."""

import io
import wave

import av
import numpy as np
import pytest
import soundfile
import torch

import torchsound
from conftest import make_noise, make_sweep, snr_db
from torchsound.io import StreamReader, StreamWriter


def _rows(frame):
    """A decoded PyAV frame as (time, channel)."""
    data = frame.to_ndarray()
    return data.T if frame.format.is_planar else data.reshape(-1, frame.layout.nb_channels)


def _pyav_stream_facts(path):
    """What FFmpeg says about a file's first audio stream: what torchaudio's get_src_stream_info reported."""
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        ctx = s.codec_context
        return (ctx.codec.canonical_name, ctx.codec.long_name, ctx.format.name, s.frames, float(ctx.sample_rate),
                ctx.layout.nb_channels)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conf")
    x = make_sweep(0.5, 16000, f0=50, f1=6000).float().repeat(2, 1) * 0.8
    out = {}
    for name, kwargs in {"s16.wav": {}, "u8.wav": {"encoding": "PCM_U", "bits_per_sample": 8},
                         "s24.wav": {"bits_per_sample": 24}, "f32.wav": {"encoding": "PCM_F"},
                         "ulaw.wav": {"encoding": "ULAW"}, "s16.flac": {}, "s24.flac": {"bits_per_sample": 24},
                         "x.ogg": {}, "x.mp3": {}, "x.opus": {}, "x.m4a": {}, "s16.aiff": {}}.items():
        out[name] = folder / name
        torchsound.save(out[name], x, 16000 if name != "x.opus" else 16000, **kwargs)
    return out


@pytest.mark.parametrize("name", ["s16.wav", "u8.wav", "s24.wav", "f32.wav", "ulaw.wav", "s16.flac", "s24.flac",
                                  "x.ogg", "x.mp3", "x.opus", "x.m4a", "s16.aiff"])
def test_source_stream_info_is_ffmpegs(files, name):
    info = StreamReader(str(files[name])).get_src_stream_info(0)
    got = (info.codec, info.codec_long_name, info.format, info.num_frames, info.sample_rate, info.num_channels)
    assert got == _pyav_stream_facts(files[name])
    assert isinstance(info.num_frames, int)  # 0 where the container does not say, never None
    if name.endswith(".wav"):
        with av.open(str(files[name])) as c:
            assert info.bit_rate == c.streams.audio[0].bit_rate


def test_unsigned_8bit_wav_streams_as_uint8(files):
    reader = StreamReader(str(files["u8.wav"]))
    reader.add_basic_audio_stream(frames_per_chunk=-1, buffer_chunk_size=-1, format=None)
    reader.process_all_packets()
    (chunk,) = reader.pop_chunks()
    with wave.open(str(files["u8.wav"])) as w:
        raw = np.frombuffer(w.readframes(w.getnframes()), np.uint8).reshape(-1, 2)
    assert chunk.dtype == torch.uint8
    assert np.array_equal(chunk.numpy(), raw)


@pytest.mark.parametrize("name", ["s16.wav", "s24.wav", "f32.wav", "ulaw.wav", "s16.flac", "s24.flac", "s16.aiff"])
def test_native_format_equals_ffmpeg_decode(files, name):
    # format=None keeps FFmpeg's decoded sample format: s24 left-aligned in s32, mu-law decoded to s16
    reader = StreamReader(str(files[name]))
    reader.add_basic_audio_stream(frames_per_chunk=-1, buffer_chunk_size=-1, format=None)
    reader.process_all_packets()
    (chunk,) = reader.pop_chunks()
    with av.open(str(files[name])) as c:
        ref = np.concatenate([f.to_ndarray().reshape(-1, 2) for f in c.decode(audio=0)])
    assert chunk.numpy().dtype == ref.dtype and np.array_equal(chunk.numpy(), ref)


def test_default_audio_stream_is_ffmpegs_best(tmp_path):
    path = tmp_path / "two.mp4"
    with av.open(str(path), "w") as c:  # an 8 kHz stream first, then a 16 kHz one
        streams = [c.add_stream("aac", rate=rate, layout="mono") for rate in (8000, 16000)]
        streams[1].disposition = av.stream.Disposition.default  # the file's default track: FFmpeg's first criterion
        for s in streams:
            rate = s.codec_context.sample_rate
            s.codec_context.bit_rate = 4 * rate  # the wider band at the higher bit rate, as in real files
            noise = make_noise(1, 1.0, rate).numpy()
            frame = av.AudioFrame.from_ndarray(noise, format="flt", layout="mono")
            frame.sample_rate, frame.pts = rate, 0
            for p in list(s.encode(frame)) + list(s.encode(None)):
                c.mux(p)
    with av.open(str(path)) as c:
        best = c.streams.best("audio").index  # av_find_best_stream
    assert best == 1
    reader = StreamReader(str(path))
    assert reader.default_audio_stream == best
    assert reader.get_src_stream_info(reader.default_audio_stream).sample_rate == 16000


def test_file_object_with_only_sized_read(files):
    data = files["s16.flac"].read_bytes()

    class SizedReadOnly:
        def __init__(self):
            self.pos = 0

        def read(self, n):  # no default: read() without a size raises TypeError
            chunk = data[self.pos : self.pos + n]
            self.pos += len(chunk)
            return chunk

    reader = StreamReader(SizedReadOnly())
    reader.add_basic_audio_stream(frames_per_chunk=1000)
    out = torch.cat([c for (c,) in reader.stream()])
    expected = soundfile.read(str(files["s16.flac"]), dtype="float32")[0]
    torch.testing.assert_close(out, torch.from_numpy(expected), rtol=0, atol=0)


def test_process_packet_without_output_and_pop_chunks_list(files):
    reader = StreamReader(str(files["s16.wav"]))
    assert reader.process_packet() == 0  # a packet read and dropped, as FFmpeg does
    while reader.process_packet() == 0:
        pass
    assert reader.process_packet() == 1
    reader = StreamReader(str(files["s16.wav"]))
    reader.add_basic_audio_stream(frames_per_chunk=100)
    reader.fill_buffer()
    chunks = reader.pop_chunks()
    assert isinstance(chunks, list) and len(chunks) == 1 and chunks[0].shape == (100, 2)


@pytest.mark.parametrize("name", ["x.mp3", "s16.wav"])
def test_decoder_options(files, name):
    reader = StreamReader(str(files[name]))
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['no_such_option'\]") as caught:
        reader.add_basic_audio_stream(100, decoder_option={"no_such_option": "1"})
    assert isinstance(caught.value, RuntimeError)  # torchaudio raised RuntimeError
    reader.add_basic_audio_stream(100, decoder_option={"threads": "1"})  # a generic AVCodecContext option
    out = torch.cat([c for (c,) in reader.stream()])
    with av.open(str(files[name])) as c:
        ref = np.concatenate([_rows(f) for f in c.decode(audio=0)])
    assert out.shape == ref.shape


# ----------------------------------------------------------------------------- encoders

def test_ogg_vorbis_three_channels(tmp_path):
    x = make_sweep(1.0, 16000, f0=100, f1=3000).float().repeat(3, 1) * torch.tensor([[1.0], [0.5], [0.25]])
    path = tmp_path / "three.ogg"
    w = StreamWriter(str(path))
    w.add_audio_stream(16000, 3, encoder="vorbis")
    with w:
        w.write_audio_chunk(0, x.T.contiguous())
    got, sr = soundfile.read(str(path), dtype="float32", always_2d=True)
    assert sr == 16000 and got.shape == (16000, 3)
    for ch in range(3):
        assert snr_db(x[ch].numpy(), got[:, ch]) > 15


def test_ffmpeg_vorbis_beyond_two_channels_is_a_clear_error(tmp_path):
    w = StreamWriter(str(tmp_path / "three.ogg"))
    w.add_audio_stream(16000, 3, encoder="vorbis", filter_desc="volume=0.5")  # needs FFmpeg's encoder
    with pytest.raises(ValueError, match=r"encoder 'vorbis' takes at most 2 channel"):
        w.open()
    assert list(tmp_path.iterdir()) == []


def test_ogg_flac_reads_back_exactly(tmp_path):
    x = (make_noise(2, 0.5, 16000) * 2**15).to(torch.int16)
    buffer = io.BytesIO()
    w = StreamWriter(buffer, format="ogg")
    w.add_audio_stream(16000, 2, format="s16", encoder="flac")
    with w:
        w.write_audio_chunk(0, x.T.contiguous())
    with av.open(io.BytesIO(buffer.getvalue())) as c:
        assert c.streams.audio[0].codec_context.name == "flac"
        ref = np.concatenate([f.to_ndarray().reshape(-1, 2) for f in c.decode(audio=0)])
    assert np.array_equal(ref, x.T.numpy())
    reader = StreamReader(buffer.getvalue())
    reader.add_basic_audio_stream(frames_per_chunk=-1, buffer_chunk_size=-1, format="s16")
    reader.process_all_packets()
    (chunk,) = reader.pop_chunks()
    assert torch.equal(chunk, x.T)


def test_opus_at_8khz_and_a_clear_error_at_44khz(tmp_path):
    x = make_sweep(1.0, 8000, f0=100, f1=3000).float()
    path = tmp_path / "x.opus"
    w = StreamWriter(str(path), format="ogg")
    w.add_audio_stream(8000, 1, encoder="opus")
    with w:
        w.write_audio_chunk(0, x.T.contiguous())
    with av.open(str(path)) as c:
        assert c.streams.audio[0].codec_context.name == "opus"
    w = StreamWriter(str(tmp_path / "y.opus"), format="ogg")
    w.add_audio_stream(44100, 1, encoder="opus")
    with pytest.raises(ValueError, match=r"takes sample rates \[8000, 12000, 16000, 24000, 48000\], got 44100; "
                                         r"pass encoder_sample_rate"):
        w.open()
    w = StreamWriter(str(tmp_path / "z.opus"), format="ogg")  # resampled for the encoder when asked
    w.add_audio_stream(44100, 1, encoder="opus", encoder_sample_rate=48000)
    with w:
        w.write_audio_chunk(0, make_sweep(1.0, 44100, f0=100, f1=3000).float().T.contiguous())
    assert torchsound.info(tmp_path / "z.opus").num_frames == pytest.approx(48000, abs=960)


def test_mp3_in_memory(tmp_path):
    x = make_sweep(1.0, 16000, f0=100, f1=3000).float()
    buffer = io.BytesIO()
    w = StreamWriter(buffer, format="mp3")
    w.add_audio_stream(16000, 1)
    with w:
        w.write_audio_chunk(0, x.T.contiguous())
    (tmp_path / "x.mp3").write_bytes(buffer.getvalue())
    with av.open(str(tmp_path / "x.mp3")) as c:
        assert c.streams.audio[0].codec_context.codec.canonical_name == "mp3"
        ref = np.concatenate([_rows(f) for f in c.decode(audio=0)])
    assert abs(ref.shape[0] - 16000) <= 1152 and snr_db(x[0].numpy(), ref[:16000, 0]) > 10


def test_raw_mulaw_against_libsndfile():
    x = make_noise(2, 0.25, 8000)
    buffer = io.BytesIO()
    w = StreamWriter(buffer, format="mulaw")
    w.add_audio_stream(8000, 2)
    with w:
        w.write_audio_chunk(0, x.T.contiguous())
    data = buffer.getvalue()
    assert len(data) == 2 * 2000  # one byte a sample, no header
    ref, _ = soundfile.read(io.BytesIO(data), format="RAW", subtype="ULAW", samplerate=8000, channels=2, dtype="float32")
    assert np.abs(ref - x.T.numpy()).max() < 2 ** -5  # G.711: within a step of the 8-bit log code
    reader = StreamReader(data, format="mulaw", option={"sample_rate": "8000", "ch_layout": "stereo"})
    reader.add_basic_audio_stream(frames_per_chunk=-1, buffer_chunk_size=-1)
    reader.process_all_packets()
    (chunk,) = reader.pop_chunks()
    torch.testing.assert_close(chunk, torch.from_numpy(ref), rtol=0, atol=0)


def test_opus_container_at_unsupported_rate(tmp_path):
    w = StreamWriter(str(tmp_path / "x.opus"))
    w.add_audio_stream(44100, 1)
    with pytest.raises(ValueError, match=r"cannot write opus at 44100 Hz .*Opus only supports sample rates.*encoder_sample_rate"):
        w.open()
    assert list(tmp_path.iterdir()) == []
    w = StreamWriter(str(tmp_path / "x.opus"))
    w.add_audio_stream(44100, 1, encoder_sample_rate=16000)
    with w:
        w.write_audio_chunk(0, make_sweep(0.5, 44100, f0=100, f1=3000).float().T.contiguous())
    meta = soundfile.info(str(tmp_path / "x.opus"))
    assert meta.format == "OGG" and meta.subtype == "OPUS"
