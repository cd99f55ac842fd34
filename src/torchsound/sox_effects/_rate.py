"""Time, pitch and rate effects: tempo, pitch, speed, rate, upsample, downsample, stretch, bend."""

from __future__ import annotations

import torch

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


# sox `rate` qualities -> (lowpass_filter_width, rolloff, Kaiser beta) for F.resample. The -h default
# was fitted to the sox binary's output (its passband reaches ~95 % of Nyquist, with the transition
# ending at Nyquist), giving about 40 dB SNR against sox on white noise.
_RATE_QUALITY = {"q": (8, 0.85, 5.0), "l": (24, 0.85, 6.5), "m": (64, 0.955, 6.5), "h": (64, 0.955, 6.5),
                 "v": (96, 0.955, 8.0)}


def resample_to(x, from_rate: float, to_rate: float, params=_RATE_QUALITY["h"], bandwidth=None):
    """Resample between any two rates (fractional ones through a close rational ratio) to sox's length."""
    from fractions import Fraction

    if from_rate == to_rate:
        return x
    ratio = Fraction(to_rate / from_rate).limit_denominator(4096) if (from_rate != int(from_rate) or to_rate != int(to_rate)) \
        else Fraction(int(to_rate), int(from_rate))
    width, rolloff, beta = params
    if bandwidth is not None:
        rolloff = min(0.995, bandwidth / 100 + 0.005)
    y = F.resample(x, ratio.denominator, ratio.numerator, lowpass_filter_width=width, rolloff=rolloff,
                   resampling_method="sinc_interp_kaiser", beta=beta)
    n_out = int(x.shape[-1] * to_rate / from_rate + 0.5)  # sox rounds the output length
    if y.shape[-1] >= n_out:
        return y[..., :n_out]
    return torch.nn.functional.pad(y, (0, n_out - y.shape[-1]))


@effect("rate")
def _rate(x, sr, a: EffectArgs):
    quality, bandwidth = "h", None
    while a.peek() is not None and a.peek().startswith("-") and a.remaining() > 1:
        flag = a.pop()
        letter = flag[1:]
        if letter in _RATE_QUALITY:
            quality = letter
        elif letter in ("L", "a"):
            pass  # linear phase is what we do; -a (allow aliasing) only widens sox's transition band
        elif letter == "s":
            bandwidth = 99.0
        elif letter == "b":
            bandwidth = a.number("band-width in %", lo=74, hi=99.7)
        elif letter in ("M", "I", "p"):
            raise a.error(flag, "only linear phase (-L) is supported; minimum/intermediate phase is not supported yet")
        else:
            raise a.error(flag, "unknown option; expected -q, -l, -m, -h, -v, -s, -a, -b or -L")
    if not a.remaining():
        raise a.usage_error("needs the output rate (wrong number of arguments)")
    new_rate = a.frequency("output sample rate", nyquist=False)
    return resample_to(x, sr, new_rate, _RATE_QUALITY[quality], bandwidth), new_rate


@effect("speed")
def _speed(x, sr, a: EffectArgs):
    text = a.pop("a speed factor")
    cents = text.endswith("c")
    value = a.number("speed factor", text=text[:-1] if cents else text)
    factor = 2 ** (value / 1200) if cents else value
    if factor <= 0:
        raise a.error(text, "speed factor must be positive")
    # like sox: the samples are unchanged and only the rate is relabelled; add `rate` to resample back
    return x, sr * factor


@effect("upsample")
def _upsample(x, sr, a: EffectArgs):
    factor = a.integer("upsampling factor", lo=1, hi=256) if a.remaining() else 2
    y = x.new_zeros(*x.shape[:-1], x.shape[-1] * factor)
    y[..., ::factor] = x
    return y, sr * factor


@effect("downsample")
def _downsample(x, sr, a: EffectArgs):
    factor = a.integer("downsampling factor", lo=1, hi=256) if a.remaining() else 2
    return x[..., ::factor], sr / factor


@effect("stretch")
def _stretch(x, sr, a: EffectArgs):
    factor = a.number("stretch factor", lo=0, lo_open=True)
    opts = {}
    if a.remaining():
        opts["window_ms"] = a.number("window in ms", lo=0, lo_open=True)
    if a.remaining():
        fade = a.pop("a fade type")
        if not fade.lower().startswith("l"):
            raise a.error(fade, "the only fade type is lin (linear)")
    if a.remaining():
        opts["shift"] = a.number("shift ratio", lo=0, hi=1, lo_open=True)
    if a.remaining():
        opts["fading"] = a.number("fading ratio", lo=0, hi=0.5)
    try:
        return F.stretch(x, sr, factor, **opts), sr
    except ValueError as err:
        raise a.usage_error(str(err)) from err


@effect("bend")
def _bend(x, sr, a: EffectArgs):
    opts = {}
    while a.peek() in ("-f", "-o"):
        flag = a.pop()
        if flag == "-f":
            opts["frame_rate"] = a.integer("frame rate", lo=10, hi=80)
        else:
            opts["oversample"] = a.integer("over-sampling", lo=4, hi=32)
    if not a.remaining():
        raise a.usage_error("needs at least one delay,cents,duration bend (wrong number of arguments)")
    bends = []
    while a.remaining():
        text = a.pop()
        parts = text.split(",")
        if len(parts) != 3:
            raise a.error(text, "expected delay,cents,duration")
        delay = a.time("a delay", text=parts[0])
        cents = a.number("cents", text=parts[1])
        if cents == 0:
            raise a.error(text, "cents must not be 0")
        duration = a.time("a duration", text=parts[2])
        bends.append((delay, cents, max(duration, 1)))
    return F.bend(x, sr, bends, **opts), sr
