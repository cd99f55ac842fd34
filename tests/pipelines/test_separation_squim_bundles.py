"""Source separation and Squim bundles against torchaudio 2.8's (the oracle).

Random weights are written in the published files' layout (torchaudio's own models' state_dicts) where torchaudio's
``download_asset`` keeps them (``$TORCH_HOME/hub/torchaudio/models/...``, the ``torch_home`` fixture of
tests/pipelines/conftest.py), so torchaudio's own bundle reads the very same files. ConvTasNet and SquimObjective are
loaded at full size; HDemucs (84M parameters) and SquimSubjective (94M) are compared at full size on ``meta`` and
loaded through the bundle's code with a small model of the same kind.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pickle
from functools import partial
from pathlib import Path

import pytest
import torch

from conftest import tol
from torchsound import pipelines as ours_pipelines
from torchsound.models import HDemucs, SquimSubjective, wav2vec2_model
from torchsound.models.squim.subjective import Predictor
from torchsound.pipelines import _assets
from torchsound.pipelines import _squim_pipeline as ours_squim

SEPARATION = ["CONVTASNET_BASE_LIBRI2MIX", "HDEMUCS_HIGH_MUSDB", "HDEMUCS_HIGH_MUSDB_PLUS"]
SQUIM = ["SQUIM_OBJECTIVE", "SQUIM_SUBJECTIVE"]
KEYS = {
    "CONVTASNET_BASE_LIBRI2MIX": "models/conv_tasnet_base_libri2mix.pt",
    "HDEMUCS_HIGH_MUSDB": "models/hdemucs_high_musdbhq_only.pt",
    "HDEMUCS_HIGH_MUSDB_PLUS": "models/hdemucs_high_trained.pt",
    "SQUIM_OBJECTIVE": "models/squim_objective_dns2020.pth",
    "SQUIM_SUBJECTIVE": "models/squim_subjective_bvcc_daps.pth",
}
SMALL_HDEMUCS = dict(sources=["drums", "bass", "other", "vocals"], audio_channels=2, channels=8, nfft=64, depth=4,
                     norm_starts=2, dconv_lstm=2, dconv_attn=1, dconv_comp=2)
SMALL_W2V2 = dict(
    extractor_mode="group_norm", extractor_conv_layer_config=[(16, 10, 5), (16, 3, 2), (16, 2, 2)],
    extractor_conv_bias=False, encoder_embed_dim=32, encoder_projection_dropout=0.0, encoder_pos_conv_kernel=8,
    encoder_pos_conv_groups=4, encoder_num_layers=2, encoder_num_heads=4, encoder_attention_dropout=0.0,
    encoder_ff_interm_features=48, encoder_ff_interm_dropout=0.0, encoder_dropout=0.0, encoder_layer_norm_first=False,
    encoder_layer_drop=0.0, aux_num_out=None,
)


@pytest.fixture(scope="module")
def ta_pipelines(torchaudio28):
    return importlib.import_module("torchaudio.pipelines")


@pytest.fixture(autouse=True)
def _one_thread():
    # Small models on a shared machine: intra-op threads only add waiting.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _random_state_dict(model: torch.nn.Module) -> dict:
    """The model's state_dict with every floating tensor redrawn (non-trivial norms and scales too)."""
    g = torch.Generator().manual_seed(7)
    state = {}
    for key, value in model.state_dict().items():
        if value.is_floating_point():
            value = 0.1 * torch.randn(value.shape, generator=g, dtype=value.dtype)
            if key.endswith("running_var"):
                value = value.abs() + 0.5
        state[key] = value.clone()
    return state


def _publish(key: str, torchaudio_model: torch.nn.Module) -> dict:
    """Write random weights in torchaudio's layout where its download_asset keeps ``key``; returns them."""
    state = _random_state_dict(torchaudio_model)
    path = _assets.asset_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return state


def _by_hand(factory, state: dict) -> torch.nn.Module:
    model = factory()
    model.load_state_dict(state, strict=True)
    return model.eval()


def _assert_models_agree(got, by_hand, theirs, inputs):
    assert not got.training
    with torch.no_grad():
        out, want, oracle = got(*inputs), by_hand(*inputs), theirs(*inputs)
    torch.testing.assert_close(out, want, rtol=0, atol=0)
    torch.testing.assert_close(out, oracle, **tol("float32_model"))


# ------------------------------------------------------------------------------------------------ static facts


@pytest.mark.parametrize("name", SEPARATION + SQUIM)
def test_static_attributes_equal_torchaudio(ta_pipelines, name):
    mine, theirs = getattr(ours_pipelines, name), getattr(ta_pipelines, name)
    assert type(mine).__name__ == type(theirs).__name__
    assert dataclasses.is_dataclass(mine)
    assert [f.name for f in dataclasses.fields(mine)] == [f.name for f in dataclasses.fields(theirs)]
    for field in dataclasses.fields(theirs):
        a, b = getattr(mine, field.name), getattr(theirs, field.name)
        if isinstance(b, partial):  # the model factory: same function name and arguments
            assert isinstance(a, partial)
            assert (a.func.__name__, a.args, a.keywords) == (b.func.__name__, b.args, b.keywords)
        else:
            assert a == b and type(a) is type(b)
    assert mine.sample_rate == theirs.sample_rate and type(mine.sample_rate) is type(theirs.sample_rate)
    if name in SQUIM:
        assert repr(mine) == repr(theirs)
    assert repr(pickle.loads(pickle.dumps(mine))) == repr(mine)  # (a partial has no ==)


@pytest.mark.parametrize("cls", ["SourceSeparationBundle", "SquimObjectiveBundle", "SquimSubjectiveBundle"])
def test_class_members_and_signatures_equal_torchaudio(ta_pipelines, cls):
    mine, theirs = getattr(ours_pipelines, cls), getattr(ta_pipelines, cls)
    assert inspect.signature(mine).parameters.keys() == inspect.signature(theirs).parameters.keys()
    public = [n for n in dir(theirs) if not n.startswith("_")]
    assert [n for n in dir(mine) if not n.startswith("_")] == public
    for member in public:
        a, b = inspect.getattr_static(mine, member), inspect.getattr_static(theirs, member)
        assert type(a) is type(b)
        if inspect.isfunction(b):
            got = [(p.name, p.kind, p.default) for p in inspect.signature(a).parameters.values()]
            want = [(p.name, p.kind, p.default) for p in inspect.signature(b).parameters.values()]
            assert got == want


@pytest.mark.parametrize("name", ["HDEMUCS_HIGH_MUSDB", "HDEMUCS_HIGH_MUSDB_PLUS", "CONVTASNET_BASE_LIBRI2MIX"])
def test_published_model_layout_equals_torchaudio(ta_pipelines, name):
    with torch.device("meta"):
        got = getattr(ours_pipelines, name)._model_factory_func().state_dict()
        want = getattr(ta_pipelines, name)._model_factory_func().state_dict()
    assert list(got) == list(want)
    assert {k: v.shape for k, v in got.items()} == {k: v.shape for k, v in want.items()}


def test_published_squim_subjective_layout_equals_torchaudio(torchaudio28):
    with torch.device("meta"):
        got = ours_squim.squim_subjective_base().state_dict()
        want = torchaudio28.models.squim_subjective_base().state_dict()
    assert list(got) == list(want)
    assert {k: v.shape for k, v in got.items()} == {k: v.shape for k, v in want.items()}


def test_names_resolve_from_the_namespace(ta_pipelines):
    for name in SEPARATION + SQUIM + ["SourceSeparationBundle", "SquimObjectiveBundle", "SquimSubjectiveBundle"]:
        assert hasattr(ta_pipelines, name)
        assert name in dir(ours_pipelines)
        assert getattr(ours_pipelines, name) is not None


# ------------------------------------------------------------------------------------------------ get_model


def test_convtasnet_get_model_equals_loading_by_hand_and_torchaudio(torch_home, ta_pipelines, torchaudio28):
    mine, theirs = ours_pipelines.CONVTASNET_BASE_LIBRI2MIX, ta_pipelines.CONVTASNET_BASE_LIBRI2MIX
    state = _publish(KEYS["CONVTASNET_BASE_LIBRI2MIX"], theirs._model_factory_func())
    model = mine.get_model()
    assert type(model).__name__ == "ConvTasNet"
    mixture = torch.randn(2, 1, 800, generator=torch.Generator().manual_seed(1))
    _assert_models_agree(model, _by_hand(mine._model_factory_func, state), theirs.get_model(), [mixture])


@pytest.mark.parametrize("name", ["HDEMUCS_HIGH_MUSDB", "HDEMUCS_HIGH_MUSDB_PLUS"])
def test_hdemucs_get_model_equals_loading_by_hand_and_torchaudio(torch_home, ta_pipelines, torchaudio28, name):
    # The published bundles' code path with a small HDemucs (the full-size layout is compared on meta above).
    mine = dataclasses.replace(getattr(ours_pipelines, name), _model_factory_func=partial(HDemucs, **SMALL_HDEMUCS))
    theirs = dataclasses.replace(getattr(ta_pipelines, name),
                                 _model_factory_func=partial(torchaudio28.models.HDemucs, **SMALL_HDEMUCS))
    assert mine._model_path == KEYS[name] and mine.sample_rate == 44100
    state = _publish(KEYS[name], theirs._model_factory_func())
    model = mine.get_model()
    mixture = torch.randn(1, 2, 300, generator=torch.Generator().manual_seed(1))
    _assert_models_agree(model, _by_hand(mine._model_factory_func, state), theirs.get_model(), [mixture])


def test_squim_objective_get_model_equals_loading_by_hand_and_torchaudio(torch_home, ta_pipelines, torchaudio28):
    state = _publish(KEYS["SQUIM_OBJECTIVE"], torchaudio28.models.squim_objective_base())
    model = ours_pipelines.SQUIM_OBJECTIVE.get_model()
    assert type(model).__name__ == "SquimObjective"
    waveform = 0.1 * torch.randn(2, 1600, generator=torch.Generator().manual_seed(1))
    by_hand = _by_hand(ours_squim.squim_objective_base, state)
    _assert_models_agree(model, by_hand, ta_pipelines.SQUIM_OBJECTIVE.get_model(), [waveform])


def _small_subjective(models, squim_subjective, predictor):
    return squim_subjective(models.wav2vec2_model(**SMALL_W2V2), torch.nn.Linear(32, 8), predictor(16, 5))


def test_squim_subjective_get_model_equals_loading_by_hand_and_torchaudio(torch_home, ta_pipelines, torchaudio28,
                                                                          monkeypatch):
    # The bundle's code path with a small SquimSubjective (the full-size layout is compared on meta above).
    from torchsound import models as ours_models

    ta_subjective = importlib.import_module("torchaudio.models.squim.subjective")
    ta_squim_pipeline = importlib.import_module("torchaudio.pipelines._squim_pipeline")
    ours_small = partial(_small_subjective, ours_models, SquimSubjective, Predictor)
    theirs_small = partial(_small_subjective, torchaudio28.models, ta_subjective.SquimSubjective, ta_subjective.Predictor)
    monkeypatch.setattr(ours_squim, "squim_subjective_base", ours_small)
    monkeypatch.setattr(ta_squim_pipeline, "squim_subjective_base", theirs_small)
    state = _publish(KEYS["SQUIM_SUBJECTIVE"], theirs_small())
    model = ours_pipelines.SQUIM_SUBJECTIVE.get_model()
    assert isinstance(model, SquimSubjective) and isinstance(model.ssl_model, type(wav2vec2_model(**SMALL_W2V2)))
    g = torch.Generator().manual_seed(1)
    waveform, reference = 0.1 * torch.randn(2, 1600, generator=g), 0.1 * torch.randn(2, 2000, generator=g)
    _assert_models_agree(model, _by_hand(ours_small, state), ta_pipelines.SQUIM_SUBJECTIVE.get_model(),
                         [waveform, reference])


# ------------------------------------------------------------------------------------------------ failures


@pytest.mark.parametrize("name", SEPARATION + SQUIM)
def test_missing_weights_name_file_url_and_path(torch_home, name):
    key = KEYS[name]
    with pytest.raises(_assets.WeightsNotFoundError) as info:
        getattr(ours_pipelines, name).get_model()
    message = str(info.value)
    assert Path(key).name in message
    assert f"https://download.pytorch.org/torchaudio/{key}" in message
    assert str(torch_home / "hub" / "torchaudio" / key) in message
    assert not (torch_home / "hub" / "torchaudio" / key).exists()


class _Payload:
    """Unpickling this runs code: it writes a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "code ran"))


@pytest.mark.parametrize("name", ["CONVTASNET_BASE_LIBRI2MIX", "SQUIM_OBJECTIVE"])
def test_cached_file_with_code_is_refused_and_never_runs(torch_home, name):
    path = _assets.asset_path(KEYS[name])
    path.parent.mkdir(parents=True)
    marker = torch_home / "marker.txt"
    torch.save({"weight": torch.zeros(2), "payload": _Payload(marker)}, path)
    with pytest.raises(_assets.UnsafeCheckpointError, match=rf"{Path(KEYS[name]).name}: refused to load"):
        getattr(ours_pipelines, name).get_model()
    assert not marker.exists()


def test_weights_of_another_model_are_refused_naming_keys(torch_home, torchaudio28):
    # A SquimObjective file where ConvTasNet's should be: load_state_dict names the model and the keys.
    _publish(KEYS["CONVTASNET_BASE_LIBRI2MIX"], torchaudio28.models.squim_objective_base())
    with pytest.raises(RuntimeError, match=r"state_dict for ConvTasNet:(.|\n)*Missing key\(s\)(.|\n)*Unexpected key"):
        ours_pipelines.CONVTASNET_BASE_LIBRI2MIX.get_model()
