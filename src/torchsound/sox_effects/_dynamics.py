"""Dynamics effects: compand, mcompand."""

from __future__ import annotations

from .. import functional as F
from ..functional._dynamics import _MINUS_INF_DB
from ._args import EffectArgs, parse_number
from ._registry import effect


def parse_attack_decay(a: EffectArgs, text: str):
    values = [parse_number(v) for v in text.split(",")]
    if len(values) % 2 or any(v is None for v in values):
        raise a.error(text, "expected attack,decay[,attack,decay...] times in seconds (an even count of numbers)")
    if any(v < 0 for v in values):
        raise a.error(text, "attack and decay times can't be negative")
    return list(zip(values[::2], values[1::2]))


def parse_transfer(a: EffectArgs, text: str):
    """``[soft-knee-dB:]in-dB1[,out-dB1]{,in-dB2,out-dB2}`` -> (knee, points)."""
    knee, _, body = text.rpartition(":")
    knee_db = 0.01
    if knee:
        value = parse_number(knee)
        if value is None:
            raise a.error(text, f"could not parse the soft-knee {knee!r}")
        knee_db = value
    values = []
    for item in body.split(","):
        value = _MINUS_INF_DB if item == "-inf" else parse_number(item)
        if value is None:
            raise a.error(text, f"could not parse the transfer function value {item!r}")
        if value > 0:
            raise a.error(text, "transfer function values are relative to full scale and can't exceed 0 dB")
        values.append(value)
    points = []
    if len(values) % 2:  # a lone first input level: output equals input there
        points.append((values.pop(0), None))
    points += list(zip(values[::2], values[1::2]))
    return knee_db, points


def parse_compand(a: EffectArgs, sample_rate, channels):
    if not 2 <= a.remaining() <= 5:
        raise a.usage_error("needs attack,decay and a transfer function, then optional gain, "
                            "initial volume and delay (wrong number of arguments)")
    pairs = parse_attack_decay(a, a.pop())
    transfer_text = a.pop()
    knee, points = parse_transfer(a, transfer_text)
    if any(p1[0] < p0[0] for p0, p1 in zip(points, points[1:])):
        raise a.error(transfer_text, "transfer function input levels must increase")
    gain = a.number("gain in dB") if a.remaining() else 0.0
    initial = a.number("initial volume in dB", hi=0) if a.remaining() else 0.0
    delay = a.number("delay in seconds", lo=0) if a.remaining() else 0.0
    if len(pairs) not in (1, channels):
        raise a.usage_error(f"give one attack,decay pair or one per channel ({channels}), got {len(pairs)}")
    return dict(attack_decay=pairs, points=points, soft_knee_db=knee, gain_db=gain,
                initial_volume_db=initial, delay=delay)


@effect("compand")
def _compand(x, sr, a: EffectArgs):
    return F.compand(x, sr, **parse_compand(a, sr, x.shape[-2])), sr


@effect("mcompand")
def _mcompand(x, sr, a: EffectArgs):
    if a.remaining() % 2 == 0:
        raise a.usage_error("needs quoted compand arguments, then crossover-frequency and quoted compand arguments "
                            "for each further band (an odd number of arguments)")
    bands, crossovers = [], []
    while a.remaining():
        text = a.pop()
        sub = EffectArgs(a.effect, text.split(), a.sample_rate, a.num_channels)
        try:
            bands.append(parse_compand(sub, sr, x.shape[-2]))
        except ValueError as err:
            raise a.error(text, str(err).split(": ", 1)[-1]) from err
        if int(bands[-1]["delay"] * sr * x.shape[-2]) > 0:  # sox refuses a delay of one sample or more
            raise a.error(text, "a compander delay within mcompand is not supported (as in sox)")
        if a.remaining():
            crossovers.append(a.frequency("crossover frequency"))
    if any(b <= c for c, b in zip(crossovers, crossovers[1:])):
        raise a.usage_error("crossover frequencies must be in ascending order")
    return F.mcompand(x, sr, bands, crossovers), sr
