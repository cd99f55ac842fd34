"""Names torchaudio 2.8 has and torchsound lacks raise an error saying so (the lists come from the 2.8 oracle)."""

import importlib
import sys
from pathlib import Path

import pytest

import torchsound
from _subproc import run_python
from torchsound.compat import NotProvidedError
from torchsound.compat._alias import _target

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import compat  # noqa: E402


def _missing():
    public = compat.oracle_public()
    out = []
    for module in compat.TABLE_MODULES:
        for name in public.get(module, []):
            if compat.ours(module, name) is None:
                out.append((module, name))
    return out


MISSING = _missing()


def test_generated_name_lists_are_torchaudio_28s(torchaudio28):
    # _torchaudio28.py is generated from the oracle: regenerate it (tools/compat.py --write) when this fails.
    from torchsound.compat._torchaudio28 import PUBLIC

    assert PUBLIC == {m: tuple(n) for m, n in compat.oracle_public().items()}
    assert set(PUBLIC["torchaudio.prototype.functional"]) == set(torchaudio28.prototype.functional.__all__)


def _ours(module):
    try:
        return importlib.import_module(_target(module))
    except ImportError:
        return None  # a whole module we lack: see test_imports_under_the_alias_say_what_is_missing


# utils.ffmpeg_utils is a plain module (no module __getattr__): its missing names would be plain AttributeErrors.
_MISSING_IN_OUR_MODULES = [m for m in MISSING if m[0] != "torchaudio.utils.ffmpeg_utils" and _ours(m[0])]


@pytest.mark.skipif(not _MISSING_IN_OUR_MODULES, reason="torchsound provides every torchaudio 2.8 name")
@pytest.mark.parametrize("module,name", _MISSING_IN_OUR_MODULES or [("", "")], ids=lambda x: str(x))
def test_missing_name_says_not_provided(module, name):
    ours = _ours(module)
    with pytest.raises(NotProvidedError, match=rf"torchsound does not provide {module}\.{name} yet"):
        getattr(ours, name)
    assert not hasattr(ours, name)


def test_a_namespace_lacking_a_torchaudio_name_says_not_provided():
    # Every torchaudio 2.8 name is provided today, so the mechanism is shown on a namespace built without one.
    from torchsound._internal.lazy import attach

    getattr_, dir_, all_ = attach("torchsound.models", {"Wav2Letter": ".wav2letter"})
    assert getattr_("Wav2Letter") is torchsound.models.Wav2Letter and all_ == ["Wav2Letter"]
    with pytest.raises(NotProvidedError, match=r"torchsound does not provide torchaudio\.models\.Wav2Vec2Model yet"):
        getattr_("Wav2Vec2Model")
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchModel'") as info:
        getattr_("NoSuchModel")
    assert not isinstance(info.value, NotProvidedError)


def test_models_pipelines_and_decoders_are_complete():
    # Every torchaudio 2.8 model, bundle and decoder name is provided (issues 11 and 12); what remains missing is
    # listed here so the README's table and this test change together.
    complete = ("torchaudio.models", "torchaudio.models.decoder", "torchaudio.pipelines",
                "torchaudio.prototype.models", "torchaudio.prototype.pipelines")
    assert [(m, n) for m, n in MISSING if m in complete] == []
    for module in complete:
        assert all(compat.ours(module, n) is not None for n in compat.oracle_public()[module])


def test_unknown_name_is_a_plain_attribute_error():
    with pytest.raises(AttributeError, match="module 'torchsound.models' has no attribute 'NoSuchModel'") as info:
        torchsound.models.NoSuchModel  # noqa: B018
    assert not isinstance(info.value, NotProvidedError)


def test_imports_under_the_alias_say_what_is_missing(tmp_path):
    # One name torchsound lacks today in a module it has (not ffmpeg_utils: plain AttributeErrors).
    present = [(m, n) for m, n in MISSING if m != "torchaudio.utils.ffmpeg_utils" and _ours(m) is not None]
    # Once every name is provided, an unknown name stands in: a plain ImportError then.
    package, name = present[-1] if present else ("torchaudio.models", "NoSuchModel")
    out = run_python("""
        import torchsound.compat
        torchsound.compat.install()
        for stmt in ["from torchaudio.pipelines import WAV2VEC2_ASR_BASE_960H",
                     "from PACKAGE import NAME",
                     "from torchaudio.models.decoder import ctc_decoder",
                     "import torchaudio.lib",
                     "import torchaudio.no_such_module"]:
            try:
                exec(stmt)
                print("ok |", stmt)
            except ImportError as e:
                print(type(e).__name__, "|", e)
    """.replace("PACKAGE", package).replace("NAME", name), cwd=tmp_path).stdout.splitlines()
    assert out[0] == "ok | from torchaudio.pipelines import WAV2VEC2_ASR_BASE_960H"
    assert out[1].startswith(f"NotProvidedImportError | torchsound does not provide {package}.{name} yet" if present
                             else "ImportError | cannot import name 'NoSuchModel'")
    assert out[2] == "ok | from torchaudio.models.decoder import ctc_decoder"
    assert out[3].startswith("NotProvidedModuleError | torchsound does not provide torchaudio.lib yet")
    assert out[4].startswith("NotProvidedModuleError | No module named 'torchaudio.no_such_module'")
