"""Spatial effects: reverb."""

from __future__ import annotations

from .. import functional as F
from ._args import EffectArgs
from ._registry import effect


@effect("reverb")
def _reverb(x, sr, a: EffectArgs):
    wet_only = a.pop_flag("-w", "--wet-only") is not None
    values = []
    for what, lo, hi in [("reverberance (%)", 0, 100), ("HF-damping (%)", 0, 100), ("room-scale (%)", 0, 100),
                         ("stereo-depth (%)", 0, 100), ("pre-delay (ms)", 0, 500), ("wet-gain (dB)", -10, 10)]:
        if a.remaining():
            values.append(a.number(what, lo=lo, hi=hi))
    return F.reverb(x, sr, *values, wet_only=wet_only), sr
