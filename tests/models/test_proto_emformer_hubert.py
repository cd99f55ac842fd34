"""Prototype Emformer HuBERT against torchaudio 2.8's own (the oracle) on the same weights."""

from __future__ import annotations

import importlib
import inspect

import pytest
import torch

from _model_oracle import (
    assert_foreign_state_dicts_rejected,
    assert_round_trips,
    assert_same_gradients,
    assert_same_layout,
    assert_same_outputs,
    load_both_ways,
    tolerance_for,
)
from torchsound.prototype import models as ours

SMALL = dict(
    extractor_input_dim=8, extractor_output_dim=6, extractor_use_bias=True, extractor_stride=2, encoder_input_dim=12,
    encoder_output_dim=10, encoder_num_heads=3, encoder_ffn_dim=16, encoder_num_layers=3, encoder_segment_length=3,
    encoder_left_context_length=4, encoder_right_context_length=2, encoder_dropout=0.0, encoder_activation="gelu",
    encoder_max_memory_size=0, encoder_weight_init_scale_strategy="depthwise", encoder_tanh_on_mem=True,
    aux_num_out=None,
)
VARIANTS = {
    "published_like": {},
    "memory_aux_relu": dict(encoder_max_memory_size=2, aux_num_out=5, encoder_activation="relu",
                            encoder_tanh_on_mem=False, extractor_use_bias=False, encoder_weight_init_scale_strategy=None),
}


@pytest.fixture(autouse=True)
def _one_thread():
    # Tiny models on a shared machine: intra-op threads only add waiting.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def oracle(torchaudio28):
    """torchaudio 2.8's ``prototype.models``."""
    return importlib.import_module("torchaudio.prototype.models")


def _randomize_norms(model):
    g = torch.Generator().manual_seed(5)
    for m in model.modules():
        if isinstance(m, torch.nn.LayerNorm):
            m.weight.data = 1 + 0.2 * torch.randn(m.weight.shape, generator=g)
            m.bias.data = 0.2 * torch.randn(m.bias.shape, generator=g)
    return model


def _pair(oracle, **cfg):
    return ours.emformer_hubert_model(**cfg), _randomize_norms(oracle.emformer_hubert_model(**cfg))


def _inputs(batch=3, frames=30, dim=8):
    g = torch.Generator().manual_seed(1)
    return torch.randn(batch, frames, dim, generator=g), torch.tensor([frames, 22, 17][:batch])


@pytest.mark.parametrize("aux_num_out", [None, 29])
def test_full_size_layout_equals_torchaudio(oracle, aux_num_out):
    with torch.device("meta"):
        assert_same_layout(ours.emformer_hubert_base(aux_num_out=aux_num_out),
                           oracle.emformer_hubert_base(aux_num_out=aux_num_out))


@pytest.mark.parametrize("name", ["emformer_hubert_model", "emformer_hubert_base"])
def test_signature_and_defaults_equal_torchaudio(oracle, name):
    got = {k: p.default for k, p in inspect.signature(getattr(ours, name)).parameters.items()}
    want = {k: p.default for k, p in inspect.signature(getattr(oracle, name)).parameters.items()}
    assert got == want


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_initial_weights_equal_torchaudio_under_the_same_seed(oracle, variant):
    cfg = {**SMALL, **VARIANTS[variant]}
    torch.manual_seed(3)
    mine = ours.emformer_hubert_model(**cfg)
    torch.manual_seed(3)
    theirs = oracle.emformer_hubert_model(**cfg)
    assert_same_layout(mine, theirs)
    torch.testing.assert_close(dict(mine.state_dict()), dict(theirs.state_dict()), rtol=0, atol=0)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_strict_load_both_ways(oracle, variant):
    load_both_ways(*_pair(oracle, **{**SMALL, **VARIANTS[variant]}))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("with_lengths", [True, False], ids=["lengths", "no_lengths"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_eval_outputs_and_lengths_equal_torchaudio(oracle, variant, with_lengths, dtype):
    cfg = {**SMALL, **VARIANTS[variant]}
    mine, theirs = _pair(oracle, **cfg)
    x, lengths = _inputs()
    out, out_lengths = assert_same_outputs(mine, theirs, [x, lengths] if with_lengths else [x], dtype)
    # 30 frames -> 15 stacked, less the 2 look-ahead frames.
    assert out.shape == (3, 13, cfg["aux_num_out"] or 10) and out.dtype == dtype
    if with_lengths:
        torch.testing.assert_close(out_lengths, lengths // 2, rtol=0, atol=0)
    else:
        assert out_lengths is None


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("num_layers", [None, 1, 3])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_extract_features_equal_torchaudio(oracle, variant, num_layers, dtype):
    mine, theirs = _pair(oracle, **{**SMALL, **VARIANTS[variant]})
    x, lengths = _inputs()
    features, _ = assert_same_outputs(
        mine, theirs, [x, lengths], dtype, call=lambda m, x, n: m.extract_features(x, n, num_layers)
    )
    assert len(features) == (num_layers or 3)
    assert all(f.shape == (3, 13, 12) for f in features)


def test_extract_features_without_lengths(oracle):
    # torchaudio swaps batch and frame when it makes up lengths here, and fails for a batch of more than one;
    # ours takes every frame as valid, as its forward does: torchaudio given those lengths explicitly.
    mine, theirs = _pair(oracle, **{**SMALL, **VARIANTS["memory_aux_relu"]})
    x, _ = _inputs()
    full = torch.full((3,), 15)

    def call(model, x, lengths):
        if model is mine:
            return model.extract_features(x, None)[0]
        features, _ = model.feature_extractor(x, None)
        return model.encoder.extract_features(features, lengths)

    got = assert_same_outputs(mine, theirs, [x, full], torch.float64, call=call)
    assert len(got) == 3
    # A batch of one: torchaudio's own call works and agrees.
    assert_same_outputs(mine, theirs, [x[:1]], torch.float64, call=lambda m, x: m.extract_features(x)[0])


def test_gradients_equal_torchaudio(oracle):
    x, lengths = _inputs()
    assert_same_gradients(*_pair(oracle, **{**SMALL, **VARIANTS["memory_aux_relu"]}), [x, lengths])


def test_dropout_only_in_train_mode():
    model = ours.emformer_hubert_model(**{**SMALL, "encoder_dropout": 0.5})
    x, lengths = _inputs()
    with torch.no_grad():
        model.eval()
        torch.testing.assert_close(model(x, lengths)[0], model(x, lengths)[0], rtol=0, atol=0)
        model.train()
        assert not torch.equal(model(x, lengths)[0], model(x, lengths)[0])


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_jit_script_equals_eager(oracle, variant):
    cfg = {**SMALL, **VARIANTS[variant]}
    mine = ours.emformer_hubert_model(**cfg).eval()
    scripted = torch.jit.script(mine)
    if variant == "published_like":  # torchaudio scripts it too
        torch.jit.script(oracle.emformer_hubert_model(**cfg))
    x, lengths = _inputs()
    with torch.no_grad():
        for args in ([x, lengths], [x]):
            torch.testing.assert_close(scripted(*args), mine(*args), **tolerance_for(torch.float32))
        for args in ([x, lengths, 2], [x, None, None]):
            torch.testing.assert_close(scripted.extract_features(*args), mine.extract_features(*args),
                                       **tolerance_for(torch.float32))


def test_pickle_deepcopy_save_round_trip():
    x, lengths = _inputs()
    assert_round_trips(ours.emformer_hubert_model(**{**SMALL, **VARIANTS["memory_aux_relu"]}), [x, lengths])


def test_bad_inputs_raise_clearly():
    model = ours.emformer_hubert_model(**SMALL)
    x, lengths = _inputs()
    with pytest.raises(ValueError, match=r"EmformerHuBERT feature extractor expects input of shape \(batch, frame, 8\); "
                                         r"got shape \[3, 30, 5\]"):
        model(torch.randn(3, 30, 5))
    with pytest.raises(ValueError, match=r"lengths of shape \(batch,\) = \[3\]; got shape \[2\]"):
        model(x, lengths[:2])
    # 4 frames stack into 2: no utterance frame left before the 2 look-ahead frames.
    with pytest.raises(ValueError, match=r"Emformer expects at least 3 frames .*right_context_length=2.*\[3, 2, 12\]"):
        model(torch.randn(3, 4, 8))
    with pytest.raises(ValueError, match=r"Emformer expects at least 3 frames"):
        model.extract_features(torch.randn(3, 4, 8))
    with pytest.raises(ValueError, match=r"`num_layers` must be between \[1, 3\]; got 0"):
        model.extract_features(x, lengths, 0)
    with pytest.raises(Exception, match=r"EmformerHuBERT feature extractor expects input of shape"):
        torch.jit.script(model)(torch.randn(3, 30, 5))


@pytest.mark.parametrize("with_lengths", [True, False], ids=["lengths", "no_lengths"])
def test_on_every_device_equals_torchaudio_on_cpu(oracle, device, with_lengths):
    mine, theirs = _pair(oracle, **{**SMALL, **VARIANTS["memory_aux_relu"]})
    mine.load_state_dict(theirs.state_dict(), strict=True)
    mine, theirs = mine.double().eval().to(device), theirs.double().eval()
    x, lengths = _inputs()
    x = x.double()
    args = [x, lengths] if with_lengths else [x]
    with torch.no_grad():
        out, out_lengths = mine(*[a.to(device) for a in args])
        want, want_lengths = theirs(*args)
        assert out.device.type == device.type
        torch.testing.assert_close(out.cpu(), want, **tolerance_for(torch.float64))
        if with_lengths:
            torch.testing.assert_close(out_lengths.cpu(), want_lengths, rtol=0, atol=0)
        features, _ = mine.extract_features(*[a.to(device) for a in args])
        if with_lengths:
            want_features, _ = theirs.extract_features(x, lengths)
        else:  # torchaudio fails without lengths for a batch > 1 (see above): give it the full lengths
            want_features = theirs.encoder.extract_features(theirs.feature_extractor(x, None)[0], torch.full((3,), 15))
        torch.testing.assert_close([f.cpu() for f in features], want_features, **tolerance_for(torch.float64))


def test_foreign_state_dicts_are_refused_naming_model_keys_and_shapes():
    conformer = ours.conformer_wav2vec2_model(8, 12, 2, 16, 0.0, 2, 4, 24, 3, 0.0, True, True)
    assert_foreign_state_dicts_rejected(ours.emformer_hubert_model(**SMALL), conformer,
                                        ours.emformer_hubert_model(**{**SMALL, "encoder_ffn_dim": 20}))
