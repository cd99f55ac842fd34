"""Every torchaudio name torchsound provides has torchaudio's signature: names, order, defaults.

The listing is tests/data/torchaudio-api.md (torchaudio 2.8 removals and the 2.11 API);
tools/compat.py parses it and also prints the README's compatibility table.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import compat  # noqa: E402

ENTRIES = compat.parse_spec()
PROVIDED = [e for e in ENTRIES if compat.resolve(e) is not None]


def test_spec_parses_the_whole_listing():
    modules = {e.module for e in ENTRIES}
    assert {"torchaudio", "torchaudio.functional", "torchaudio.transforms", "torchaudio.compliance.kaldi"} <= modules
    names = {(e.module, e.name) for e in ENTRIES}
    assert ("torchaudio.functional", "lfilter") in names
    assert ("torchaudio.transforms", "MelSpectrogram") in names


@pytest.mark.parametrize("entry", PROVIDED, ids=lambda e: f"{e.module}.{e.name}")
def test_signature_matches_torchaudio(entry):
    assert compat.signature_mismatches(entry, compat.resolve(entry)) == []


def test_checker_catches_a_wrong_signature():
    entry = next(e for e in ENTRIES if e.name == "lfilter")

    def lfilter(waveform, b_coeffs, a_coeffs, clamp=False, batching=True):  # swapped and wrong default
        pass

    problems = compat.signature_mismatches(entry, lfilter)
    assert any("a_coeffs" in p for p in problems) and any("clamp" in p for p in problems)
