"""``play_audio``: play a waveform on one of FFmpeg's audio output devices, through PyAV (extra ``ffmpeg``)."""

from __future__ import annotations

import numbers
import os
import sys
import warnings
from typing import Optional

import numpy as np
import torch

from .._internal.optional import require

# dtype -> the FFmpeg sample format the frames carry (torchaudio's table). int64 has no PyAV frame
# format: it is played as float64 (full scale 2**63), which FFmpeg converts the same way.
_SAMPLE_FORMATS = {torch.uint8: "u8", torch.int16: "s16", torch.int32: "s32", torch.int64: "s64",
                   torch.float32: "flt", torch.float64: "dbl"}

# What FFmpeg's device takes as its "file name": the ALSA PCM, the PulseAudio stream name, the OSS node.
_TARGETS = {"alsa": "default", "pulse": "torchsound", "oss": "/dev/dsp", "sndio": "default", "audiotoolbox": "-"}

# Tried in this order when ``device`` is None (macOS: audiotoolbox, as torchaudio).
_PREFERENCE = ("audiotoolbox", "pulse", "alsa", "sndio", "oss")

_BLOCK = 1024  # frames handed to the device at a time


def _system_alsa_config() -> None:
    """Point PyAV's bundled libasound at the system's ALSA configuration when the user has not chosen one.

    The libasound inside PyAV's Linux wheels looks for its configuration under the prefix it was built
    in (a build folder), which no machine has; without this, no ALSA device (not even ``default``) exists.
    ALSA's plugins (PipeWire's or PulseAudio's, often behind ``default`` on desktops) are looked for under
    that prefix too (``ALSA_PLUGIN_DIR`` overrides it); ``ALSA_CONFIG_PATH`` naming a ``hw`` device avoids them.
    """
    if "ALSA_CONFIG_PATH" not in os.environ and os.path.isfile("/usr/share/alsa/alsa.conf"):
        os.environ.setdefault("ALSA_CONFIG_DIR", "/usr/share/alsa")
        os.environ["ALSA_CONFIG_PATH"] = "/usr/share/alsa/alsa.conf"


def play_audio(waveform: torch.Tensor, sample_rate: Optional[float], device: Optional[str] = None) -> None:
    """Play ``waveform`` on an FFmpeg audio output device, returning when FFmpeg has handed it all over.

    torchaudio 2.8 played on macOS's ``audiotoolbox`` only; torchsound opens whichever audio output
    device PyAV's FFmpeg has: ``audiotoolbox`` (macOS), ``pulse``, ``alsa`` (ALSA's ``default`` PCM),
    ``sndio``, ``oss`` (``/dev/dsp``). PyAV's Linux wheels carry ``alsa`` and ``oss``; Windows builds
    have no audio output device. The device receives its own default PCM codec (16-bit for the
    ones above); FFmpeg converts the samples, clipping floats outside [-1, 1]. At most two channels
    are played, as in torchaudio. A tensor on another device is copied to the CPU to be played.

    Args:
        waveform: the audio, of dtype uint8, int16, int32, int64, float32 or float64.
        sample_rate: its sample rate in Hz (a positive whole number).
        device: an FFmpeg audio output device name (see
            :func:`torchsound.utils.ffmpeg_utils.get_output_devices`); None: the platform's default.

    Raises:
        ValueError: a bad argument, or a ``device`` this FFmpeg build does not have.
        RuntimeError: the device exists in FFmpeg but cannot be opened or written to (no sound card,
            no sound server), or the build has no audio output device at all.

    Shape:
        ``waveform`` is ``(time, num_channels)``, as in torchaudio.
    """
    if not isinstance(waveform, torch.Tensor):
        raise TypeError(f"play_audio: waveform must be a torch.Tensor, got {type(waveform).__name__}")
    if waveform.dtype not in _SAMPLE_FORMATS:
        raise ValueError(f"play_audio: waveform dtype must be one of {[str(t) for t in _SAMPLE_FORMATS]}, "
                         f"got {waveform.dtype}")
    if waveform.ndim != 2:
        raise ValueError(f"play_audio: waveform must be 2D (time, num_channels), got {waveform.ndim}D "
                         f"of shape {tuple(waveform.shape)}")
    if waveform.shape[1] == 0:
        raise ValueError(f"play_audio: waveform must have at least one channel, got shape {tuple(waveform.shape)}")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Real) or not (
            sample_rate > 0 and float(sample_rate).is_integer()):
        raise ValueError(f"play_audio: sample_rate must be a positive whole number of Hz, got {sample_rate!r}")
    if device is not None and not isinstance(device, str):
        raise TypeError(f"play_audio: device must be a str or None, got {type(device).__name__}")

    av = require("av", "torchsound.io.play_audio")
    from ..utils.ffmpeg_utils import _audio_output_devices, get_output_devices

    available = _audio_output_devices()
    if device is None:
        device = next((d for d in _PREFERENCE if d in available), None)
        if device is None:
            raise RuntimeError(f"play_audio: PyAV's FFmpeg on {sys.platform} has no audio output device "
                               f"(its output devices: {sorted(get_output_devices())})")
    elif device not in available:
        raise ValueError(f"play_audio: device must be one of FFmpeg's audio output devices {available}, got {device!r}")

    if waveform.shape[1] > 2:
        warnings.warn(f"play_audio: expected up to 2 channels, got {waveform.shape[1]}; only the first 2 are played",
                      stacklevel=2)
        waveform = waveform[:, :2]
    data = waveform.detach().cpu()
    fmt = _SAMPLE_FORMATS[data.dtype]
    if fmt == "s64":
        data, fmt = data.to(torch.float64) / 2.0**63, "dbl"
    data = np.ascontiguousarray(data.numpy())
    rate, channels = int(sample_rate), data.shape[1]
    layout = "mono" if channels == 1 else "stereo"

    if device == "alsa":
        _system_alsa_config()
    target = _TARGETS.get(device, "default")
    where = f"FFmpeg's {device!r} audio output device ({target!r})"
    try:
        container = av.open(target, "w", format=device)
    except av.error.FFmpegError as err:
        raise RuntimeError(f"play_audio: cannot open {where}: {err}") from None
    finished = False
    try:
        stream = container.add_stream(container.default_audio_codec, rate=rate, layout=layout)
        try:
            container.start_encoding()  # opens the device: no sound card or server fails here
        except av.error.FFmpegError as err:
            raise RuntimeError(f"play_audio: cannot open {where} at {rate} Hz, {channels} channel(s): {err} "
                               "(is there a sound card or sound server?)") from None
        pts = 0
        for start in range(0, len(data), _BLOCK):
            block = data[start:start + _BLOCK]
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format=fmt, layout=layout)
            frame.sample_rate, frame.pts = rate, pts
            pts += len(block)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        finished = True
    except av.error.FFmpegError as err:
        raise RuntimeError(f"play_audio: writing to {where} failed: {err}") from None
    finally:
        try:
            container.close()  # drains the device's buffer
        except av.error.FFmpegError as err:
            if finished:  # otherwise the error being raised says more
                raise RuntimeError(f"play_audio: closing {where} failed: {err}") from None
