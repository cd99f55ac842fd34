"""Time, pitch and rate effects: tempo, pitch, speed, rate, upsample, downsample, stretch, bend."""

from __future__ import annotations

from .. import functional as F
from ..functional._tempo import tempo as _wsola
from ._args import EffectArgs
from ._registry import effect

_PROFILE_FLAGS = {"-m": "music", "-s": "speech", "-l": "linear"}


def _wsola_options(a: EffectArgs):
    opts = {}
    for key, what, lo, hi in [("segment_ms", "segment length in ms", 10, 120), ("search_ms", "search length in ms", 0, 30),
                              ("overlap_ms", "overlap length in ms", 0, 30)]:
        if a.remaining():
            opts[key] = a.number(what, lo=lo, hi=hi)
    return opts


@effect("tempo")
def _tempo(x, sr, a: EffectArgs):
    quick, profile = False, "default"
    while a.peek() in ("-q", "-m", "-s", "-l"):
        flag = a.pop()
        if flag == "-q":
            quick = True
        else:
            profile = _PROFILE_FLAGS[flag]
    factor = a.number("tempo factor", lo=0.1, hi=100)
    opts = _wsola_options(a)
    return _wsola(x, sr, factor, profile=profile, quick_search=quick, **opts), sr


@effect("pitch")
def _pitch(x, sr, a: EffectArgs):
    quick = a.pop_flag("-q") is not None
    cents = a.number("pitch shift in cents")
    opts = _wsola_options(a)
    # stretch by the pitch ratio, then declare the faster rate: a following `rate` restores the length.
    # sox passes the tempo factor through printf("%g"), so round it the same way.
    factor = float("%g" % (1.0 / 2.0 ** (cents / 1200.0)))
    return _wsola(x, sr, factor, quick_search=quick, **opts), sr / factor
