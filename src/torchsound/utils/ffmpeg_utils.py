"""torchaudio 2.8's ``torchaudio.utils.ffmpeg_utils``, answered from PyAV's bundled FFmpeg (extra ``ffmpeg``)."""

from __future__ import annotations

from typing import Dict, Tuple

from .._internal.optional import require

# FFmpeg's log levels, as torchaudio documents them.
_LEVELS = {-8: "QUIET", 0: "PANIC", 8: "FATAL", 16: "ERROR", 24: "WARNING", 32: "INFO", 40: "VERBOSE", 48: "DEBUG", 56: "TRACE"}


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


def _formats(mode: str) -> Dict[str, str]:
    av = _av()
    out = {}
    for name in av.formats_available:
        try:
            fmt = av.format.ContainerFormat(name, mode)
        except Exception:  # noqa: BLE001 - a name without this direction
            continue
        if (fmt.is_input if mode == "r" else fmt.is_output) and not _is_device(fmt):
            out[fmt.name] = fmt.long_name
    return dict(sorted(out.items()))


def _is_device(fmt) -> bool:
    return "device" in (fmt.long_name or "").lower() or fmt.name in ("alsa", "oss", "pulse", "sndio", "v4l2", "x11grab", "fbdev", "jack", "xv")


def get_demuxers() -> Dict[str, str]:
    """Demuxer (input format) name -> description."""
    return _formats("r")


def get_muxers() -> Dict[str, str]:
    """Muxer (output format) name -> description."""
    return _formats("w")


def get_input_devices() -> Dict[str, str]:
    """Input devices: none; torchsound reads files and streams, not capture devices."""
    return {}


def get_output_devices() -> Dict[str, str]:
    """Output devices: none; torchsound writes files and streams, not playback devices."""
    return {}
