"""Other effects: earwax, fir, hilbert, divide, dither."""

from __future__ import annotations

import torch

from .. import functional as F
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
