"""torchaudio 2.8's ``torchaudio.utils.sox_utils``, answered for torchsound (which has no libsox).

Effects are torchsound's pure-PyTorch sox effects (:mod:`torchsound.sox_effects`); formats are those
torchsound reads and writes (native WAV, libsndfile, and FFmpeg when PyAV is installed). The
libsox tuning knobs (verbosity, threads, buffer size) are kept as settings so code that sets them
runs; our effects do not depend on them.
"""

from __future__ import annotations

from typing import Dict, List

_settings = {"verbosity": 2, "use_threads": False, "buffer_size": 8192}


def set_seed(seed: int) -> None:
    """Seed the random effects (``dither``, noise in ``synth``): they draw from torch's default generator."""
    import torch

    torch.manual_seed(int(seed))


def set_verbosity(verbosity: int) -> None:
    """Accepted for compatibility: torchsound's effects print nothing (sox's levels are 0-6)."""
    _settings["verbosity"] = int(verbosity)


def set_use_threads(use_threads: bool) -> None:
    """Accepted for compatibility: effects run with torch's own intra-op threads."""
    _settings["use_threads"] = bool(use_threads)


def set_buffer_size(buffer_size: int) -> None:
    """Accepted for compatibility (sox's default is 8192); effects process whole tensors."""
    if int(buffer_size) <= 0:
        raise ValueError(f"set_buffer_size: buffer_size must be positive, got {buffer_size}")
    _settings["buffer_size"] = int(buffer_size)


def get_buffer_size() -> int:
    """The value last given to :func:`set_buffer_size` (8192 by default)."""
    return _settings["buffer_size"]


def list_effects() -> Dict[str, str]:
    """Effect name -> one-line description, for every sox effect torchsound implements."""
    from torchsound.sox_effects import effect_names
    from torchsound.sox_effects._registry import EFFECTS

    out = {}
    for name in effect_names():
        doc = (EFFECTS[name].__doc__ or "").strip().splitlines()
        out[name] = doc[0] if doc else ""
    return out


def list_read_formats() -> List[str]:
    """File formats :func:`torchsound.load` reads (lower-case extensions)."""
    formats = set(_soundfile_formats()) | {"wav", "mp3", "opus", "ogg", "vorbis"}
    if _has_av():
        formats |= {"m4a", "mp4", "aac", "wma", "mka", "mkv", "webm", "ac3", "amr", "mov", "avi"}
    return sorted(formats)


def list_write_formats() -> List[str]:
    """File formats :func:`torchsound.save` writes (lower-case extensions)."""
    formats = set(_soundfile_formats()) | {"wav", "mp3", "opus", "ogg", "vorbis"}
    if _has_av():
        formats |= {"m4a", "mp4", "aac", "wma", "mka", "webm", "ac3"}
    return sorted(formats)


def _soundfile_formats() -> List[str]:
    import soundfile

    from torchsound.io._soundfile import _FORMATS

    have = set(soundfile.available_formats())
    return [ext for ext, (fmt, _) in _FORMATS.items() if fmt in have]


def _has_av() -> bool:
    import importlib.util

    return importlib.util.find_spec("av") is not None
