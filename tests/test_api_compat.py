"""Every torchaudio name torchsound provides has torchaudio's signature: names, order, defaults.

Checked twice: against the listing tests/data/torchaudio-api.md (torchaudio 2.8 removals and the 2.11 API,
parsed by tools/compat.py), and against torchaudio 2.8's own functions and classes (the oracle).
"""

import inspect
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


# Against torchaudio 2.8 itself: every public name of the oracle's lists that torchsound provides takes the same
# positional parameters (names, order, defaults) and at least its keyword-only ones.
_KNOWN_SIGNATURE_DIFFERENCES = {}


def _oracle_pairs():
    pairs = []
    public = compat.oracle_public()
    for module in compat.TABLE_MODULES:
        for name in public.get(module, []):
            ours = compat.ours(module, name)
            if ours is not None and callable(ours) and not inspect.ismodule(ours):
                mark = pytest.mark.xfail(strict=True, reason=_KNOWN_SIGNATURE_DIFFERENCES[(module, name)]) \
                    if (module, name) in _KNOWN_SIGNATURE_DIFFERENCES else ()
                pairs.append(pytest.param(module, name, marks=mark, id=f"{module}.{name}"))
    return pairs


def _params(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    positional = [(p.name, p.default) for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return positional, {p.name for p in sig.parameters.values() if p.kind == p.KEYWORD_ONLY}, set(sig.parameters)


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - tensors and the like: compare their text
        return repr(a) == repr(b)


@pytest.mark.parametrize("module,name", _oracle_pairs())
def test_signature_matches_torchaudio_28_oracle(torchaudio28, module, name):
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _params(getattr(importlib.import_module(module), name))
    ours = _params(compat.ours(module, name))
    assert theirs is not None and ours is not None, "no inspectable signature"
    (their_pos, their_kw, _), (our_pos, _, our_all) = theirs, ours
    assert [n for n, _ in our_pos[: len(their_pos)]] == [n for n, _ in their_pos]
    for (n, d_ours), (_, d_theirs) in zip(our_pos, their_pos):
        assert _same(d_ours, d_theirs), f"{n}: default {d_ours!r}, torchaudio {d_theirs!r}"
    extra = [n for n, d in our_pos[len(their_pos):] if d is inspect.Parameter.empty]
    assert not extra, f"extra required positional parameters {extra}"
    assert their_kw <= our_all, f"keyword-only parameters missing: {their_kw - our_all}"
