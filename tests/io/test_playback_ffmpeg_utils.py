"""io.play_audio and the ffmpeg_utils names answered from FFmpeg's own libraries (protocols, devices, build config).

References: FFmpeg itself. Devices are checked against torchaudio 2.8's definition (a format whose
``priv_class`` category is a device), read here straight from libavformat's structs; protocols against
what FFmpeg does when asked to open them; play_audio against what ALSA receives, recorded by ALSA's own
``file`` plugin (no sound card needed: the test writes an ALSA configuration and points
``ALSA_CONFIG_PATH`` at it).
"""

from __future__ import annotations

import ctypes
import os
import sys

import av
import numpy as np
import pytest
import soundfile
import torch

import torchsound
from torchsound.io import play_audio
from torchsound.utils import ffmpeg_utils

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads FFmpeg's libraries as PyAV's Linux wheel loads them")


# ----------------------------------------------------------------------------- build configuration

@linux_only
def test_build_config_is_libavcodec_configuration():
    lib = ffmpeg_utils._ffmpeg_library("avcodec")
    assert lib is not None
    lib.avcodec_configuration.restype = ctypes.c_char_p
    config = ffmpeg_utils.get_build_config()
    assert isinstance(config, str) and config == lib.avcodec_configuration().decode()
    # What the flags enable is there: external encoders PyAV lists.
    encoders = ffmpeg_utils.get_audio_encoders()
    for flag, encoder in [("--enable-libmp3lame", "libmp3lame"), ("--enable-libopus", "libopus"), ("--enable-libvorbis", "libvorbis")]:
        assert (flag in config.split()) == (encoder in encoders), flag


def test_ffmpeg_library_is_the_one_pyav_reports():
    for name in ("avcodec", "avformat", "avdevice"):
        lib = ffmpeg_utils._ffmpeg_library(name)
        if lib is None:
            assert not sys.platform.startswith("linux"), f"lib{name} not found on Linux"
            continue
        version = getattr(lib, f"{name}_version")
        version.restype = ctypes.c_uint
        v = version()
        assert (v >> 16, (v >> 8) & 0xFF, v & 0xFF) == tuple(av.library_versions[f"lib{name}"])


# ----------------------------------------------------------------------------- protocols

# FFmpeg's protocol names (its documentation and libavformat/protocols.c, FFmpeg 4 to 8); those this build
# lacks must be unknown to it. Names with "_" are left out: FFmpeg reads such a prefix as a file name.
FFMPEG_PROTOCOLS = ["async", "bluray", "cache", "concat", "concatf", "crypto", "data", "dtls", "fd", "ffrtmpcrypt",
                    "ffrtmphttp", "file", "ftp", "gopher", "gophers", "hls", "http", "httpproxy", "https", "icecast",
                    "ipfs", "ipns", "librist", "librtmp", "librtmpe", "librtmps", "librtmpt", "librtmpte",
                    "libsmbclient", "libsrt", "libssh", "libzmq", "md5", "mmsh", "mmst", "pipe", "prompeg", "rtmp",
                    "rtmpe", "rtmps", "rtmpt", "rtmpte", "rtmpts", "rtp", "sctp", "srtp", "subfile", "tcp", "tee",
                    "tls", "udp", "udplite", "unix", "amqp"]


def _open_error(url: str, mode: str) -> BaseException:
    """What FFmpeg raises when opening ``url`` (URLs here never reach the network: see the callers)."""
    try:
        if mode == "r":
            av.open(url, "r", timeout=1).close()
        else:
            container = av.open(url, "w", format="wav")
            container.add_stream("pcm_s16le", rate=8000, layout="mono")
            container.start_encoding()  # the output is opened here
    except Exception as err:  # noqa: BLE001 - the error is the result
        return err
    raise AssertionError(f"opening {url!r} for {mode!r} succeeded")


@linux_only
def test_protocol_lists_are_what_ffmpeg_opens():
    inputs, outputs = ffmpeg_utils.get_input_protocols(), ffmpeg_utils.get_output_protocols()
    for names in (inputs, outputs):
        assert isinstance(names, list) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names)
    assert {"file", "pipe"} <= set(inputs) & set(outputs)  # what torchsound itself reads and writes through
    for name in FFMPEG_PROTOCOLS:
        if name not in inputs and name not in outputs:  # FFmpeg does not know it: fails before any I/O
            assert isinstance(_open_error(f"{name}:x", "r"), av.error.ProtocolNotFoundError), name
        elif name not in inputs:  # known, but write-only: FFmpeg refuses to read it (before connecting)
            err = _open_error(f"{name}:x", "r")
            assert isinstance(err, av.error.OSError) and not isinstance(err, av.error.ProtocolNotFoundError), name
        elif name not in outputs:  # known, but read-only: FFmpeg refuses to write it
            err = _open_error(f"{name}:/nonexistent/x", "w")
            assert isinstance(err, av.error.OSError) and not isinstance(err, av.error.ProtocolNotFoundError), name
    # A protocol of each direction really works: write through md5 (output only), read through data (input only).
    assert "md5" in outputs and "data" in inputs


@linux_only
def test_listed_protocols_really_work(tmp_path):
    # "md5:" writes the MD5 of what is muxed to a file; "data:" reads a data URI; "subfile:" reads a byte range.
    x = (np.arange(800, dtype=np.int16) * 40).reshape(-1, 1)
    torchsound.save(tmp_path / "x.wav", torch.from_numpy(x.T.copy()), 8000, bits_per_sample=16)
    raw = (tmp_path / "x.wav").read_bytes()
    import base64
    import hashlib

    with av.open(f"data:audio/wav;base64,{base64.b64encode(raw).decode()}") as c:
        assert "data" in ffmpeg_utils.get_input_protocols()
        got = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    np.testing.assert_array_equal(got.reshape(-1), x.reshape(-1))
    with av.open(f"md5:{tmp_path / 'sum'}", "w", format="s16le") as c:
        assert "md5" in ffmpeg_utils.get_output_protocols()
        s = c.add_stream("pcm_s16le", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(x.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in [*s.encode(frame), *s.encode(None)]:
            c.mux(packet)
    assert (tmp_path / "sum").read_text().strip() == hashlib.md5(x.astype("<i2").tobytes()).hexdigest()


# ----------------------------------------------------------------------------- devices (torchaudio's definition)

class _AVClass(ctypes.Structure):  # the leading fields of FFmpeg's AVClass (stable since FFmpeg 4)
    _fields_ = [("class_name", ctypes.c_char_p), ("item_name", ctypes.c_void_p), ("option", ctypes.c_void_p),
                ("version", ctypes.c_int), ("log_level_offset_offset", ctypes.c_int),
                ("parent_log_context_offset", ctypes.c_int), ("category", ctypes.c_int)]


class _AVOutputFormat(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("long_name", ctypes.c_char_p), ("mime_type", ctypes.c_char_p),
                ("extensions", ctypes.c_char_p), ("audio_codec", ctypes.c_int), ("video_codec", ctypes.c_int),
                ("subtitle_codec", ctypes.c_int), ("flags", ctypes.c_int), ("codec_tag", ctypes.c_void_p),
                ("priv_class", ctypes.POINTER(_AVClass))]


class _AVInputFormat(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("long_name", ctypes.c_char_p), ("flags", ctypes.c_int),
                ("extensions", ctypes.c_char_p), ("codec_tag", ctypes.c_void_p), ("priv_class", ctypes.POINTER(_AVClass))]


# AVClassCategory: AV_CLASS_CATEGORY_DEVICE_{VIDEO,AUDIO,}_{OUTPUT,INPUT} (libavutil/log.h).
_OUTPUT_DEVICE, _INPUT_DEVICE = {40, 42, 44}, {41, 43, 45}


def _formats_by_kind(iterate_name: str, struct, device_categories) -> tuple:
    """(formats, devices) as torchaudio 2.8 split them (name -> long name), walking libavformat's own list."""
    lib = ffmpeg_utils._ffmpeg_library("avformat")
    iterate = getattr(lib, iterate_name)
    iterate.restype, iterate.argtypes = ctypes.POINTER(struct), [ctypes.POINTER(ctypes.c_void_p)]
    state, formats, devices = ctypes.c_void_p(), {}, {}
    while True:
        fmt = iterate(ctypes.byref(state))
        if not fmt:
            return formats, devices
        f = fmt.contents
        is_device = bool(f.priv_class) and f.priv_class.contents.category in device_categories
        # torchsound lists FFmpeg's comma-joined names ("mov,mp4,m4a,3gp,3g2,mj2") one per key. The first
        # format of a name wins, as in torchaudio (a std::map filled with emplace): "matroska" is not "Matroska Audio".
        for name in f.name.decode().split(","):
            (devices if is_device else formats).setdefault(name, (f.long_name or b"").decode())


@linux_only
def test_muxers_and_output_devices_split_as_torchaudio():
    muxers, devices = _formats_by_kind("av_muxer_iterate", _AVOutputFormat, _OUTPUT_DEVICE)
    assert ffmpeg_utils.get_output_devices() == devices and ffmpeg_utils.get_muxers() == muxers
    assert "alsa" in devices and "wav" in muxers  # PyAV's Linux wheels are built with ALSA


@linux_only
def test_demuxers_and_input_devices_split_as_torchaudio():
    demuxers, devices = _formats_by_kind("av_demuxer_iterate", _AVInputFormat, _INPUT_DEVICE)
    assert ffmpeg_utils.get_input_devices() == devices and ffmpeg_utils.get_demuxers() == demuxers
    assert "lavfi" in devices and "wav" in demuxers


def test_without_ffmpegs_libraries_devices_are_guessed_by_name(monkeypatch):
    # Where ctypes cannot reach libavdevice, known device names stand in: on this build they give the same split.
    exact = [ffmpeg_utils.get_input_devices(), ffmpeg_utils.get_output_devices(), ffmpeg_utils.get_demuxers(),
             ffmpeg_utils.get_muxers(), ffmpeg_utils._audio_output_devices()]
    monkeypatch.setattr(ffmpeg_utils, "_ffmpeg_library", lambda name: None)
    guessed = [ffmpeg_utils.get_input_devices(), ffmpeg_utils.get_output_devices(), ffmpeg_utils.get_demuxers(),
               ffmpeg_utils.get_muxers(), ffmpeg_utils._audio_output_devices()]
    assert guessed == exact
    with pytest.raises(RuntimeError, match="protocol list needs PyAV's libavformat"):
        ffmpeg_utils.get_input_protocols()


def test_clear_cuda_context_cache_is_a_noop(torchaudio28):
    import inspect

    import torio.utils.ffmpeg_utils as theirs  # the oracle's module (its FFmpeg extension is loaded lazily)

    assert inspect.signature(ffmpeg_utils.clear_cuda_context_cache).parameters == inspect.signature(theirs.clear_cuda_context_cache).parameters
    before = ffmpeg_utils.get_output_devices()
    assert ffmpeg_utils.clear_cuda_context_cache() is None
    assert ffmpeg_utils.get_output_devices() == before


# ----------------------------------------------------------------------------- play_audio

def _alsa_config(tmp_path, monkeypatch, body: str) -> None:
    conf = tmp_path / "asound.conf"
    conf.write_text(body)
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(conf))


def _record_alsa(tmp_path, monkeypatch):
    """ALSA's default PCM becomes its ``file`` plugin in front of ``null``: what is played lands in a WAV file."""
    played = tmp_path / "played.wav"
    _alsa_config(tmp_path, monkeypatch, f'pcm.!default {{ type file; slave.pcm "null"; file "{played}"; format "wav" }}\n'
                                        "pcm.null { type null }\n")
    return played


needs_alsa = pytest.mark.skipif("alsa" not in ffmpeg_utils._audio_output_devices(), reason="this FFmpeg build has no ALSA output device")


@needs_alsa
def test_play_int16_reaches_alsa_unchanged(tmp_path, monkeypatch, device):
    played = _record_alsa(tmp_path, monkeypatch)
    x = torch.randint(-32768, 32767, (3000, 2), dtype=torch.int16)
    assert play_audio(x.to(device), 22050.0) is None  # device=None: the platform's default, alsa here
    data, rate = soundfile.read(played, dtype="int16", always_2d=True)
    assert rate == 22050 and data.shape == (3000, 2)
    torch.testing.assert_close(torch.from_numpy(data), x, rtol=0, atol=0)


@needs_alsa
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int32, torch.int64, torch.uint8])
def test_play_converts_to_the_devices_16_bit(tmp_path, monkeypatch, dtype):
    played = _record_alsa(tmp_path, monkeypatch)
    gen = torch.Generator().manual_seed(0)
    full = torch.rand(2500, 1, generator=gen, dtype=torch.float64) * 2.4 - 1.2  # beyond full scale: clipped
    # FFmpeg's conversions to s16 (libswresample): floats round(x * 2**15) and clip, int32 keeps its top 16 bits
    # (x >> 16), uint8 becomes (x - 128) << 8; int64 is handed over as float64 x / 2**63, so round(x / 2**48).
    if dtype.is_floating_point:
        x = full.to(dtype)
        expected = (x.double() * 32768).round().clamp(-32768, 32767)
    elif dtype == torch.uint8:
        x = ((full.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        expected = (x.double() - 128) * 256
    elif dtype == torch.int32:
        x = (full.clamp(-1, 1) * 2.0**31).clamp(-(2**31), 2**31 - 1).to(torch.int32)
        expected = torch.div(x, 2**16, rounding_mode="floor").double()
    else:
        x = (full.clamp(-1, 1) * 2.0**63).clamp(-(2.0**63), 2.0**63 - 2**10).to(torch.int64)
        expected = (x.double() / 2.0**48).round().clamp(-32768, 32767)
    play_audio(x, np.int64(16000), "alsa")  # any whole number of Hz, numpy's too
    data, rate = soundfile.read(played, dtype="int16", always_2d=True)
    assert rate == 16000 and data.shape == (2500, 1)
    torch.testing.assert_close(torch.from_numpy(data).double(), expected, rtol=0, atol=0)


@needs_alsa
def test_play_keeps_first_two_channels_with_a_warning(tmp_path, monkeypatch):
    played = _record_alsa(tmp_path, monkeypatch)
    x = torch.randint(-1000, 1000, (700, 4), dtype=torch.int16)
    with pytest.warns(UserWarning, match="only the first 2 are played"):
        play_audio(x, 8000)
    data, _ = soundfile.read(played, dtype="int16", always_2d=True)
    torch.testing.assert_close(torch.from_numpy(data), x[:, :2], rtol=0, atol=0)


@needs_alsa
def test_play_without_a_sound_card_names_the_device(tmp_path, monkeypatch):
    # ALSA's default PCM is a card this machine does not have (ALSA cards are numbered 0-31).
    _alsa_config(tmp_path, monkeypatch, "pcm.!default { type hw; card 31 }\n")
    with pytest.raises(RuntimeError, match=r"play_audio: cannot open FFmpeg's 'alsa' audio output device \('default'\)"):
        play_audio(torch.zeros(100, 1), 16000, device="alsa")


@needs_alsa
def test_play_uses_the_system_alsa_configuration_when_none_is_set(monkeypatch):
    # PyAV's libasound looks for its configuration under its build prefix; play_audio points it at the system's.
    for name in ("ALSA_CONFIG_PATH", "ALSA_CONFIG_DIR"):  # set, then removed: monkeypatch restores the original
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    from torchsound.io import _playback

    _playback._system_alsa_config()
    if os.path.isfile("/usr/share/alsa/alsa.conf"):
        assert os.environ["ALSA_CONFIG_PATH"] == "/usr/share/alsa/alsa.conf" and os.environ["ALSA_CONFIG_DIR"] == "/usr/share/alsa"
    else:
        assert "ALSA_CONFIG_PATH" not in os.environ


@pytest.mark.skipif("oss" not in ffmpeg_utils._audio_output_devices() or os.path.exists("/dev/dsp"),
                    reason="needs FFmpeg's oss device and no OSS node")
def test_play_on_oss_without_dev_dsp_names_the_device():
    with pytest.raises(RuntimeError, match=r"cannot open FFmpeg's 'oss' audio output device \('/dev/dsp'\)"):
        play_audio(torch.zeros(100, 2, dtype=torch.int16), 48000, device="oss")


def test_play_without_any_audio_output_device_says_so(monkeypatch):
    monkeypatch.setattr(ffmpeg_utils, "_audio_output_devices", lambda: [])
    with pytest.raises(RuntimeError, match=f"PyAV's FFmpeg on {sys.platform} has no audio output device"):
        play_audio(torch.zeros(10, 1), 16000)
    with pytest.raises(ValueError, match=r"audio output devices \[\], got 'alsa'"):
        play_audio(torch.zeros(10, 1), 16000, device="alsa")


def test_play_refuses_a_device_ffmpeg_lacks():
    with pytest.raises(ValueError, match=r"device must be one of FFmpeg's audio output devices .*got 'nosuchdevice'"):
        play_audio(torch.zeros(10, 1), 16000, device="nosuchdevice")
    video = [d for d in ffmpeg_utils.get_output_devices() if d not in ffmpeg_utils._audio_output_devices()]
    for name in video:  # fbdev, v4l2: video output devices are not for audio
        with pytest.raises(ValueError, match="audio output devices"):
            play_audio(torch.zeros(10, 1), 16000, device=name)


@pytest.mark.parametrize("waveform,sample_rate,device,error,match", [
    (torch.zeros(10, 1, dtype=torch.float16), 16000, None, ValueError, "waveform dtype must be one of .* got torch.float16"),
    (torch.zeros(10), 16000, None, ValueError, r"waveform must be 2D \(time, num_channels\), got 1D"),
    (torch.zeros(1, 10, 1), 16000, None, ValueError, "got 3D"),
    (torch.zeros(10, 0), 16000, None, ValueError, "at least one channel"),
    (np.zeros((10, 1)), 16000, None, TypeError, "waveform must be a torch.Tensor, got ndarray"),
    (torch.zeros(10, 1), 0, None, ValueError, "sample_rate must be a positive whole number of Hz, got 0"),
    (torch.zeros(10, 1), 44100.5, None, ValueError, "sample_rate .* got 44100.5"),
    (torch.zeros(10, 1), None, None, ValueError, "sample_rate .* got None"),
    (torch.zeros(10, 1), float("inf"), None, ValueError, "sample_rate .* got inf"),
    (torch.zeros(10, 1), float("nan"), None, ValueError, "sample_rate .* got nan"),
    (torch.zeros(10, 1), "16000", None, ValueError, "sample_rate .* got '16000'"),
    (torch.zeros(10, 1), 16000, 3, TypeError, "device must be a str or None, got int"),
])
def test_play_argument_errors(waveform, sample_rate, device, error, match):
    with pytest.raises(error, match=match):
        play_audio(waveform, sample_rate, device)


def test_play_audio_is_exported_like_torchaudio(torchaudio28):
    import inspect

    import torchaudio.io._playback as theirs

    assert "play_audio" in torchsound.io.__all__
    assert inspect.signature(play_audio).parameters.keys() == inspect.signature(theirs.play_audio).parameters.keys()
    assert [p.default for p in inspect.signature(play_audio).parameters.values()][2:] == [None]
