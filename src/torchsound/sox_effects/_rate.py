"""Time, pitch and rate effects: tempo, pitch, speed, rate, upsample, downsample, stretch, bend."""

from __future__ import annotations

import torch

from .. import functional as F
from ..functional._fir_phase import to_minimum_phase
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
    quality, bandwidth, minimum_phase = "h", None, False
    while a.peek() is not None and a.peek().startswith("-") and a.remaining() > 1:
        flag = a.pop()
        letter = flag[1:]
        if letter in _RATE_QUALITY:
            quality = letter
        elif letter == "L":
            minimum_phase = False
        elif letter == "a":
            pass  # -a (allow aliasing) only widens sox's transition band
        elif letter == "s":
            bandwidth = 99.0
        elif letter == "b":
            bandwidth = a.number("band-width in %", lo=74, hi=99.7)
        elif letter == "M":
            minimum_phase = True
        elif letter == "p":
            phase = a.number("phase", lo=0, hi=100)
            if phase not in (0, 50):
                raise a.error(flag, f"phase {phase:g}: only linear (-L, 50) and minimum (-M, 0) phase are supported; "
                                    "intermediate phases are not supported yet")
            minimum_phase = phase == 0
        elif letter == "I":
            raise a.error(flag, "only linear (-L) and minimum (-M) phase are supported; intermediate phase is not "
                                "supported yet")
        else:
            raise a.error(flag, "unknown option; expected -q, -l, -m, -h, -v, -s, -a, -b or -L")
    if not a.remaining():
        raise a.usage_error("needs the output rate (wrong number of arguments)")
    new_rate = a.frequency("output sample rate", nyquist=False)
    if not minimum_phase or new_rate == sr:
        return resample_to(x, sr, new_rate, _RATE_QUALITY[quality], bandwidth), new_rate
    if sr != int(sr) or new_rate != int(new_rate):
        raise a.error("-M", "minimum phase needs integer sample rates; fractional ones are not supported yet")
    # resample (zero phase) with room on both sides, so the ringing that minimum phase moves in from outside
    # the signal is there, then re-phase and cut out sox's output span
    from fractions import Fraction

    ratio = Fraction(int(new_rate), int(sr))
    reference = _rate_reference_lowpass(sr, new_rate, quality, bandwidth)
    steps = -(-reference.numel() * ratio.denominator // ratio.numerator) // ratio.denominator + 1
    pad = steps * ratio.denominator
    y = resample_to(torch.nn.functional.pad(x, (pad, pad)), sr, new_rate, _RATE_QUALITY[quality], bandwidth)
    y = to_minimum_phase(y, reference)
    start, n_out = pad * ratio.numerator // ratio.denominator, int(x.shape[-1] * new_rate / sr + 0.5)
    return y[..., start:start + n_out], new_rate


def _rate_reference_lowpass(from_rate: float, to_rate: float, quality: str, bandwidth) -> torch.Tensor:
    """A linear-phase low-pass at ``to_rate`` with the magnitude of sox's rate filter for ``quality``: its
    pass band ends at ``bandwidth`` % of the lower Nyquist and its stop band starts at that Nyquist."""
    from ..functional._sox_misc import kaiser_beta, kaiser_lowpass, lowpass_num_taps

    attenuation = {"q": 90.0, "l": 100.0, "m": 100.0, "h": 125.0, "v": 170.0}[quality]
    passband = (bandwidth if bandwidth is not None else (80.0 if quality in ("q", "l") else 95.0)) / 100
    edge = min(from_rate, to_rate) / to_rate  # the lower Nyquist, as a fraction of the output Nyquist
    transition = (1 - passband) * edge
    taps = min(lowpass_num_taps(attenuation, transition * 0.5), 32767)
    return kaiser_lowpass(taps, (1 + passband) / 2 * edge, kaiser_beta(attenuation))


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
    factor = a.number("stretch factor", lo=0, lo_open=True) if a.remaining() else 1.0  # sox's default
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
