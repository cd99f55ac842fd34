"""Every torchaudio name torchsound provides has torchaudio's signature: names, order, defaults.

Checked twice: against the listing tests/data/torchaudio-api.md (torchaudio 2.8 removals and the 2.11 API,
parsed by tools/compat.py), and against torchaudio 2.8's own functions and classes (the oracle).
"""

import inspect
import math
import sys
from pathlib import Path

import pytest
import torch

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


def _source_params(module, name):
    """Parameters read from the oracle's source, for names whose module imports torchaudio's compiled libraries
    (e.g. ``cuda_ctc_decoder``): the ``def`` or ``class`` (its ``__init__``, else its annotated fields as for a
    NamedTuple) found in the module's folder, defaults evaluated with the file's module-level constants."""
    import ast
    import importlib.util

    folder = Path(importlib.util.find_spec(module).origin).parent
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text())
        constants = {"math": math, "torch": torch}
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                try:
                    constants[stmt.targets[0].id] = ast.literal_eval(stmt.value)
                except ValueError:
                    pass
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == name:
                init = next((f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
                if init is None:
                    fields = [(f.target.id, inspect.Parameter.empty if f.value is None else ast.literal_eval(f.value))
                              for f in node.body if isinstance(f, ast.AnnAssign)]
                    return fields, set(), {n for n, _ in fields}
                node = init
            elif not (isinstance(node, ast.FunctionDef) and node.name == name):
                continue
            args = node.args
            names = [a.arg for a in args.posonlyargs + args.args if a.arg != "self"]
            defaults = [inspect.Parameter.empty] * (len(names) - len(args.defaults)) + [
                eval(compile(ast.Expression(d), str(path), "eval"), constants) for d in args.defaults]
            kw = {a.arg for a in args.kwonlyargs}
            return list(zip(names, defaults)), kw, set(names) | kw
    return None


def _check_params(theirs, ours):
    assert theirs is not None and ours is not None, "no inspectable signature"
    (their_pos, their_kw, _), (our_pos, _, our_all) = theirs, ours
    assert [n for n, _ in our_pos[: len(their_pos)]] == [n for n, _ in their_pos]
    for (n, d_ours), (_, d_theirs) in zip(our_pos, their_pos):
        assert _same(d_ours, d_theirs), f"{n}: default {d_ours!r}, torchaudio {d_theirs!r}"
    extra = [n for n, d in our_pos[len(their_pos):] if d is inspect.Parameter.empty]
    assert not extra, f"extra required positional parameters {extra}"
    assert their_kw <= our_all, f"keyword-only parameters missing: {their_kw - our_all}"


@pytest.mark.parametrize("module,name", _oracle_pairs())
def test_signature_matches_torchaudio_28_oracle(torchaudio28, module, name):
    import importlib
    import warnings

    ours = compat.ours(module, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            their_obj = getattr(importlib.import_module(module), name)
        except ImportError:  # the module needs torchaudio's compiled libraries: read its source instead
            _check_params(_source_params(module, name), _params(ours))
            return
    theirs = _params(their_obj)
    if theirs is None and inspect.isclass(their_obj):
        # A Python subclass of a compiled (pybind) class, e.g. CTCDecoderLM over flashlight's LM: the constructor
        # is the compiled base's; compare the methods torchaudio writes in Python.
        methods = {k: v for k, v in vars(their_obj).items() if inspect.isfunction(v) and not k.startswith("_")}
        assert methods, "no inspectable signature"
        for method_name, method in methods.items():
            our_method = getattr(ours, method_name)
            if _params(our_method) is None:  # inherited unchanged from the same compiled base
                assert our_method is getattr(their_obj.__mro__[1], method_name), method_name
                continue
            _check_params(_params(method), _params(our_method))
        return
    _check_params(theirs, _params(ours))
