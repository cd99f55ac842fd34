"""Time-varying effects: echo, echos, chorus, tremolo, flanger, phaser."""

from __future__ import annotations

from .. import functional as F
from ._args import EffectArgs
from ._registry import effect


def _gains(a: EffectArgs):
    gain_in = a.number("gain-in", lo=0, hi=1)
    gain_out = a.number("gain-out", lo=0)
    return gain_in, gain_out


def _echo_pairs(a: EffectArgs, max_pairs: int):
    if a.remaining() < 2 or a.remaining() % 2:
        raise a.usage_error("needs gain-in gain-out followed by delay/decay pairs (wrong number of arguments)")
    delays, decays = [], []
    while a.remaining():
        delay_text = a.peek()
        delay = a.number("delay in ms", lo=0, lo_open=True)
        if int(delay * a.sample_rate / 1000) < 1:
            raise a.error(delay_text, "delay must be at least one sample long")
        delays.append(delay)
        decays.append(a.number("decay", lo=0, hi=1))
    if len(delays) > max_pairs:
        raise a.usage_error(f"at most {max_pairs} delay/decay pairs are allowed")
    return delays, decays


@effect("echo")
def _echo(x, sr, a: EffectArgs):
    gain_in, gain_out = _gains(a)
    delays, decays = _echo_pairs(a, 7)
    return F.echo(x, sr, gain_in, gain_out, delays, decays), sr


@effect("echos")
def _echos(x, sr, a: EffectArgs):
    gain_in, gain_out = _gains(a)
    delays, decays = _echo_pairs(a, 7)
    return F.echos(x, sr, gain_in, gain_out, delays, decays), sr


@effect("chorus")
def _chorus(x, sr, a: EffectArgs):
    gain_in, gain_out = _gains(a)
    if a.remaining() == 0 or a.remaining() % 5:
        raise a.usage_error("needs gain-in gain-out, then groups of: delay decay speed depth -s|-t "
                            "(wrong number of arguments)")
    voices = {"delays": [], "decays": [], "speeds": [], "depths": [], "modulations": []}
    while a.remaining():
        voices["delays"].append(a.number("delay in ms", lo=20, hi=100))
        voices["decays"].append(a.number("decay", lo=0, hi=1))
        voices["speeds"].append(a.number("speed in Hz", lo=0.1, hi=5))
        voices["depths"].append(a.number("depth in ms", lo=0, hi=10))
        shape = a.pop("-s or -t")
        if shape not in ("-s", "-t"):
            raise a.error(shape, "modulation must be -s (sine) or -t (triangle)")
        voices["modulations"].append("sine" if shape == "-s" else "triangle")
    if len(voices["delays"]) > 7:
        raise a.usage_error("at most 7 chorus voices are allowed")
    return F.chorus(x, sr, gain_in, gain_out, **voices), sr


@effect("tremolo")
def _tremolo(x, sr, a: EffectArgs):
    speed = a.number("speed in Hz", lo=0, lo_open=True)
    depth = a.number("depth in percent", lo=0, hi=100) if a.remaining() else 40.0
    return F.tremolo(x, sr, speed, depth), sr


@effect("flanger")
def _flanger(x, sr, a: EffectArgs):
    opts = {}
    names = [("delay", 0, 30), ("depth", 0, 10), ("regen", -95, 95), ("width", 0, 100), ("speed", 0.1, 10)]
    for name, lo, hi in names:
        if a.remaining():
            opts[name] = a.number(name, lo=lo, hi=hi)
    if a.remaining():
        shape = a.pop("a wave shape")
        choices = [c for c in ("sine", "triangle") if c.startswith(shape.lower())] if shape else []
        if not choices:
            raise a.error(shape, "wave shape must be sine or triangle")
        opts["modulation"] = "sinusoidal" if choices[0] == "sine" else "triangular"
    if a.remaining():
        opts["phase"] = a.number("phase in percent", lo=0, hi=100)
    if a.remaining():
        interp = a.pop("an interpolation")
        choices = [c for c in ("linear", "quadratic") if c.startswith(interp.lower())] if interp else []
        if not choices:
            raise a.error(interp, "interpolation must be linear or quadratic")
        opts["interpolation"] = choices[0]
    if x.shape[-2] > 4:
        raise a.usage_error(f"supports at most 4 channels, got {x.shape[-2]}")
    return F.flanger(x, int(round(sr)), **opts), sr


@effect("phaser")
def _phaser(x, sr, a: EffectArgs):
    opts = {}
    for key, what, lo, hi in [("gain_in", "gain-in", 0, 1), ("gain_out", "gain-out", 0, 1e9),
                              ("delay_ms", "delay in ms", 0, 5), ("decay", "decay", 0, 0.99),
                              ("mod_speed", "speed in Hz", 0.1, 2)]:
        if a.remaining() and a.peek() not in ("-s", "-t"):
            opts[key] = a.number(what, lo=lo, hi=hi)
    shape = a.pop_flag("-s", "-t")
    if shape:
        opts["sinusoidal"] = shape == "-s"
    return F.phaser(x, int(round(sr)), **opts), sr
