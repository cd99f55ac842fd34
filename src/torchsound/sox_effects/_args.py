"""sox's command-line argument syntax: numbers, frequencies, times, filter widths, gains.

Every effect reads its arguments through an :class:`EffectArgs` cursor, so all errors look the
same: ``ValueError("sox effect 'NAME': argument 'ARG': what was expected")``.
"""

from __future__ import annotations

import math
import re
from typing import List, Optional, Sequence, Tuple

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class EffectArgs:
    """A cursor over one effect's arguments, with sox's parsers and uniform error messages."""

    def __init__(self, effect: str, args: Sequence[str], sample_rate: float, num_channels: int):
        self.effect = effect
        self.args: List[str] = [str(a) for a in args]
        self.pos = 0
        self.sample_rate = sample_rate
        self.num_channels = num_channels

    # -- errors ---------------------------------------------------------------------------
    def error(self, arg, why: str) -> ValueError:
        return ValueError(f"sox effect {self.effect!r}: argument {arg!r}: {why}")

    def usage_error(self, why: str) -> ValueError:
        given = " ".join(self.args) or "(none)"
        return ValueError(f"sox effect {self.effect!r}: {why}; arguments were {given!r}")

    # -- cursor ---------------------------------------------------------------------------
    def remaining(self) -> int:
        return len(self.args) - self.pos

    def peek(self) -> Optional[str]:
        return self.args[self.pos] if self.pos < len(self.args) else None

    def pop(self, what: str = "an argument") -> str:
        if self.pos >= len(self.args):
            raise self.usage_error(f"missing {what} (wrong number of arguments)")
        self.pos += 1
        return self.args[self.pos - 1]

    def pop_flag(self, *flags: str) -> Optional[str]:
        """Consume and return the next argument if it is one of ``flags``."""
        if self.peek() in flags:
            return self.pop()
        return None

    def done(self) -> None:
        """Fail if arguments are left over (sox's usage error for too many arguments)."""
        if self.pos < len(self.args):
            extra = " ".join(self.args[self.pos:])
            raise self.usage_error(f"too many arguments, {extra!r} was not expected")

    # -- typed pops -----------------------------------------------------------------------
    def number(self, what: str = "a number", *, lo=None, hi=None, lo_open=False, text: Optional[str] = None) -> float:
        text = self.pop(what) if text is None else text
        value = parse_number(text)
        if value is None:
            raise self.error(text, f"expected {what}, could not parse a number")
        self.check_range(text, value, what, lo, hi, lo_open)
        return value

    def integer(self, what: str = "an integer", *, lo=None, hi=None) -> int:
        text = self.pop(what)
        if not re.fullmatch(r"[+-]?\d+", text):
            raise self.error(text, f"expected {what}, could not parse an integer")
        value = int(text)
        self.check_range(text, value, what, lo, hi, False)
        return value

    def frequency(self, what: str = "a frequency", *, text: Optional[str] = None, nyquist: bool = True) -> float:
        """A frequency in Hz, optionally with a ``k`` suffix (kHz); must be in (0, rate / 2]."""
        text = self.pop(what) if text is None else text
        value = parse_frequency(text)
        if value is None:
            raise self.error(text, f"expected {what} in Hz (e.g. 300 or 3.4k), could not parse it")
        hi = self.sample_rate / 2 if nyquist else None
        if value <= 0 or (hi is not None and value > hi):
            bound = f"(0, {hi:g}] (half the sample rate)" if hi else "> 0"
            raise self.error(text, f"{what} must be in {bound}, got {value:g} Hz")
        return value

    def width(self, default_unit: str, allowed: str, what: str = "a filter width", *, text: Optional[str] = None) -> Tuple[float, str]:
        """A filter width with an optional unit: ``q`` Q-factor, ``o`` octaves, ``h`` Hz, ``k`` kHz, ``s`` slope."""
        text = self.pop(what) if text is None else text
        match = re.fullmatch(r"(.*?)([a-z]?)", text)
        unit = match.group(2) or default_unit
        value = parse_number(match.group(1))
        if value is None:
            raise self.error(text, f"expected {what} (number with optional unit {'/'.join(allowed)})")
        if unit not in allowed:
            raise self.error(text, f"width unit {unit!r} is not allowed here; use one of {', '.join(allowed)}")
        if unit == "k":
            value, unit = value * 1000.0, "h"
        if value <= 0:
            raise self.error(text, f"{what} must be positive, got {value:g}")
        if unit == "s" and value > 1:
            raise self.error(text, f"slope must be in (0, 1], got {value:g}")
        return value, unit

    def time(self, what: str = "a time", *, text: Optional[str] = None, default_seconds: bool = True) -> int:
        """A duration as a sample count: seconds, ``[[hh:]mm:]ss[.frac]`` or ``Ns`` (samples)."""
        text = self.pop(what) if text is None else text
        samples = parse_time(text, self.sample_rate, default_seconds=default_seconds)
        if samples is None:
            raise self.error(text, f"expected {what} as seconds, hh:mm:ss.frac or a sample count like 100s")
        return samples

    def check_range(self, text, value, what, lo, hi, lo_open) -> None:
        if lo is not None and (value < lo or (lo_open and value == lo)):
            bound = f"> {lo:g}" if lo_open else f">= {lo:g}"
            raise self.error(text, f"{what} must be {bound}, got {value:g}")
        if hi is not None and value > hi:
            raise self.error(text, f"{what} must be <= {hi:g}, got {value:g}")


def parse_number(text: str) -> Optional[float]:
    """A plain decimal number (``-3``, ``0.5``, ``.5``, ``1e-3``), else ``None``."""
    text = text.strip()
    if not _NUMBER.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def parse_frequency(text: str) -> Optional[float]:
    """Hz with an optional ``k`` suffix (sox's ``lsx_parse_frequency``), else ``None``."""
    scale = 1.0
    if text.endswith("k"):
        text, scale = text[:-1], 1000.0
    value = parse_number(text)
    return None if value is None else value * scale


def parse_time(text: str, sample_rate: float, *, default_seconds: bool = True) -> Optional[int]:
    """Samples for a sox time: ``Ns`` sample count, ``[[hh:]mm:]ss[.frac]`` or plain seconds.

    Rounds like sox: ``floor(seconds * rate + 0.5)``. ``None`` when unparsable.
    """
    text = text.strip()
    if re.fullmatch(r"\d+s", text):
        return int(text[:-1])
    if text.endswith("t"):
        text = text[:-1]
    if not default_seconds and re.fullmatch(r"\d+", text):
        return int(text)
    match = re.fullmatch(r"(?:(\d+):)?(?:(\d+):)?(\d*\.?\d*)", text)
    if not match or text in ("", ".") or text.endswith(":"):
        return None
    parts = [p for p in match.groups()[:2] if p is not None]
    seconds_text = match.group(3)
    if seconds_text in ("", "."):
        return None
    whole = 0
    for p in parts:
        whole = (whole + int(p)) * 60
    seconds = whole + float(seconds_text)
    return int(math.floor(seconds * sample_rate + 0.5))


def db_to_amplitude(db: float) -> float:
    return 10.0 ** (db / 20.0)
