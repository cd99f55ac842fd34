"""The table of sox effects: name -> implementation, filled in by the ``_*`` effect modules."""

from __future__ import annotations

from typing import Callable, Dict, Tuple

import torch

from ._args import EffectArgs

# An effect takes the signal (..., channel, time), its sample rate and its argument cursor, and
# returns the new signal and sample rate.
EffectFn = Callable[[torch.Tensor, float, EffectArgs], Tuple[torch.Tensor, float]]

EFFECTS: Dict[str, EffectFn] = {}

# sox effects we deliberately do not provide, with the reason shown in the error.
UNSUPPORTED = {
    "stat": "it only reports statistics and does not transform audio",
    "stats": "it only reports statistics and does not transform audio",
    "spectrogram": "it draws a PNG and does not transform audio; use torchsound.transforms.Spectrogram",
    "noiseprof": "it writes a noise profile file and does not transform audio",
    "noisered": "it needs a noise-profile file from noiseprof",
    "ladspa": "it loads native LADSPA plugins",
    "splice": "it is not implemented",
    "firfit": "it is an experimental, incomplete sox effect",
    "input": "it is internal to libsox",
    "output": "it is internal to libsox",
    # not implemented yet: an error, never a silent pass-through
}


def effect(*names: str):
    """Register the decorated function as the sox effect(s) ``names``."""

    def register(fn: EffectFn) -> EffectFn:
        for name in names:
            EFFECTS[name] = fn
        return fn

    return register
