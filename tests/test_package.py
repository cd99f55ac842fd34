"""Package-level behaviour: lazy imports, the CLI entry point, the bundled sample."""

import subprocess
import sys

import soundfile


def _modules_after(code: str) -> set:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"],
        check=True, capture_output=True, text=True,
    ).stdout
    return set(out.split())


def test_import_is_lazy():
    # `import torchsound` must not pull in any subpackage or heavy optional dependency.
    loaded = _modules_after("import torchsound")
    heavy = {"soundfile", "scipy", "av", "matplotlib", "librosa", "tqdm", "torchsound.functional",
             "torchsound.transforms", "torchsound.io._dispatch", "torchsound.datasets"}
    assert not (heavy & loaded), heavy & loaded


def test_subpackages_resolve_on_access():
    loaded = _modules_after("import torchsound; torchsound.compliance; torchsound.prototype.functional")
    assert "torchsound.compliance" in loaded and "torchsound.prototype.functional" in loaded


def test_unknown_attribute_raises_attribute_error():
    import pytest

    import torchsound

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = torchsound.nope


def test_cli_help_runs():
    out = subprocess.run([sys.executable, "-m", "torchsound", "--help"], check=True, capture_output=True, text=True)
    assert "usage: torchsound" in out.stdout


def test_bundled_sample_is_real_speech(sample_file):
    info = soundfile.info(sample_file)
    assert (info.samplerate, info.channels, info.format) == (16000, 1, "FLAC")
    assert 3.0 < info.duration < 15.0
    data, _ = soundfile.read(sample_file)
    assert data.std() > 0.01  # not silence


def test_alias_hook_imports_no_torch():
    # The .pth hook of `torchsound alias install` runs at every interpreter start: it must stay cheap.
    loaded = _modules_after("import torchsound.compat._startup, torchsound.compat; assert torchsound.compat.is_installed()")
    assert not ({"torch", "numpy", "torchsound.io._dispatch"} & loaded), loaded & {"torch", "numpy"}


def test_cli_lists_the_alias_command():
    out = subprocess.run([sys.executable, "-m", "torchsound", "alias", "--help"], check=True, capture_output=True, text=True)
    for action in ("install", "remove", "status", "build-dist"):
        assert action in out.stdout


def test_model_subpackages_are_attributes_as_in_torchaudio(torchaudio28):
    # torchaudio.models.wav2vec2.utils and torchaudio.models.squim are reached as attributes, not only by import.
    import torchsound.models

    for name in ("wav2vec2", "squim"):
        assert hasattr(torchaudio28.models, name)
        assert getattr(torchsound.models, name).__name__ == f"torchsound.models.{name}"
    assert callable(torchsound.models.wav2vec2.utils.import_huggingface_model)
