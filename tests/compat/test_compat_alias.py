"""torchsound.compat.install(): `torchaudio` and every `torchaudio.X` are torchsound's module objects.

Each test runs in a subprocess so the alias never reaches this process (which imports the torchaudio 2.8 oracle).
The refusal tests use the real torchaudio 2.8 code (the oracle) as the torchaudio that must not be shadowed.
"""

import json

import pytest

from _oracle import ORACLE_DIR
from _subproc import run_python


def test_submodules_are_the_same_module_objects(tmp_path):
    out = run_python("""
        import json, sys
        import torchsound, torchsound.compat
        torchsound.compat.install()
        import torchaudio
        import torchaudio.transforms as T
        import torchaudio.compliance.kaldi
        import torchaudio.backend.soundfile_backend
        from torchaudio import load
        from torchaudio.io import StreamReader
        from torchaudio.functional import lfilter
        import torchsound.compliance.kaldi, torchsound.io
        print(json.dumps({
            "version": torchaudio.__version__, "ours": torchsound.__version__,
            "T": T is torchsound.transforms, "kaldi": torchaudio.compliance.kaldi is torchsound.compliance.kaldi,
            "sys_modules": sys.modules["torchaudio.transforms"] is torchsound.transforms,
            "load": load is torchsound.load, "reader": StreamReader is torchsound.io.StreamReader,
            "lfilter": lfilter is torchsound.functional.lfilter,
            "backend": torchaudio.backend.soundfile_backend is torchsound.backend.soundfile_backend,
            "isinstance": isinstance(T.Spectrogram(), torchsound.transforms.Spectrogram),
            "spec": torchsound.transforms.__spec__.name, "name": T.__name__,
            "installed": torchsound.compat.is_installed(),
        }))
    """, cwd=tmp_path).stdout
    got = json.loads(out)
    assert got.pop("version") == "2.8.0" and got.pop("ours") != "2.8.0"
    # importlib's own bookkeeping of the real module is left as it was
    assert got.pop("spec") == got.pop("name") == "torchsound.transforms"
    assert all(got.values()), got


def test_monkeypatching_through_either_name_is_seen_by_both(tmp_path):
    run_python("""
        import torchsound.compat
        torchsound.compat.install()
        import torchaudio, torchsound
        from unittest import mock
        with mock.patch("torchaudio.load", lambda *a, **k: "patched"):
            assert torchsound.load("x") == "patched" and torchaudio.load("x") == "patched"
        assert torchaudio.load is torchsound.load and torchsound.load.__module__ == "torchsound.io._dispatch"
        with mock.patch("torchaudio.transforms.Spectrogram", "P"):
            import torchsound.transforms
            assert torchsound.transforms.Spectrogram == "P"
        torchaudio.__version__ = "2.8.1"  # the alias's own attribute: torchsound keeps its version
        assert torchsound.__version__ != "2.8.1"
    """, cwd=tmp_path)


def test_uninstall_removes_the_alias(tmp_path):
    out = run_python("""
        import sys, torchsound.compat
        torchsound.compat.install(); torchsound.compat.install()  # twice: one finder
        import torchaudio.transforms
        assert sum(type(f).__name__ == "_AliasFinder" for f in sys.meta_path) == 1
        torchsound.compat.uninstall()
        assert not any(n == "torchaudio" or n.startswith("torchaudio.") for n in sys.modules)
        assert not torchsound.compat.is_installed()
        try:
            import torchaudio
        except ModuleNotFoundError as e:
            print("gone:", e)
    """, cwd=tmp_path).stdout
    assert "gone: No module named 'torchaudio'" in out


def test_refuses_when_real_torchaudio_is_imported(tmp_path):
    # The oracle is a real torchaudio 2.8: once imported, the alias must not replace it silently.
    out = run_python("""
        import torchaudio, torchsound.compat
        try:
            torchsound.compat.install()
        except torchsound.compat.AliasConflictError as e:
            print("refused:", e)
        import torchaudio as again
        assert again is torchaudio and not torchsound.compat.is_installed()
        torchsound.compat.install(force=True)
        import torchaudio as forced
        print("forced:", forced.__version__, forced.transforms.__name__)
    """, extra_path=ORACLE_DIR, cwd=tmp_path).stdout
    assert "refused: torchsound.compat.install(): torchaudio is already imported from" in out
    assert "install(force=True)" in out and "pip uninstall torchaudio" in out
    assert "forced: 2.8.0 torchsound.transforms" in out


def test_refuses_when_real_torchaudio_is_installed(tmp_path):
    out = run_python("""
        import sys, torchsound.compat
        try:
            torchsound.compat.install()
        except torchsound.compat.AliasConflictError as e:
            print("refused:", e)
        assert "torchaudio" not in sys.modules  # the check looked, it did not import
        torchsound.compat.install(force=True)
        import torchaudio
        print("forced:", type(torchaudio).__name__)
    """, extra_path=ORACLE_DIR, cwd=tmp_path).stdout
    assert "refused: torchsound.compat.install(): a torchaudio package is installed at" in out
    assert "forced: _TorchaudioModule" in out


def test_refusal_error_type_and_message_in_process():
    # In this process torchaudio (the oracle) may or may not be imported yet; either way it is findable.
    import torchsound.compat
    from _oracle import torchaudio28

    torchaudio28()
    with pytest.raises(torchsound.compat.AliasConflictError, match=r"already imported .*force=True"):
        torchsound.compat.install()
    assert not torchsound.compat.is_installed()
