"""torchaudio 2.8's ``torchaudio.utils.ffmpeg_utils``, answered from PyAV's bundled FFmpeg (extra ``ffmpeg``).

PyAV binds most of what torchaudio's own FFmpeg extension listed. The rest (protocols, which
formats are devices) comes from the very FFmpeg libraries PyAV has loaded, through :mod:`ctypes`
(see :func:`_ffmpeg_library`); every answer is about the FFmpeg build torchsound actually uses.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
import sys
from typing import Dict, List, Optional, Tuple

from .._internal.optional import require

# FFmpeg's log levels, as torchaudio documents them.
_LEVELS = {-8: "QUIET", 0: "PANIC", 8: "FATAL", 16: "ERROR", 24: "WARNING", 32: "INFO", 40: "VERBOSE", 48: "DEBUG", 56: "TRACE"}

# Used only where FFmpeg's libraries cannot be reached through ctypes: libavdevice's device names.
_AUDIO_DEVICES = {"alsa", "oss", "pulse", "sndio", "audiotoolbox", "openal", "jack", "lavfi"}
_KNOWN_DEVICES = _AUDIO_DEVICES | {"avfoundation", "dshow", "gdigrab", "vfwcap", "fbdev", "kmsgrab", "x11grab", "xv",
                                   "sdl", "sdl2", "opengl", "caca", "decklink", "android_camera", "libcdio",
                                   "libdc1394", "video4linux2", "v4l2"}


def _av():
    return require("av", "torchsound.utils.ffmpeg_utils")


def get_versions() -> Dict[str, Tuple[int, int, int]]:
    """Versions of the FFmpeg libraries inside PyAV, e.g. ``{"libavcodec": (62, 28, 102), ...}``."""
    return {name: tuple(version) for name, version in _av().library_versions.items()}


def get_log_level() -> int:
    """FFmpeg's current log level (see :func:`set_log_level`)."""
    level = _av().logging.get_level()
    return -8 if level is None else int(level)


def set_log_level(level: int) -> None:
    """Set FFmpeg's log level: -8 quiet, 0 panic, 8 fatal, 16 error, 24 warning, 32 info, 40 verbose, 48 debug, 56 trace."""
    if int(level) not in _LEVELS:
        raise ValueError(f"set_log_level: level must be one of {sorted(_LEVELS)}, got {level}")
    _av().logging.set_level(None if int(level) == -8 else int(level))


def _codecs(mode: str, kind: str = "audio") -> Dict[str, str]:
    av = _av()
    out = {}
    for name in av.codecs_available:
        try:
            codec = av.codec.Codec(name, mode)
        except Exception:  # noqa: BLE001 - a name without this direction (decoder or encoder)
            continue
        if codec.type == kind:
            out[codec.name] = codec.long_name
    return dict(sorted(out.items()))


def get_audio_decoders() -> Dict[str, str]:
    """Audio decoder name -> description."""
    return _codecs("r")


def get_audio_encoders() -> Dict[str, str]:
    """Audio encoder name -> description."""
    return _codecs("w")


def get_video_decoders() -> Dict[str, str]:
    """Video decoder name -> description (torchsound decodes audio only; listed as torchaudio 2.8 did)."""
    return _codecs("r", "video")


def get_video_encoders() -> Dict[str, str]:
    """Video encoder name -> description (torchsound encodes audio only; listed as torchaudio 2.8 did)."""
    return _codecs("w", "video")


# ----------------------------------------------------------------------------- FFmpeg's libraries via ctypes

def _loaded_paths(name: str) -> List[str]:
    """Files of ``lib<name>`` mapped into this process (Linux), then the places wheels keep their copies."""
    paths = []
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split(None, 5)[-1].strip() for line in maps if f"lib{name}" in line and "/" in line})
    except OSError:  # not Linux: no /proc
        pass
    package = os.path.dirname(_av().__file__)
    # Wheels keep FFmpeg in av.libs (Linux, Windows) or av/.dylibs (macOS).
    for folder in (package, os.path.join(package, ".dylibs"), package + ".libs"):
        paths += sorted(glob.glob(os.path.join(folder, f"*{name}*")))
    return paths


@functools.lru_cache(maxsize=None)
def _ffmpeg_library(name: str) -> Optional[ctypes.CDLL]:
    """``lib<name>`` (e.g. ``"avformat"``) as ctypes sees it: the copy PyAV loaded, or None when none is found.

    A candidate counts only when its ``<name>_version()`` equals PyAV's ``library_versions``, so the
    answers describe the same build PyAV decodes and encodes with.
    """
    expected = tuple(_av().library_versions.get(f"lib{name}", ()))
    for path in _loaded_paths(name):
        try:
            lib = ctypes.CDLL(path)
            version = getattr(lib, f"{name}_version")
        except (OSError, AttributeError):
            continue
        version.restype = ctypes.c_uint
        v = version()
        if (v >> 16, (v >> 8) & 0xFF, v & 0xFF) == expected:
            return lib
    return None


def _device_formats(direction: str) -> Dict[str, Tuple[str, str]]:
    """FFmpeg's devices for ``direction`` ("input"/"output"): name -> (long name, "audio"/"video").

    libavdevice's own lists where ctypes reaches it; otherwise the formats PyAV lists under known device
    names or described as devices (a best guess, used only on platforms where the library is not found).
    """
    lib = _ffmpeg_library("avdevice")
    out: Dict[str, Tuple[str, str]] = {}
    if lib is not None:
        for kind in ("audio", "video"):  # lavfi is both: audio first, as torchsound is about audio
            step = getattr(lib, f"av_{direction}_{kind}_device_next")
            step.restype, step.argtypes = ctypes.c_void_p, [ctypes.c_void_p]
            fmt = step(None)
            while fmt:
                # AVInputFormat and AVOutputFormat both start with ``const char *name, *long_name``.
                names, long_name = ctypes.cast(fmt, ctypes.POINTER(ctypes.c_char_p * 2)).contents
                for name in names.decode().split(","):  # "video4linux2,v4l2": a key a name, as for formats
                    out.setdefault(name, ((long_name or b"").decode(), kind))
                fmt = step(fmt)
        return out
    for name, fmt in _named_formats("r" if direction == "input" else "w"):
        long_name = fmt.long_name or ""
        if name in _KNOWN_DEVICES or "device" in long_name.lower():
            out.setdefault(name, (long_name, "audio" if name in _AUDIO_DEVICES else "video"))
    return out


def _named_formats(mode: str):
    """(name, ContainerFormat) for every format PyAV knows in ``mode`` ("r"/"w"), joined names split."""
    av = _av()
    for names in av.formats_available:
        for name in names.split(","):  # PyAV keeps some joined ("stream_segment,ssegment")
            try:
                fmt = av.format.ContainerFormat(name, mode)
            except Exception:  # noqa: BLE001 - a name without this direction
                continue
            if fmt.is_input if mode == "r" else fmt.is_output:
                yield name, fmt


def _formats(mode: str) -> Dict[str, str]:
    devices = _device_formats("input" if mode == "r" else "output")
    out: Dict[str, str] = {}
    for name, fmt in _named_formats(mode):
        if name not in devices:
            out.setdefault(name, fmt.long_name)
    return dict(sorted(out.items()))


def get_demuxers() -> Dict[str, str]:
    """Demuxer (input format) name -> description; devices are in :func:`get_input_devices`.

    Where FFmpeg registers a format under several names (``"mov,mp4,m4a,3gp,3g2,mj2"``), each name is a
    key of its own (torchaudio 2.8 used the joined string), so any key can be passed as ``format=``; the
    same holds for the other format and device listings here.
    """
    return _formats("r")


def get_muxers() -> Dict[str, str]:
    """Muxer (output format) name -> description; devices are in :func:`get_output_devices`."""
    return _formats("w")


def _devices(direction: str) -> Dict[str, str]:
    return {name: long_name for name, (long_name, _) in sorted(_device_formats(direction).items())}


def get_input_devices() -> Dict[str, str]:
    """FFmpeg's input (capture) devices in PyAV's build: name -> description, e.g. ``{"alsa": "ALSA audio input"}``.

    Listed as torchaudio 2.8 did (libavdevice's input devices); torchsound itself reads files and streams.
    """
    return _devices("input")


def get_output_devices() -> Dict[str, str]:
    """FFmpeg's output (playback) devices in PyAV's build: name -> description, e.g. ``{"alsa": "ALSA audio output"}``.

    The audio ones are what :func:`torchsound.io.play_audio` accepts as ``device``.
    """
    return _devices("output")


def _audio_output_devices() -> List[str]:
    """Names of FFmpeg's audio output devices (video ones such as ``fbdev`` left out)."""
    return sorted(name for name, (_, kind) in _device_formats("output").items() if kind == "audio")


def _protocols(output: bool) -> List[str]:
    lib = _ffmpeg_library("avformat")
    if lib is None:
        raise RuntimeError("FFmpeg's protocol list needs PyAV's libavformat, which ctypes could not find next to PyAV "
                           f"({os.path.dirname(_av().__file__)}) on {sys.platform}")
    step = lib.avio_enum_protocols
    step.restype, step.argtypes = ctypes.c_char_p, [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
    state, names = ctypes.c_void_p(), []
    while True:
        name = step(ctypes.byref(state), int(output))
        if not name:
            return names
        names.append(name.decode())


def get_input_protocols() -> List[str]:
    """Protocols FFmpeg (PyAV's build) reads from, in FFmpeg's order, e.g. ``["async", ..., "file", ..., "https", ...]``.

    PyAV has no binding for this list; it is FFmpeg's ``avio_enum_protocols`` called on the libavformat
    PyAV loaded.
    """
    return _protocols(False)


def get_output_protocols() -> List[str]:
    """Protocols FFmpeg (PyAV's build) writes to, in FFmpeg's order, e.g. ``["crypto", "fd", "file", ..., "tee", ...]``."""
    return _protocols(True)


def get_build_config() -> str:
    """The ``configure`` flags PyAV's FFmpeg was built with (libavcodec's configuration string, as torchaudio returned).

    Example: ``"--disable-static --enable-shared ... --enable-libopus ..."``.
    """
    return _av()._core.library_meta["libavcodec"]["configuration"]


def clear_cuda_context_cache() -> None:
    """Does nothing: torchsound never creates FFmpeg CUDA contexts.

    torchaudio cached one CUDA device context per GPU for hardware video decoding and this freed them.
    torchsound decodes audio on the CPU through PyAV, so there is no such cache; the function exists so
    torchaudio code that calls it keeps running.
    """
    return None
