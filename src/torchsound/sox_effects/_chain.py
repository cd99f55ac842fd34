"""Run a sox effect chain (written as on the sox command line) on tensors and files."""

from __future__ import annotations

import importlib
import numbers
import os
from typing import List, Optional, Sequence, Tuple

import torch

from .._internal.checks import check_tensor
from ._args import EffectArgs
from ._registry import EFFECTS, UNSUPPORTED

# Modules that register effects (see ``_registry.effect``); imported once, on first use.
_EFFECT_MODULES = ["._level", "._timing", "._channels", "._filters", "._rate", "._modulation", "._dynamics", "._space",
                   "._silence", "._generate"]
_loaded = False
_PROBE_LENGTH = 4096  # samples of silence an emptied chain's later effects run on (see run_chain)


def _load_effects() -> None:
    global _loaded
    if not _loaded:
        for module in _EFFECT_MODULES:
            importlib.import_module(module, __package__)
        _loaded = True


def init_sox_effects() -> None:
    """Kept for torchaudio compatibility: there is no libsox to initialise, so this does nothing."""


def shutdown_sox_effects() -> None:
    """Kept for torchaudio compatibility: there is no libsox to shut down, so this does nothing."""


def effect_names() -> List[str]:
    """Names of the sox effects that :func:`apply_effects_tensor` can run, sorted."""
    _load_effects()
    return sorted(EFFECTS)


def _normalize_int(tensor: torch.Tensor) -> torch.Tensor:
    # Integer PCM as float in [-1, 1) (float32, or float64 for int32 so every sample survives).
    if tensor.dtype == torch.uint8:
        return (tensor.to(torch.float32) - 128.0) / 128.0
    if tensor.dtype == torch.int16:
        return tensor.to(torch.float32) / 32768.0
    if tensor.dtype == torch.int32:  # float64 holds every 32-bit sample exactly
        return tensor.to(torch.float64) / 2.0**31
    raise TypeError(f"apply_effects_tensor: tensor must be floating point or int16/int32/uint8, got {tensor.dtype}")


def _parse_chain(effects) -> List[Tuple[str, List[str]]]:
    if isinstance(effects, (str, bytes)) or not isinstance(effects, Sequence):
        raise TypeError(f"apply_effects_tensor: effects must be a list of lists of strings, got {effects!r}")
    chain = []
    for item in effects:
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) == 0:
            raise ValueError(f"apply_effects_tensor: each effect must be a non-empty list like ['gain', '-3'], got {item!r}")
        name, *args = [str(a) for a in item]
        if name not in EFFECTS:
            if name in UNSUPPORTED:
                raise ValueError(f"sox effect {name!r} is not supported by torchsound: {UNSUPPORTED[name]}")
            raise ValueError(f"sox effect {name!r} is not supported (unknown effect); see torchsound.sox_effects.effect_names()")
        chain.append((name, args))
    return chain


def run_chain(waveform: torch.Tensor, sample_rate: float, chain, clip: bool = True) -> Tuple[torch.Tensor, float]:
    """Apply parsed ``(name, args)`` effects to ``waveform`` (..., channel, time); ``clip`` saturates the
    input and every effect's output at full scale, as libsox's 32-bit samples do."""
    if clip:
        waveform = waveform.clamp(-1.0, 1.0)
    for name, args in chain:
        cursor = EffectArgs(name, args, sample_rate, waveform.shape[-2])
        if waveform.shape[-1] == 0:
            # An emptied chain (vad on a steady tone, trim past the end) stays empty, as in sox; later
            # effects still check their arguments and set the channel count and rate, so run them on
            # a little silence and keep only the shape.
            probe = waveform.new_zeros(*waveform.shape[:-1], _PROBE_LENGTH)
            probe, sample_rate = EFFECTS[name](probe, sample_rate, cursor)
            waveform = probe[..., :0]
        else:
            waveform, sample_rate = EFFECTS[name](waveform, sample_rate, cursor)
            if clip:
                waveform = waveform.clamp(-1.0, 1.0)
        cursor.done()
    return waveform, sample_rate


def apply_effects_tensor(
    tensor: torch.Tensor, sample_rate: int, effects: List[List[str]], channels_first: bool = True, *, clip: bool = True
) -> Tuple[torch.Tensor, int]:
    """Apply a sox effect chain to a waveform, without libsox.

    Effects are written exactly as on the ``sox`` command line, e.g.
    ``[["gain", "-n"], ["highpass", "80"], ["speed", "1.1"], ["rate", "16k"], ["reverb", "-w"]]``.
    Effects that change the sample rate (``speed``, ``pitch``, ``rate``, ...) return the new rate,
    as libsox does: follow ``speed``/``pitch`` with ``rate`` to get back to a fixed rate.

    The chain runs in the input's floating dtype and device and is differentiable wherever the
    effect is (filters, gains, fades, rate changes, reverb, ...). Like libsox (which works on 32-bit
    integers), it saturates the input and each effect's output at full scale [-1, 1]. ``clip=False``
    keeps the float headroom instead: the chain adds no clipping of its own (biquad filters still
    clamp as torchaudio's ``lfilter`` does). ``gain -h`` reserves no headroom here.

    Args:
        tensor: audio, ``(channel, time)`` if ``channels_first`` else ``(time, channel)``; any number
            of leading batch dimensions is allowed (a batch of same-length signals).
            int16/int32/uint8 PCM is processed as float in [-1, 1) and returned in its own dtype
            (rounded and saturated), as torchaudio does.
        sample_rate: sample rate of ``tensor``.
        effects: list of effects, each a list of strings ``[name, arg, ...]``.
        channels_first: layout of ``tensor`` and of the result.
        clip: saturate at full scale after every effect, as sox does (keyword-only).

    Returns:
        ``(waveform, sample_rate)``: the processed audio in the same layout and dtype, and its sample rate.

    Shape:
        ``(..., channel, time)`` -> ``(..., channel', time')`` (``channels_first=True``), where
        ``channel'`` and ``time'`` depend on the effects (``channels``, ``remix``, ``trim``, ``rate``...).

    Raises:
        ValueError: for an unknown or unsupported effect, or wrong or unparsable arguments (the
            message quotes the effect and the argument). A chain that removes all audio (``vad`` on a
            steady tone, ``trim`` past the end) returns an empty ``(channel, 0)`` tensor, as sox does.
    """
    check_tensor("tensor", tensor, fn="apply_effects_tensor")
    if tensor.dim() < 2:
        raise ValueError(f"apply_effects_tensor: tensor must have at least 2 dimensions (channel, time), got shape {tuple(tensor.shape)}")
    # numbers.Real also admits numpy scalars (np.int64(16000)), as torchaudio's op did
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Real) or not sample_rate > 0:
        raise ValueError(f"apply_effects_tensor: sample_rate must be a positive number, got {sample_rate!r}")
    _load_effects()
    chain = _parse_chain(effects)
    waveform = tensor if tensor.is_floating_point() else _normalize_int(tensor)
    if not channels_first:
        waveform = waveform.transpose(-1, -2)
    if waveform.shape[-1] == 0:
        raise ValueError("apply_effects_tensor: the input has no samples")
    waveform, rate = run_chain(waveform, float(sample_rate), chain, clip=clip)
    if not channels_first:
        waveform = waveform.transpose(-1, -2)
    if not tensor.is_floating_point():  # torchaudio returns the input's dtype
        waveform = _to_pcm(waveform, tensor.dtype)
    if _shares_memory(waveform, tensor):  # an empty or no-op chain: return a new tensor, as libsox did
        waveform = waveform.clone()
    return waveform, int(round(rate))


def _shares_memory(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.device.type == "meta" or b.device.type == "meta":
        return a is b
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def apply_effects_file(
    path, effects: List[List[str]], normalize: bool = True, channels_first: bool = True, format: Optional[str] = None,
    *, clip: bool = True,
) -> Tuple[torch.Tensor, int]:
    """Load an audio file (path or file-like object) and apply a sox effect chain to it.

    Args:
        path: file path or a binary file-like object.
        effects: list of effects as in :func:`apply_effects_tensor`.
        normalize: ``True`` returns float32 in [-1, 1]. ``False`` returns integer-PCM WAV input in
            its integer type (uint8, int16 or int32, rounded and clipped), as torchaudio does;
            other formats are returned as float32 either way.
        channels_first: layout of the result.
        format: container format hint, for file-like objects without a name.
        clip: saturate at full scale after every effect, as sox does (keyword-only).

    Returns:
        ``(waveform, sample_rate)``.

    Shape:
        result ``(channel, time)`` if ``channels_first`` else ``(time, channel)``.

    Raises:
        ValueError: as :func:`apply_effects_tensor`, with the file named in the message.
    """
    import torchsound

    name = os.fspath(path) if isinstance(path, (str, os.PathLike)) else getattr(path, "name", repr(path))
    _load_effects()
    chain = _parse_chain(effects)  # fail on a bad chain before reading the file
    int_dtype = None
    if not normalize:
        position = path.tell() if hasattr(path, "tell") else None
        meta = torchsound.info(path, format=format)
        if position is not None:
            path.seek(position)
        if meta.encoding == "PCM_S" or meta.encoding == "PCM_U":
            int_dtype = {8: torch.uint8, 16: torch.int16}.get(meta.bits_per_sample, torch.int32)
    try:
        waveform, sample_rate = torchsound.load(path, format=format)
    except Exception as err:
        raise type(err)(f"apply_effects_file: could not read {name!r}: {err}") from err
    try:
        waveform, rate = run_chain(waveform, float(sample_rate), chain, clip=clip)
    except ValueError as err:
        raise ValueError(f"apply_effects_file({name!r}): {err}") from err
    if int_dtype is not None:
        waveform = _to_pcm(waveform, int_dtype)
    if not channels_first:
        waveform = waveform.transpose(-1, -2)
    return waveform, int(round(rate))


def _to_pcm(waveform: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    if dtype == torch.uint8:
        return (waveform * 128 + 128).round().clamp(0, 255).to(dtype)
    scale = float(2 ** (torch.iinfo(dtype).bits - 1))
    return (waveform.double() * scale).round().clamp(-scale, scale - 1).to(dtype)
