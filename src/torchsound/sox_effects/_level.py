"""Level effects: gain, vol, norm, dcshift, contrast, overdrive, divide."""

from __future__ import annotations

import re

import torch

from .. import functional as F
from ._args import EffectArgs, db_to_amplitude, parse_number
from ._registry import effect


def _peak(x: torch.Tensor, per_channel: bool) -> torch.Tensor:
    """Peak magnitude per signal (over channels and time), or per channel; keeps dims."""
    dims = (-1,) if per_channel else (-2, -1)
    return x.detach().abs().amax(dim=dims, keepdim=True).clamp_min(torch.finfo(x.dtype).tiny)


def _rms(x: torch.Tensor) -> torch.Tensor:
    return x.detach().pow(2).mean(dim=-1, keepdim=True).sqrt()


def apply_gain(x: torch.Tensor, gain_db: float = 0.0, *, normalise=False, equalise=False, balance=None,
               reclaim=False, limiter=False) -> torch.Tensor:
    """sox's ``gain`` with its flags. ``balance`` is None, ``"B"`` (no clip protection) or ``"b"``."""
    fixed = db_to_amplitude(gain_db)
    if balance is not None:
        rms = _rms(x)
        max_rms = rms.amax(dim=-2, keepdim=True)
        mult = torch.where(rms > 0, max_rms / rms.clamp_min(1e-300), torch.ones_like(rms))
        max_peak = (mult * _peak(x, per_channel=True)).amax(dim=-2, keepdim=True)
        mult = mult * fixed
        if normalise:
            mult = mult / max_peak
        elif balance == "b":
            mult = mult / max_peak.clamp_min(1.0)
    elif equalise and not normalise:
        peak = _peak(x, per_channel=True)
        mult = fixed * peak.amax(dim=-2, keepdim=True) / peak
    elif normalise or reclaim:
        # -n: to 0 dBFS (per channel with -e); -r: undo headroom as far as the peak allows
        mult = 1.0 / _peak(x, per_channel=equalise)
        if reclaim:
            mult = mult.clamp_max(1.0)
        mult = mult * fixed
    else:
        mult = fixed
    if limiter:
        # sox's simple limiter: slope `mult` at 0, reaching exactly 1 at full scale.
        return x * mult / (1 + (mult - 1) * x.abs())
    return x * mult


@effect("gain")
def _gain(x, sr, a: EffectArgs):
    opts = set()
    while a.peek() is not None and re.fullmatch(r"-[a-zA-Z]+", a.peek()):
        text = a.pop()
        for letter in text[1:]:
            if letter not in "neBbrlh":
                raise a.error(text, f"invalid option '-{letter}'; expected -e, -B, -b, -r, -n, -l or -h")
            opts.add(letter)
    if len(opts & set("eBbr")) > 1:
        raise a.usage_error("only one of -e, -B, -b, -r may be given")
    if "n" in opts and "r" in opts:
        raise a.usage_error("only one of -n, -r may be given")
    gain_db = a.number("gain in dB") if a.remaining() else 0.0
    balance = "B" if "B" in opts else "b" if "b" in opts else None
    # -h (headroom for later effects) changes nothing here (sox's headroom negotiation is not modelled).
    return apply_gain(x, gain_db, normalise="n" in opts, equalise="e" in opts, balance=balance,
                      reclaim="r" in opts, limiter="l" in opts), sr


@effect("norm")
def _norm(x, sr, a: EffectArgs):
    flag = a.pop_flag("-i", "-b")
    level = a.number("level in dB") if a.remaining() else 0.0
    if flag == "-b":
        return apply_gain(x, level, normalise=True, balance="B"), sr
    return apply_gain(x, level, normalise=True, equalise=flag == "-i"), sr


def _vol_gain(a: EffectArgs) -> float:
    text = a.pop("a gain")
    kind = "amplitude"
    if text.lower().endswith("db"):
        text, kind = text[:-2], "dB"
    value = parse_number(text)
    if value is None:
        raise a.error(text, "expected a gain (a number, optionally ending in dB)")
    if a.remaining():
        kind_text = a.pop("a gain type")
        matches = [k for k in ("amplitude", "power", "dB") if k.lower().startswith(kind_text.lower())]
        if not matches:
            raise a.error(kind_text, "gain type must be amplitude, power or dB")
        kind = matches[0]
    if kind == "power":
        if value < 0:
            raise a.error(text, "a power gain must be >= 0")
        return value ** 0.5
    return db_to_amplitude(value) if kind == "dB" else value


@effect("vol")
def _vol(x, sr, a: EffectArgs):
    gain = _vol_gain(a)
    if not a.remaining():
        return x * gain, sr
    limiter = a.number("limiter gain", lo=0, hi=1, lo_open=True)
    if abs(gain) <= limiter:
        return x * gain, sr
    # sox's peak limiter: beyond the threshold the output approaches full scale with slope `limiter`.
    threshold = (1.0 - limiter) / (abs(gain) - limiter)
    sign = torch.sign(x) * (1.0 if gain >= 0 else -1.0)
    limited = sign * (1.0 - limiter * (1.0 - x.abs()))
    return torch.where(x.abs() > threshold, limited, x * gain), sr


@effect("dcshift")
def _dcshift(x, sr, a: EffectArgs):
    shift = a.number("shift", lo=-2, hi=2)
    limiter = a.number("limiter gain") if a.remaining() else None
    return F.dcshift(x, shift, limiter), sr


@effect("contrast")
def _contrast(x, sr, a: EffectArgs):
    amount = a.number("enhancement amount", lo=0, hi=100) if a.remaining() else 75.0
    return F.contrast(x, amount), sr


@effect("overdrive")
def _overdrive(x, sr, a: EffectArgs):
    gain = a.number("gain in dB", lo=0, hi=100) if a.remaining() else 20.0
    colour = a.number("colour", lo=0, hi=100) if a.remaining() else 20.0
    return F.overdrive(x, gain, colour), sr
