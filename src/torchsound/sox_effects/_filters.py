"""Filter and EQ effects: the biquad family, deemph, riaa (FIR designs: sinc, fir, hilbert live in _fir)."""

from __future__ import annotations

import math

import torch

from .. import functional as F
from ._args import EffectArgs
from ._registry import effect

_BUTTERWORTH_Q = math.sqrt(0.5)


def equivalent_q(a: EffectArgs, freq: float, width: float, unit: str, gain_db: float = 0.0) -> float:
    """The Q that gives sox's bandwidth ``alpha`` for a width in ``unit`` (q, h, o or s)."""
    w0 = 2 * math.pi * freq / a.sample_rate
    if unit == "q":
        return width
    if unit == "h":
        return freq / width
    if unit == "o":
        return 1 / (2 * math.sinh(math.log(2) / 2 * width * w0 / math.sin(w0)))
    amp = 10 ** (gain_db / 40)  # "s": shelf slope
    return 1 / math.sqrt((amp + 1 / amp) * (1 / width - 1) + 2)


def _one_pole(x, a: EffectArgs, freq: float, highpass: bool):
    pole = math.exp(-2 * math.pi * freq / a.sample_rate)
    if highpass:
        b = [(1 + pole) / 2, -(1 + pole) / 2]
    else:
        b = [1 - pole, 0.0]
    coeffs = dict(dtype=torch.float64, device=x.device)
    return F.lfilter(x, torch.tensor([1.0, -pole], **coeffs), torch.tensor(b, **coeffs), clamp=False)


def _hilo(highpass: bool):
    def run(x, sr, a: EffectArgs):
        poles = a.pop_flag("-1", "-2")
        freq = a.frequency("cutoff frequency")
        if poles == "-1":
            return _one_pole(x, a, freq, highpass), sr
        width, unit = a.width("q", "qohk") if a.remaining() else (_BUTTERWORTH_Q, "q")
        fn = F.highpass_biquad if highpass else F.lowpass_biquad
        return fn(x, sr, freq, equivalent_q(a, freq, width, unit)), sr

    return run


effect("lowpass")(_hilo(False))
effect("highpass")(_hilo(True))


@effect("bandpass")
def _bandpass(x, sr, a: EffectArgs):
    skirt = a.pop_flag("-c") is not None
    freq = a.frequency("center frequency")
    width, unit = a.width("h", "hkqo")
    return F.bandpass_biquad(x, sr, freq, equivalent_q(a, freq, width, unit), skirt), sr


@effect("bandreject")
def _bandreject(x, sr, a: EffectArgs):
    freq = a.frequency("center frequency")
    width, unit = a.width("h", "hkqo")
    return F.bandreject_biquad(x, sr, freq, equivalent_q(a, freq, width, unit)), sr


@effect("allpass")
def _allpass(x, sr, a: EffectArgs):
    freq = a.frequency("center frequency")
    width, unit = a.width("h", "hkqo")
    return F.allpass_biquad(x, sr, freq, equivalent_q(a, freq, width, unit)), sr


@effect("equalizer")
def _equalizer(x, sr, a: EffectArgs):
    freq = a.frequency("center frequency")
    width, unit = a.width("q", "qohk")
    gain = a.number("gain in dB")
    return F.equalizer_biquad(x, sr, freq, gain, equivalent_q(a, freq, width, unit)), sr


@effect("band")
def _band(x, sr, a: EffectArgs):
    noise = a.pop_flag("-n") is not None
    freq = a.frequency("center frequency")
    if a.remaining():
        width, unit = a.width("h", "hkqo")
        if unit == "q":
            bandwidth = freq / width
        elif unit == "o":
            bandwidth = freq * (2 ** width - 1) * 2 ** (-0.5 * width)
        else:
            bandwidth = width
    else:
        bandwidth = freq / 2
    return F.band_biquad(x, sr, freq, freq / bandwidth, noise), sr


def _shelf(treble: bool):
    def run(x, sr, a: EffectArgs):
        gain = a.number("gain in dB")
        freq = a.frequency("frequency") if a.remaining() else (3000.0 if treble else 100.0)
        if freq > sr / 2:
            raise a.error(f"{freq:g}", "frequency must be below half the sample rate")
        width, unit = a.width("s", "shkqo") if a.remaining() else (0.5, "s")
        fn = F.treble_biquad if treble else F.bass_biquad
        return fn(x, sr, gain, freq, equivalent_q(a, freq, width, unit, gain)), sr

    return run


effect("bass")(_shelf(False))
effect("treble")(_shelf(True))


@effect("biquad")
def _biquad(x, sr, a: EffectArgs):
    names = ["b0", "b1", "b2", "a0", "a1", "a2"]
    if a.remaining() != 6:
        raise a.usage_error("needs exactly 6 coefficients b0 b1 b2 a0 a1 a2 (wrong number of arguments)")
    coeffs = [a.number(n) for n in names]
    if coeffs[3] == 0:
        raise a.error(a.args[3], "a0 must not be 0")
    return F.biquad(x, *coeffs), sr


@effect("deemph")
def _deemph(x, sr, a: EffectArgs):
    if int(sr) not in (44100, 48000) or sr != int(sr):
        raise a.usage_error(f"works only at 44100 or 48000 Hz, got {sr:g} Hz")
    return F.deemph_biquad(x, int(sr)), sr


@effect("riaa")
def _riaa(x, sr, a: EffectArgs):
    if sr not in (44100, 48000, 88200, 96000):
        raise a.usage_error(f"works only at 44100, 48000, 88200 or 96000 Hz, got {sr:g} Hz")
    return F.riaa_biquad(x, int(sr)), sr


@effect("sinc")
def _sinc(x, sr, a: EffectArgs):
    from ..functional._sox_misc import fir_filter, sinc_fir

    attenuation, beta, phase = 120.0, None, 50.0
    transition, taps = [None, None], [0, 0]
    freqs = [0.0, 0.0]
    seen_freq = False

    def options(side):
        nonlocal attenuation, beta, phase
        while a.peek() is not None and a.peek() in ("-a", "-b", "-p", "-M", "-I", "-L", "-t", "-n", "-r"):
            flag = a.pop()
            if flag == "-a":
                attenuation = a.number("attenuation in dB", lo=40, hi=180)
            elif flag == "-b":
                beta = a.number("Kaiser beta", lo=0, hi=256)
            elif flag in ("-p", "-M", "-I", "-L"):
                phase = a.number("phase", lo=0, hi=100) if flag == "-p" else {"-M": 0.0, "-I": 25.0, "-L": 50.0}[flag]
            elif flag == "-t":
                text = a.pop("a transition band")
                transition[side] = a.frequency("transition band", text=text, nyquist=False)
                if transition[side] < 1:
                    raise a.error(text, "transition band must be >= 1 Hz")
            elif flag == "-n":
                taps[side] = a.integer("number of taps", lo=11, hi=32767)
            elif flag == "-r":
                raise a.error(flag, "-r (rounded tap count) is not supported yet")

    options(1)
    transition[0], taps[0] = transition[1], taps[1]
    if a.remaining() and a.peek() not in ("-a", "-b", "-p", "-M", "-I", "-L", "-t", "-n", "-r"):
        text = a.pop()
        seen_freq = True
        low_text = None
        if text.startswith("-"):
            low_text = text[1:]
        else:
            high_text, dash, rest = text.partition("-")
            freqs[0] = a.frequency("high-pass frequency", text=high_text)
            low_text = rest if dash else None
        if low_text:
            freqs[1] = a.frequency("low-pass frequency", text=low_text)
        options(1)
        if not freqs[1]:
            transition[0], taps[0] = transition[1], taps[1]
    if any(transition[i] and taps[i] for i in (0, 1)) or (beta is not None and attenuation != 120.0):
        raise a.usage_error("give either -t or -n (not both) per side, and either -a or -b")
    if not seen_freq:
        raise a.usage_error("needs a frequency: freqHP, -freqLP or freqHP-freqLP (wrong number of arguments)")
    if max(freqs) >= sr / 2:
        raise a.usage_error("filter frequency must be less than half the sample rate")
    h = sinc_fir(sr, freqs[0], freqs[1], attenuation=attenuation, beta=beta, transition=tuple(transition), num_taps=tuple(taps))
    if phase != 50:
        from ..functional._fir_phase import fir_filter_advanced, fir_to_phase

        if phase not in (0, 100):
            raise a.usage_error(f"phase {phase:g}: only linear (-L, 50), minimum (-M, 0) and maximum (-p 100) phase "
                                "are supported; intermediate phases (-I) are not supported yet")
        if freqs[0] and freqs[1] and freqs[0] > freqs[1]:
            raise a.usage_error("a band-reject with minimum or maximum phase is not supported yet; use linear phase")

        h, advance = fir_to_phase(h, phase)
        return fir_filter_advanced(x, h.to(x.device), advance), sr
    return fir_filter(x, h.to(x.device)), sr


@effect("loudness")
def _loudness(x, sr, a: EffectArgs):
    from ..functional._sox_misc import fir_filter, loudness_fir

    gain = a.number("gain in dB", lo=-50, hi=15) if a.remaining() else -10.0
    reference = a.number("reference level in dB", lo=50, hi=75) if a.remaining() else 65.0
    half = a.integer("filter half-length", lo=127, hi=2047) if a.remaining() else 1023
    if gain == 0:
        return x, sr
    return fir_filter(x, loudness_fir(sr, gain, reference, 2 * half + 1).to(x.device)), sr
