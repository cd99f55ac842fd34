"""The speech sample that ships inside the package (espeak-ng, 16 kHz mono FLAC)."""

from __future__ import annotations

from pathlib import Path

_ASSETS = Path(__file__).parent / "assets"


def sample_path() -> str:
    """Path of the bundled sample: a few seconds of synthetic English speech, 16 kHz mono FLAC."""
    return str(_ASSETS / "speech.flac")
