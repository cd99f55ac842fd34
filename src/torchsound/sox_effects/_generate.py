"""Other effects: earwax, fir, hilbert, divide, dither."""

from __future__ import annotations

import math

import torch

from ..functional._sox_misc import earwax, fir_filter, hilbert_fir
from ..functional._noise_shaping import SHAPING_FILTERS, noise_shaped_requantize, shaping_filter, tpdf_requantize
from ._args import EffectArgs, parse_number
from ._registry import effect


@effect("earwax")
def _earwax(x, sr, a: EffectArgs):
    if sr != 44100 or x.shape[-2] != 2:
        raise a.usage_error(f"works only on 44.1 kHz stereo audio, got {x.shape[-2]} channel(s) at {sr:g} Hz")
    return earwax(x), sr


@effect("fir")
def _fir(x, sr, a: EffectArgs):
    if not a.remaining():
        raise a.usage_error("needs coefficients or a coefficient file (wrong number of arguments)")
    if a.remaining() == 1 and parse_number(a.peek()) is None:
        path = a.pop()
        try:
            with open(path) as f:
                words = [w for line in f for w in line.split("#")[0].split()]
        except OSError as err:
            raise a.error(path, f"could not read the coefficient file: {err.strerror}") from err
        coefficients = [a.number("a coefficient", text=w) for w in words]
        if not coefficients:
            raise a.error(path, "the coefficient file holds no numbers")
    else:
        coefficients = []
        while a.remaining():
            coefficients.append(a.number("a coefficient"))
    return fir_filter(x, coefficients), sr


@effect("hilbert")
def _hilbert(x, sr, a: EffectArgs):
    taps = None
    if a.pop_flag("-n"):
        taps = a.integer("number of taps", lo=3, hi=32767)
        if taps % 2 == 0:
            raise a.error(str(taps), "only an odd number of taps is supported")
    if taps is None:
        taps = int(sr / 76.5 + 2)  # sox 14.4.2's default (a cutoff of about 75 Hz), made odd
        taps += 1 - taps % 2
    return fir_filter(x, hilbert_fir(taps, device=x.device)), sr


@effect("divide")
def _divide(x, sr, a: EffectArgs):
    # sox: every channel after the first is divided by the first (sox clips the ratio to full scale),
    # on 32-bit samples (floats truncated toward zero: the straight-through rounding keeps gradients).
    # Where the first is a zero sample sox repeats the last ratio it computed (0 before any).
    wide = x.double()
    q = (wide + (torch.trunc(wide * 2**31) / 2**31 - wide).detach())
    first = q[..., :1, :]
    zero = first == 0
    ratio = (q[..., 1:, :] / torch.where(zero, torch.ones_like(first), first)).clamp(-1.0, 1.0).to(x.dtype)
    ratio = torch.cat([torch.zeros_like(ratio[..., :1]), torch.where(zero, torch.zeros_like(ratio), ratio)], dim=-1)
    steps = torch.arange(1, x.shape[-1] + 1, device=x.device)
    last = torch.where(zero, 0, steps).cummax(dim=-1).values  # 1 + index of the last nonzero divisor, 0 if none
    ratio = ratio.gather(-1, last.expand(*ratio.shape[:-1], -1))
    return torch.cat([x[..., :1, :], ratio], dim=-2), sr


@effect("dither")
def _dither(x, sr, a: EffectArgs):
    precision, sloped, shape = 16, False, None
    while a.remaining():
        flag = a.pop()
        if flag == "-a":
            pass  # sox turns dither off on digital silence; dither on silence is kept here
        elif flag == "-p":
            precision = a.integer("precision in bits", lo=2, hi=24)  # sox leaves audio unchanged at 1 bit
        elif flag == "-S":
            sloped = True
        elif flag == "-s":
            shape = "shibata"
        elif flag == "-f":
            shape = a.pop("a noise-shaping filter name")
            if shape not in SHAPING_FILTERS:
                raise a.error(shape, f"unknown noise-shaping filter; expected one of {', '.join(SHAPING_FILTERS)}")
        else:
            raise a.error(flag, "unknown option; expected -S, -s, -f FILTER, -a or -p BITS")
    table = shaping_filter(shape, sr) if shape else None
    if shape and table is None:
        sloped = sloped or sr >= 22050  # sox's fallback when the filter has no table near this rate
    if table is None:
        return tpdf_requantize(x, precision, sloped=sloped), sr
    return noise_shaped_requantize(x, precision, *table), sr


_SYNTH_TYPES = ("sine", "square", "triangle", "sawtooth", "trapezium", "exp", "whitenoise", "noise", "tpdfnoise",
                "pinknoise", "brownnoise")
_SYNTH_TONES = ("sine", "square", "triangle", "sawtooth", "trapezium", "exp")  # the ones with a frequency to sweep
_SYNTH_UNSUPPORTED = ("pluck",)
_COMBINE = ("create", "mix", "amod", "fmod")
# sox's sweep separators between two frequencies: linear, square, exponential, exponential in whole cycles
_SWEEPS = {":": "linear", "+": "square", "/": "exp", "-": "exp_cycle"}
# Paul Kellet's pink-noise filter as sox uses it: (pole, gain) of six one-pole sections on uniform noise in
# [-1/8, 1/8), plus a direct term and a one-sample-delayed term
_PINK_SECTIONS = ((0.99886, 0.0555179), (0.99332, 0.0750759), (0.96900, 0.1538520), (0.86650, 0.3104856),
                  (0.55000, 0.5329522), (-0.7616, -0.0168980))
_PINK_DIRECT, _PINK_DELAYED = 0.5362, 0.115926


def sweep_phase(sweep: str, f1: float, f2: float, n: int, sample_rate: float, device=None) -> torch.Tensor:
    """Phase in cycles (not wrapped) of sox's synth sweep from ``f1`` to ``f2`` Hz over ``n`` samples, float64."""
    k = torch.arange(n, dtype=torch.float64, device=device)
    t = k / sample_rate
    if sweep == "linear":  # the instantaneous frequency rises linearly: phase = (f1 + k * slope / 2) * t
        slope = (f2 - f1) / n / 2 if n else 0.0
        return (f1 + k * slope) * k / sample_rate  # sox's order: exact at half cycles (square-wave edges)
    if sweep == "square":
        rate = math.sqrt(abs(f2 - f1)) / n / math.sqrt(3.0) if n else 0.0
        sign = -1.0 if f1 > f2 else 1.0
        return (f1 + sign * (k * rate) ** 2) * k / sample_rate
    if sweep == "exp":
        growth = math.log(f2 / f1) / n * sample_rate if n else 1.0
        return f1 / growth * torch.exp(growth * t)
    # exp_cycle: the frequency changes only at whole cycles, so every cycle is a complete waveform; the cycle
    # start moves on by one period of the current frequency each time a cycle completes (sequential by nature)
    growth = (math.log(f2) - math.log(f1)) / n if n else 1.0
    phase, cycle_start = [0.0] * n, 0.0
    for i in range(n):
        f = f1 * math.exp(i * growth)
        elapsed = i / sample_rate - cycle_start
        if f * elapsed >= 1:
            cycle_start += 1 / f
            elapsed = i / sample_rate - cycle_start
        phase[i] = f * elapsed
    return torch.tensor(phase, dtype=torch.float64, device=device)


def pink_noise(shape, *, dtype=torch.float64, device=None) -> torch.Tensor:
    """sox's ``synth pinknoise``: uniform noise through Kellet's -3 dB/octave filter (time last)."""
    from ..functional import lfilter

    white = (torch.rand(shape, dtype=torch.float64, device=device) * 2 - 1) / 8
    out = _PINK_DIRECT * white
    out[..., 1:] += _PINK_DELAYED * white[..., :-1]
    for pole, gain in _PINK_SECTIONS:
        a = torch.tensor([1.0, -pole], dtype=torch.float64, device=device)
        b = torch.tensor([gain, 0.0], dtype=torch.float64, device=device)
        out = out + lfilter(white, a, b, clamp=False)
    return out.to(dtype)


def brown_noise(shape, *, dtype=torch.float64, device=None) -> torch.Tensor:
    """sox's ``synth brownnoise``: a random walk with uniform steps of at most 1/16 kept inside [-1, 1].

    sox redraws a step that would leave [-1, 1]; here the walk is folded back at the bounds instead, which keeps
    it vectorized and has the same -6 dB/octave spectrum and (uniform) level distribution."""
    walk = torch.cumsum((torch.rand(shape, dtype=torch.float64, device=device) * 2 - 1) / 16, dim=-1)
    folded = torch.remainder(walk + 1, 4.0)  # a triangle fold: period 4, mapped back onto [-1, 1]
    return (1 - (folded - 2).abs()).to(dtype)


def synth_wave(kind: str, phase: torch.Tensor, p1, p2, p3) -> torch.Tensor:
    """sox's synth waveforms at ``phase`` in [0, 1) (cycles), full scale [-1, 1]."""
    if kind == "sine":
        return torch.sin(2 * torch.pi * phase)
    if kind == "square":
        return torch.where(phase < (0.5 if p1 is None else p1), 1.0, -1.0).to(phase.dtype)
    if kind == "triangle":
        peak = 0.5 if p1 is None else p1
        return torch.where(phase < peak, 2 * phase / max(peak, 1e-12) - 1, 1 - 2 * (phase - peak) / max(1 - peak, 1e-12))
    if kind == "sawtooth":
        return 2 * phase - 1
    if kind == "exp":  # rises exponentially from p2 * -200 dB (of full scale) to its peak at p1, then falls
        peak, floor = (0.5 if p1 is None else p1), 10.0 ** ((0.5 if p2 is None else p2) * -200 / 20)
        rise = floor * torch.exp(phase * math.log(1 / floor) / max(peak, 1e-12))
        fall = floor * torch.exp((1 - phase) * math.log(1 / floor) / max(1 - peak, 1e-12))
        return torch.where(phase < peak, rise, fall) * 2 - 1
    # trapezium: rise over [0, p1), high until p2, fall until p3, low after
    rise, fall, end = (0.1 if p1 is None else p1), (0.5 if p2 is None else p2), (0.6 if p3 is None else p3)
    up = -1 + 2 * phase / max(rise, 1e-12)
    down = 1 - 2 * (phase - fall) / max(end - fall, 1e-12)
    return torch.where(phase < rise, up, torch.where(phase < fall, torch.ones_like(phase),
                                                     torch.where(phase < end, down, -torch.ones_like(phase))))


@effect("synth")
def _synth(x, sr, a: EffectArgs):
    length = None
    if a.peek() is not None and a.peek() not in _SYNTH_TYPES + _SYNTH_UNSUPPORTED and a.peek() not in ("-n", "-j"):
        length = a.time("a length") or None  # 0: as long as the input, as in sox
    if a.peek() in ("-n", "-j"):
        raise a.error(a.peek(), "synth options -n and -j are not supported yet")
    specs = []
    while a.remaining():
        kind = a.pop("a waveform type")
        if kind in _SYNTH_UNSUPPORTED:
            raise a.error(kind, f"this synth waveform is not supported yet; use one of {', '.join(_SYNTH_TYPES)}")
        if kind not in _SYNTH_TYPES:
            raise a.error(kind, f"unknown waveform; expected one of {', '.join(_SYNTH_TYPES)}")
        combine = a.pop() if a.peek() in _COMBINE else "create"
        values, freq2, sweep = [], None, "linear"
        while a.remaining() and a.peek() not in _SYNTH_TYPES + _SYNTH_UNSUPPORTED and len(values) < 6:
            text = a.pop()
            if not values:
                cut = next((i for i, c in enumerate(text) if i > 0 and c in _SWEEPS and text[i - 1] not in "eE"), None)
                if cut is not None:
                    if kind not in _SYNTH_TONES:
                        raise a.error(text, f"a {kind} has no frequency to sweep")
                    if length is None:
                        raise a.error(text, "a frequency sweep needs the synth length to be given")
                    sweep = _SWEEPS[text[cut]]
                    freq2 = a.frequency("the sweep's end frequency", text=text[cut + 1:], nyquist=False)
                    text = text[:cut]
                values.append(a.frequency("a frequency", text=text, nyquist=False))
            else:
                values.append(a.number("a synth parameter", text=text))
        freq = values[0] if values else 440.0
        offset = values[1] / 100 if len(values) > 1 else 0.0
        phase0 = values[2] / 100 if len(values) > 2 else 0.0
        shape = [v / 100 for v in values[3:6]] + [None] * (3 - len(values[3:6]))
        specs.append((kind, combine, freq, freq if freq2 is None else freq2, sweep, offset, phase0, shape))
    if not specs:  # sox's default: a full-scale 440 Hz sine
        specs.append(("sine", "create", 440.0, 440.0, "linear", 0.0, 0.0, [None] * 3))
    n = x.shape[-1] if length is None else length  # the sweeps span this length
    inp = x[..., :n] if n <= x.shape[-1] else torch.nn.functional.pad(x, (0, n - x.shape[-1]))
    noise_shape = (*x.shape[:-2], n)
    channels = []
    for c in range(x.shape[-2]):
        kind, combine, freq, freq2, sweep, offset, phase0, shape = specs[c % len(specs)]
        if kind in ("whitenoise", "noise"):
            wave = torch.rand(noise_shape, dtype=torch.float64, device=x.device) * 2 - 1
        elif kind == "tpdfnoise":
            wave = torch.rand(noise_shape, dtype=torch.float64, device=x.device) - torch.rand(noise_shape, dtype=torch.float64, device=x.device)
        elif kind == "pinknoise":
            wave = pink_noise(noise_shape, device=x.device)
        elif kind == "brownnoise":
            wave = brown_noise(noise_shape, device=x.device)
        else:
            phase = sweep_phase(sweep, freq, freq2, n, sr, device=x.device)
            wave = synth_wave(kind, torch.remainder(phase + phase0, 1.0), *shape)
        wave = (offset + (1 - abs(offset)) * wave).to(x.dtype)
        here = inp[..., c, :]
        if combine == "mix":
            wave = (here + wave) / 2
        elif combine == "amod":
            wave = here * (wave + 1) / 2
        elif combine == "fmod":  # sox 14.4.2's fmod multiplies the input by the waveform (ring modulation)
            wave = here * wave
        channels.append(wave.expand_as(here) if wave.dim() < here.dim() else wave)
    # with an input, sox's synth ends where its input ends, even when its length says more
    return torch.stack(channels, dim=-2)[..., :x.shape[-1]], sr
