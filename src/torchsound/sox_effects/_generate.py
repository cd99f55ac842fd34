"""Other effects: earwax, fir, hilbert, divide, dither."""

from __future__ import annotations

import torch

from ..functional._sox_misc import earwax, fir_filter, hilbert_fir
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
    # sox: every channel after the first is divided by the first (sox clips the ratio to full scale)
    ratio = (x[..., 1:, :] / x[..., :1, :]).clamp(-1.0, 1.0)
    return torch.cat([x[..., :1, :], ratio], dim=-2), sr


@effect("dither")
def _dither(x, sr, a: EffectArgs):
    precision = 16
    while a.remaining():
        flag = a.pop()
        if flag == "-a":
            pass  # sox turns dither off on digital silence; TPDF noise on silence is kept here
        elif flag == "-p":
            precision = a.integer("precision in bits", lo=1, hi=24)
        elif flag in ("-s", "-S", "-f"):
            raise a.error(flag, "noise shaping (-s, -S, -f) is not supported yet; plain TPDF dither is")
        else:
            raise a.error(flag, "unknown option; expected -a or -p BITS")
    return tpdf_dither(x, precision), sr


def tpdf_dither(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Add triangular (TPDF, +-1 LSB) noise and round to ``bits`` bits, as sox does before writing."""
    lsb = 2.0 ** (1 - bits)
    noise = torch.rand_like(x) - torch.rand_like(x)
    return torch.round(x / lsb + noise) * lsb


_SYNTH_TYPES = ("sine", "square", "triangle", "sawtooth", "trapezium", "whitenoise", "noise", "tpdfnoise")
_SYNTH_UNSUPPORTED = ("pinknoise", "brownnoise", "exp", "pluck")
_COMBINE = ("create", "mix", "amod")


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
        length = a.time("a length")
    if a.peek() in ("-n", "-j"):
        raise a.error(a.peek(), "synth options -n and -j are not supported yet")
    specs = []
    while a.remaining():
        kind = a.pop("a waveform type")
        if kind in _SYNTH_UNSUPPORTED:
            raise a.error(kind, "this synth waveform is not supported yet; use sine, square, triangle, sawtooth, "
                                "trapezium, whitenoise or tpdfnoise")
        if kind not in _SYNTH_TYPES:
            raise a.error(kind, f"unknown waveform; expected one of {', '.join(_SYNTH_TYPES)}")
        combine = a.pop() if a.peek() in _COMBINE else "create"
        if a.peek() == "fmod":
            raise a.error("fmod", "synth fmod is not supported yet")
        values = []
        while a.remaining() and a.peek() not in _SYNTH_TYPES + _SYNTH_UNSUPPORTED and len(values) < 6:
            text = a.pop()
            if not values:
                if any(c in text[1:] for c in ":+/-"):
                    raise a.error(text, "frequency sweeps are not supported yet")
                values.append(a.frequency("a frequency", text=text, nyquist=False))
            else:
                values.append(a.number("a synth parameter", text=text))
        freq = values[0] if values else 440.0
        offset = values[1] / 100 if len(values) > 1 else 0.0
        phase0 = values[2] / 100 if len(values) > 2 else 0.0
        shape = [v / 100 for v in values[3:6]] + [None] * (3 - len(values[3:6]))
        specs.append((kind, combine, freq, offset, phase0, shape))
    if not specs:
        raise a.usage_error("needs a waveform type (wrong number of arguments)")
    n = x.shape[-1] if length is None else length
    inp = x[..., :n] if n <= x.shape[-1] else torch.nn.functional.pad(x, (0, n - x.shape[-1]))
    t = torch.arange(n, dtype=torch.float64, device=x.device) / sr
    channels = []
    for c in range(x.shape[-2]):
        kind, combine, freq, offset, phase0, shape = specs[c % len(specs)]
        if kind in ("whitenoise", "noise"):
            wave = torch.rand(*x.shape[:-2], n, dtype=torch.float64, device=x.device) * 2 - 1
        elif kind == "tpdfnoise":
            shape_ = (*x.shape[:-2], n)
            wave = torch.rand(shape_, dtype=torch.float64, device=x.device) - torch.rand(shape_, dtype=torch.float64, device=x.device)
        else:
            wave = synth_wave(kind, torch.remainder(freq * t + phase0, 1.0), *shape)
        wave = (offset + (1 - abs(offset)) * wave).to(x.dtype)
        here = inp[..., c, :]
        if combine == "mix":
            wave = (here + wave) / 2
        elif combine == "amod":
            wave = here * (wave + 1) / 2
        channels.append(wave.expand_as(here) if wave.dim() < here.dim() else wave)
    return torch.stack(channels, dim=-2), sr
