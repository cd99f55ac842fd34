"""wav2vec2-family bundles against torchaudio 2.8's: static facts of every instance, full-size layout, and
get_model() on random weights written in the published layout (old weight-norm keys, extra aux rows)."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
import torch
from _w2v_fixtures import oracle_loader, random_state_dict, shrink, write_published

from conftest import tol
import torchsound.pipelines as pipelines
from torchsound import models
from torchsound.pipelines import _assets
from torchsound.pipelines._wav2vec2 import utils as w2v_utils

BUNDLES = [
    "WAV2VEC2_BASE", "WAV2VEC2_LARGE", "WAV2VEC2_LARGE_LV60K",
    "WAV2VEC2_ASR_BASE_10M", "WAV2VEC2_ASR_BASE_100H", "WAV2VEC2_ASR_BASE_960H",
    "WAV2VEC2_ASR_LARGE_10M", "WAV2VEC2_ASR_LARGE_100H", "WAV2VEC2_ASR_LARGE_960H",
    "WAV2VEC2_ASR_LARGE_LV60K_10M", "WAV2VEC2_ASR_LARGE_LV60K_100H", "WAV2VEC2_ASR_LARGE_LV60K_960H",
    "WAV2VEC2_XLSR53", "WAV2VEC2_XLSR_300M", "WAV2VEC2_XLSR_1B", "WAV2VEC2_XLSR_2B",
    "VOXPOPULI_ASR_BASE_10K_DE", "VOXPOPULI_ASR_BASE_10K_EN", "VOXPOPULI_ASR_BASE_10K_ES",
    "VOXPOPULI_ASR_BASE_10K_FR", "VOXPOPULI_ASR_BASE_10K_IT",
    "HUBERT_BASE", "HUBERT_LARGE", "HUBERT_XLARGE", "HUBERT_ASR_LARGE", "HUBERT_ASR_XLARGE",
    "WAVLM_BASE", "WAVLM_BASE_PLUS", "WAVLM_LARGE", "MMS_FA",
]
CLASSES = ["Wav2Vec2Bundle", "Wav2Vec2ASRBundle", "Wav2Vec2FABundle"]


def test_every_wav2vec2_name_of_torchaudio_is_provided(torchaudio28):
    from torchaudio.pipelines._wav2vec2 import impl

    theirs = {n for n in torchaudio28.pipelines.__all__ if hasattr(impl, n)}
    assert theirs == set(BUNDLES) | set(CLASSES)
    assert set(BUNDLES) | set(CLASSES) <= set(pipelines.__all__)


@pytest.mark.parametrize("name", BUNDLES)
def test_static_facts_equal_torchaudios(name, torchaudio28):
    ours, theirs = getattr(pipelines, name), getattr(torchaudio28.pipelines, name)
    assert type(ours).__name__ == type(theirs).__name__
    assert [f.name for f in dataclasses.fields(ours)] == [f.name for f in dataclasses.fields(theirs)]
    for field in dataclasses.fields(theirs):
        assert getattr(ours, field.name) == getattr(theirs, field.name), field.name
    assert ours.sample_rate == theirs.sample_rate
    assert ours.__doc__ and ours.__doc__ != type(ours).__doc__  # each instance documents its model
    if hasattr(theirs, "get_labels"):
        assert ours.get_labels() == theirs.get_labels()
        assert ours.get_labels(blank="<b>") == theirs.get_labels(blank="<b>")
    if hasattr(theirs, "get_dict"):
        for star in ("*", None, "<star>"):
            assert ours.get_labels(star=star) == theirs.get_labels(star=star)
            assert ours.get_dict(star=star, blank="_") == theirs.get_dict(star=star, blank="_")


@pytest.mark.parametrize("cls", CLASSES)
def test_class_signatures_equal_torchaudios(cls, torchaudio28):
    ours, theirs = getattr(pipelines, cls), getattr(torchaudio28.pipelines, cls)
    public = [n for n in dir(theirs) if not n.startswith("_")]
    assert [n for n in dir(ours) if not n.startswith("_")] == public
    for n in public:
        a, b = getattr(ours, n), getattr(theirs, n)
        if callable(a) and not inspect.isclass(a):
            sa, sb = inspect.signature(a), inspect.signature(b)
            assert [(p.name, p.kind, p.default) for p in sa.parameters.values()] == \
                   [(p.name, p.kind, p.default) for p in sb.parameters.values()], n
    assert [f.name for f in dataclasses.fields(ours)] == [f.name for f in dataclasses.fields(theirs)]
    assert [f.default for f in dataclasses.fields(ours)] == [f.default for f in dataclasses.fields(theirs)]


_ORACLE_SHAPES = {}


def _oracle_shapes(bundle_name, torchaudio28):
    from torchaudio.pipelines._wav2vec2 import utils as oracle_utils

    bundle = getattr(torchaudio28.pipelines, bundle_name)
    key = (bundle._model_type, repr(sorted(bundle._params.items())))
    if key not in _ORACLE_SHAPES:
        with torch.device("meta"):
            model = oracle_utils._get_model(bundle._model_type, bundle._params)
        _ORACLE_SHAPES[key] = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    return _ORACLE_SHAPES[key]


@pytest.mark.parametrize("name", BUNDLES)
def test_full_size_layout_equals_torchaudios(name, torchaudio28):
    bundle = getattr(pipelines, name)
    with torch.device("meta"):
        model = w2v_utils.build_model(bundle._model_type, bundle._params)
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == _oracle_shapes(name, torchaudio28)


@pytest.mark.parametrize("name", BUNDLES)
def test_weights_url_and_cache_path(name, torchaudio28, torch_home, monkeypatch):
    """The file torchaudio asks torch.hub for is the one we look for, at torch.hub's path."""
    requested = []
    oracle_loader(monkeypatch, torchaudio28, requested)
    bundle = getattr(torchaudio28.pipelines, name)
    with pytest.raises(FileNotFoundError):  # nothing in the cache: the oracle's load fails after asking
        bundle._get_state_dict(None)
    url = w2v_utils.weights_url(getattr(pipelines, name)._path)
    assert requested == [url]
    with pytest.raises(_assets.WeightsNotFoundError) as info:
        getattr(pipelines, name).get_model()
    file = url.rsplit("/", 1)[1]
    assert f"Download {url} and place it at {torch_home / 'hub' / 'checkpoints' / file}" in str(info.value)


# --------------------------------------------------------------------------- get_model on published-layout files

# One per class and quirk: ASR with aux rows (1, 2, 3), VoxPopuli with a 4th dropped row, VoxPopuli without it,
# HuBERT large (waveform layer norm wrapper), WavLM, a plain encoder.
REPRESENTATIVE = ["WAV2VEC2_ASR_BASE_960H", "VOXPOPULI_ASR_BASE_10K_EN", "VOXPOPULI_ASR_BASE_10K_FR", "HUBERT_LARGE",
                  "HUBERT_ASR_LARGE", "WAVLM_BASE", "WAV2VEC2_BASE"]


def _by_hand(bundle, state):
    """Build the model with torchsound.models and load the weights without the bundle."""
    factory = models.wavlm_model if bundle._model_type == "WavLM" else models.wav2vec2_model
    model = factory(**bundle._params)
    model.load_state_dict(state)
    model.eval()

    def run(waveforms, lengths=None):
        if bundle._normalize_waveform:
            waveforms = torch.nn.functional.layer_norm(waveforms, waveforms.shape)
        return model(waveforms, lengths)

    return run


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_get_model_equals_by_hand_and_torchaudio(name, torchaudio28, torch_home, monkeypatch):
    ours = shrink(getattr(pipelines, name))
    theirs = dataclasses.replace(getattr(torchaudio28.pipelines, name), _params=ours._params)
    state = random_state_dict(ours)
    path = write_published(ours, state)
    raw = torch.load(path, weights_only=True)
    assert "encoder.transformer.pos_conv_embed.conv.weight_g" in raw  # the old weight-norm keys
    if "aux_num_out" in ours._params and ours._params["aux_num_out"]:
        assert raw["aux.weight"].size(0) == ours._params["aux_num_out"] + len(ours._remove_aux_axis)

    model = ours.get_model()
    assert not model.training
    assert (type(model).__name__ == "_Wav2Vec2Model") == ours._normalize_waveform
    requested = []
    oracle_loader(monkeypatch, torchaudio28, requested)
    reference = theirs.get_model()
    assert requested == [w2v_utils.weights_url(ours._path)]

    waveforms = torch.randn(2, 1200, generator=torch.Generator().manual_seed(3))
    # torchaudio's WavLM attention takes no padding mask (it asserts): compare WavLM on whole items
    lengths = None if ours._model_type == "WavLM" else torch.tensor([1200, 900])
    with torch.no_grad():
        out, out_len = model(waveforms, lengths)
        hand, hand_len = _by_hand(ours, state)(waveforms, lengths)
        ref, ref_len = reference(waveforms, lengths)
        torch.testing.assert_close(out, hand, rtol=0, atol=0)
        torch.testing.assert_close(out, ref, **tol("float32_model"))
        if lengths is not None:
            assert torch.equal(out_len, ref_len) and torch.equal(out_len, hand_len)
        feats, _ = model.extract_features(waveforms, lengths, num_layers=1)
        ref_feats, _ = reference.extract_features(waveforms, lengths, num_layers=1)
        assert len(feats) == len(ref_feats) == 1
        torch.testing.assert_close(feats[0], ref_feats[0], **tol("float32_model"))
    if hasattr(ours, "get_labels"):
        assert out.size(-1) == len(ours.get_labels())


def test_dl_kwargs_reach_the_loader(torch_home, tmp_path):
    bundle = shrink(pipelines.WAV2VEC2_ASR_BASE_960H)
    state = random_state_dict(bundle)
    path = write_published(bundle, state)
    moved = tmp_path / "mine" / "renamed.pth"
    moved.parent.mkdir()
    path.rename(moved)
    model = bundle.get_model(dl_kwargs={"model_dir": str(moved.parent), "file_name": "renamed.pth", "progress": False})
    torch.testing.assert_close(model.aux.weight, state["aux.weight"], rtol=0, atol=0)
    with pytest.raises(_assets.WeightsNotFoundError, match="wav2vec2_fairseq_base_ls960_asr_ls960.pth"):
        bundle.get_model()  # not at the default place any more


def test_wrapped_model_scripts(torch_home):
    bundle = shrink(pipelines.HUBERT_ASR_LARGE)
    write_published(bundle, random_state_dict(bundle))
    model = bundle.get_model()
    scripted = torch.jit.script(model)
    x = torch.randn(1, 800)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x)[0], model(x)[0], **tol("float32_model"))
        torch.testing.assert_close(scripted.extract_features(x)[0][-1], model.extract_features(x)[0][-1], **tol("float32_model"))


def test_unsafe_file_is_refused(torch_home):
    path = _assets.checkpoint_path(w2v_utils.weights_url(pipelines.WAV2VEC2_BASE._path))
    path.parent.mkdir(parents=True)
    marker = torch_home / "ran"
    torch.save({"x": _Code(str(marker))}, path)
    with pytest.raises(_assets.UnsafeCheckpointError, match="wav2vec2_fairseq_base_ls960.pth: refused"):
        pipelines.WAV2VEC2_BASE.get_model()
    assert not marker.exists()


class _Code:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_wrong_aux_layout_names_the_keys(torch_home):
    bundle = shrink(pipelines.WAV2VEC2_ASR_BASE_960H)
    state = random_state_dict(bundle)
    path = _assets.checkpoint_path(w2v_utils.weights_url(bundle._path))
    path.parent.mkdir(parents=True)
    torch.save(state, path)  # aux rows already dropped: not the published layout
    with pytest.raises(RuntimeError, match="aux.weight"):
        bundle.get_model()


@pytest.mark.parametrize("name", BUNDLES)
def test_full_size_get_model_on_meta_from_the_published_layout(name, torchaudio28, monkeypatch):
    """get_model() at full size, on the meta device, from a state_dict in the published files' layout.

    The layout comes from torchaudio 2.8's model (on meta): old weight-norm keys and the extra aux rows.
    """
    bundle = getattr(pipelines, name)
    shapes = dict(_oracle_shapes(name, torchaudio28))
    published = {}
    for key, shape in shapes.items():
        key = key.replace("parametrizations.weight.original0", "weight_g").replace("parametrizations.weight.original1", "weight_v")
        if key.startswith("aux."):
            shape = (shape[0] + len(bundle._remove_aux_axis),) + shape[1:]
        published[key] = torch.empty(shape, device="meta")
    seen = []

    def fake_load(url, dl_kwargs):
        seen.append(url)
        return dict(published)

    monkeypatch.setattr(_assets, "load_state_dict_with_dl_kwargs", fake_load)
    with torch.device("meta"):
        model = bundle.get_model()
    assert seen == [w2v_utils.weights_url(bundle._path)]
    inner = model.model if type(model).__name__ == "_Wav2Vec2Model" else model
    assert {k: tuple(v.shape) for k, v in inner.state_dict().items()} == shapes
    if isinstance(bundle, pipelines.Wav2Vec2ASRBundle):
        assert inner.aux.out_features == len(bundle.get_labels(**({"star": None} if hasattr(bundle, "get_dict") else {})))


def test_file_without_ctc_head_is_named(torch_home):
    encoder = shrink(pipelines.WAV2VEC2_BASE)
    asr = shrink(pipelines.WAV2VEC2_ASR_BASE_960H)
    path = _assets.checkpoint_path(w2v_utils.weights_url(asr._path))
    path.parent.mkdir(parents=True)
    torch.save(random_state_dict(encoder), path)  # an encoder's weights where the ASR file should be
    with pytest.raises(RuntimeError, match=r"wav2vec2_fairseq_base_ls960_asr_ls960.pth has no CTC head \(aux.weight"):
        asr.get_model()
