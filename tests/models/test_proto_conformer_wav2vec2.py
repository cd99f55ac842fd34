"""Prototype Conformer wav2vec2 (model and pre-training model) against torchaudio 2.8's own (the oracle)."""

from __future__ import annotations

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

FACTORIES = ["conformer_wav2vec2_base", "conformer_wav2vec2_pretrain_base", "conformer_wav2vec2_pretrain_large"]

SMALL = dict(
    extractor_input_dim=8, extractor_output_dim=12, extractor_stride=2, encoder_embed_dim=16,
    encoder_projection_dropout=0.0, encoder_num_layers=2, encoder_num_heads=4, encoder_ff_interm_features=24,
    encoder_depthwise_conv_kernel_size=[5, 3], encoder_dropout=0.0, encoder_convolution_first=True,
    encoder_use_group_norm=True,
)
VARIANTS = {
    "published_like": {},
    "batchnorm_attention_first": dict(encoder_use_group_norm=False, encoder_convolution_first=False,
                                      encoder_depthwise_conv_kernel_size=7, extractor_stride=3),
}
MASKING = dict(
    mask_prob=0.3, mask_selection="static", mask_other=0.0, mask_length=2, no_mask_overlap=False, mask_min_space=0,
    mask_channel_prob=0.5, mask_channel_selection="static", mask_channel_other=0.0, mask_channel_length=3,
    no_mask_channel_overlap=False, mask_channel_min_space=1, num_negatives=3, cross_sample_negatives=2,
)


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
    import importlib

    return importlib.import_module("torchaudio.prototype.models")


def _randomize_norms(model):
    # Non-trivial affine parameters and batch-norm running statistics, so eval-mode comparisons see them.
    g = torch.Generator().manual_seed(5)
    for m in model.modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.GroupNorm, torch.nn.LayerNorm)):
            m.weight.data = 1 + 0.2 * torch.randn(m.weight.shape, generator=g)
            m.bias.data = 0.2 * torch.randn(m.bias.shape, generator=g)
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean = 0.3 * torch.randn(m.running_mean.shape, generator=g)
            m.running_var = 0.5 + torch.rand(m.running_var.shape, generator=g)
    return model


def _pair(ta, factory="conformer_wav2vec2_model", **cfg):
    theirs = _randomize_norms(getattr(ta, factory)(**cfg))
    return getattr(ours, factory)(**cfg), theirs


def _inputs(batch=3, frames=21, dim=8):
    g = torch.Generator().manual_seed(1)
    return torch.randn(batch, frames, dim, generator=g), torch.tensor([frames, 15, 9][:batch])


@pytest.mark.parametrize("name", FACTORIES)
def test_full_size_layout_equals_torchaudio(oracle, name):
    with torch.device("meta"):
        assert_same_layout(getattr(ours, name)(), getattr(oracle, name)())


@pytest.mark.parametrize("name", FACTORIES + ["conformer_wav2vec2_model", "conformer_wav2vec2_pretrain_model"])
def test_signature_and_defaults_equal_torchaudio(oracle, name):
    got = {k: p.default for k, p in inspect.signature(getattr(ours, name)).parameters.items()}
    want = {k: p.default for k, p in inspect.signature(getattr(oracle, name)).parameters.items()}
    assert got == want


def test_public_names_resolve_from_the_namespace(oracle):
    for name in FACTORIES + ["conformer_wav2vec2_model", "conformer_wav2vec2_pretrain_model",
                             "ConformerWav2Vec2PretrainModel"]:
        assert hasattr(oracle, name)
        assert name in dir(ours)
    assert isinstance(ours.conformer_wav2vec2_pretrain_model(**SMALL, **MASKING), ours.ConformerWav2Vec2PretrainModel)


@pytest.mark.parametrize("factory, cfg", [("conformer_wav2vec2_model", SMALL),
                                          ("conformer_wav2vec2_pretrain_model", {**SMALL, **MASKING})])
def test_initial_weights_equal_torchaudio_under_the_same_seed(oracle, factory, cfg):
    torch.manual_seed(3)
    mine = getattr(ours, factory)(**cfg)
    torch.manual_seed(3)
    theirs = getattr(oracle, factory)(**cfg)
    assert_same_layout(mine, theirs)
    torch.testing.assert_close(dict(mine.state_dict()), dict(theirs.state_dict()), rtol=0, atol=0)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_strict_load_both_ways(oracle, variant):
    load_both_ways(*_pair(oracle, **{**SMALL, **VARIANTS[variant]}))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("with_lengths", [True, False], ids=["lengths", "no_lengths"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_eval_outputs_and_lengths_equal_torchaudio(oracle, variant, with_lengths, dtype):
    mine, theirs = _pair(oracle, **{**SMALL, **VARIANTS[variant]})
    x, lengths = _inputs()
    inputs = [x, lengths] if with_lengths else [x]
    out, out_lengths = assert_same_outputs(mine, theirs, inputs, dtype)
    stride = mine.feature_extractor.time_reduction_layer.stride
    assert out.shape == (3, 21 // stride, 16) and out.dtype == dtype
    if with_lengths:
        torch.testing.assert_close(out_lengths, lengths // stride, rtol=0, atol=0)
    else:
        assert out_lengths is None


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("num_layers", [None, 1, 2])
def test_extract_features_equal_torchaudio(oracle, num_layers, dtype):
    mine, theirs = _pair(oracle, **SMALL)
    x, lengths = _inputs()
    features, out_lengths = assert_same_outputs(
        mine, theirs, [x, lengths], dtype, call=lambda m, x, n: m.extract_features(x, n, num_layers)
    )
    assert len(features) == (num_layers or 2)
    # The last layer's features are the forward output.
    if num_layers in (None, 2):
        with torch.no_grad():
            torch.testing.assert_close(features[-1], mine(x.to(dtype), lengths)[0], **tolerance_for(dtype))


def test_gradients_equal_torchaudio(oracle):
    x, lengths = _inputs(frames=13)
    assert_same_gradients(*_pair(oracle, **SMALL), [x, lengths])


def test_dropout_only_in_train_mode(oracle):
    mine = ours.conformer_wav2vec2_model(**{**SMALL, "encoder_dropout": 0.5, "encoder_projection_dropout": 0.5})
    x, lengths = _inputs()
    with torch.no_grad():
        mine.eval()
        torch.testing.assert_close(mine(x, lengths)[0], mine(x, lengths)[0], rtol=0, atol=0)
        mine.train()
        assert not torch.equal(mine(x, lengths)[0], mine(x, lengths)[0])


@pytest.mark.parametrize(
    "masking, with_lengths, dtype",
    [({}, True, torch.float32), ({}, False, torch.float32), ({}, True, torch.float64), ({}, False, torch.float64),
     ({"num_negatives": 0}, True, torch.float64), ({"cross_sample_negatives": 0}, False, torch.float64),
     ({"num_negatives": 0, "cross_sample_negatives": 0}, True, torch.float64),
     ({"no_mask_overlap": True, "mask_min_space": 1}, True, torch.float64),
     ({"mask_channel_prob": 0.0}, False, torch.float32)],
    ids=["both_negatives-lengths-f32", "both_negatives-no_lengths-f32", "both_negatives-lengths-f64",
         "both_negatives-no_lengths-f64", "cross_only", "within_only", "no_negatives", "no_overlap", "no_channel_mask"],
)
def test_pretrain_outputs_masks_targets_negatives_follow_torchaudio(oracle, with_lengths, masking, dtype):
    cfg = {**SMALL, **MASKING, **masking}
    mine, theirs = _pair(oracle, "conformer_wav2vec2_pretrain_model", **cfg)
    mine.load_state_dict(theirs.state_dict(), strict=True)
    mine, theirs = mine.to(dtype).eval(), theirs.to(dtype).eval()
    x, lengths = _inputs(frames=41)
    args = [x.to(dtype)] + ([lengths] if with_lengths else [])
    results = []
    for model in (mine, theirs):
        torch.manual_seed(11)  # masks and negatives come from the global generator, as in torchaudio
        with torch.no_grad():
            results.append(model(*args))
    got, want = results
    assert len(got) == len(want) == 6
    for a, b in zip(got, want):
        if b is None:
            assert a is None
        elif b.is_floating_point():
            torch.testing.assert_close(a, b, **tolerance_for(dtype))
        else:
            torch.testing.assert_close(a, b, rtol=0, atol=0)
    out, out_lengths, mask, targets, negatives, index = got
    num_masked = int(mask[0].sum())
    assert mask.dtype == torch.bool and (mask.sum(1) == num_masked).all()
    assert targets.shape == (3, num_masked, 16)
    n = cfg["num_negatives"] + cfg["cross_sample_negatives"]
    if n:
        assert negatives.shape == (n, 3, num_masked, 16) and index.shape == (3, num_masked * n)
        # Each negative is the target row its index names.
        torch.testing.assert_close(negatives.permute(1, 2, 0, 3).reshape(-1, 16),
                                   targets.reshape(-1, 16)[index.reshape(-1)], rtol=0, atol=0)


def test_pretrain_negatives_are_never_the_frame_itself():
    torch.manual_seed(0)
    model = ours.conformer_wav2vec2_pretrain_model(**{**SMALL, **MASKING, "cross_sample_negatives": 0, "num_negatives": 6})
    x, lengths = _inputs(frames=41)
    with torch.no_grad():
        _, _, mask, targets, _, index = model.eval()(x, lengths)
    m = targets.shape[1]
    rows = torch.arange(3 * m).reshape(3, m).repeat_interleave(6, dim=1)  # each frame's own row, once per negative
    assert not (index == rows).any()
    assert (index // m == torch.arange(3)[:, None]).all()  # within-item negatives stay in their item


def test_pretrain_gradients_equal_torchaudio(oracle):
    mine, theirs = _pair(oracle, "conformer_wav2vec2_pretrain_model", **{**SMALL, **MASKING})
    mine.load_state_dict(theirs.state_dict(), strict=True)
    x, lengths = _inputs(frames=41)
    grads = []
    for model in (mine.double().train(), theirs.double().train()):
        xs = x.double().clone().requires_grad_(True)
        torch.manual_seed(2)
        out, _, _, targets, negatives, _ = model(xs, lengths)
        loss = (out * torch.linspace(-1, 1, out.numel(), dtype=torch.float64).reshape(out.shape)).sum()
        loss = loss + targets.sin().sum() + negatives.cos().sum()
        loss.backward()
        grads.append([xs.grad] + [p.grad for p in model.parameters()])
    for a, b in zip(*grads):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b, **tolerance_for(torch.float64))


def test_jit_script_equals_eager(oracle):
    # torchaudio scripts the model (not the pre-training model, whose mask generator does not script there).
    mine, theirs = _pair(oracle, **SMALL)
    mine.load_state_dict(theirs.state_dict())
    mine.eval()
    scripted = torch.jit.script(mine)
    x, lengths = _inputs()
    with torch.no_grad():
        for args in ([x, lengths], [x]):
            got, want = scripted(*args), mine(*args)
            torch.testing.assert_close(got, want, **tolerance_for(torch.float32))
        torch.testing.assert_close(scripted.extract_features(x, lengths, 1), mine.extract_features(x, lengths, 1),
                                   **tolerance_for(torch.float32))


class _Seeded(torch.nn.Module):
    """The same random draws (masks, negatives) before each call."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *args):
        torch.manual_seed(0)
        return self.model(*args)


def test_pickle_deepcopy_save_round_trip():
    x, lengths = _inputs()
    assert_round_trips(ours.conformer_wav2vec2_model(**SMALL), [x, lengths])
    model = ours.conformer_wav2vec2_pretrain_model(**{**SMALL, **MASKING}).eval()
    assert_round_trips(_Seeded(model), [x, lengths])


def test_bad_inputs_raise_clearly():
    model = ours.conformer_wav2vec2_model(**SMALL)
    x, lengths = _inputs()
    with pytest.raises(ValueError, match=r"expects features of shape \(batch, frame, 8\); got shape \[3, 21, 5\]"):
        model(torch.randn(3, 21, 5))
    with pytest.raises(ValueError, match=r"expects features of shape \(batch, frame, 8\); got shape \[21, 8\]"):
        model(torch.randn(21, 8))
    with pytest.raises(ValueError, match=r"lengths of shape \(batch,\) = \[3\]; got shape \[2\]"):
        model(x, lengths[:2])
    with pytest.raises(ValueError, match=r"`num_layers` must be between \[1, 2\]; got 3"):
        model.extract_features(x, lengths, 3)
    scripted = torch.jit.script(model)
    with pytest.raises(Exception, match=r"expects features of shape \(batch, frame, 8\)"):
        scripted(torch.randn(3, 21, 5))


def test_bad_configuration_raises_clearly():
    with pytest.raises(ValueError, match=r"encoder_depthwise_conv_kernel_size .* encoder_num_layers=2 .*got 3"):
        ours.conformer_wav2vec2_model(**{**SMALL, "encoder_depthwise_conv_kernel_size": [3, 3, 3]})
    # torchaudio fails deep inside indexing here; ours says what is missing.
    model = ours.conformer_wav2vec2_pretrain_model(**{**SMALL, **MASKING, "mask_prob": 0.0})
    with pytest.raises(ValueError, match=r"ConformerWav2Vec2PretrainModel needs masked frames.*mask_prob > 0"):
        model(*_inputs())
    model = ours.conformer_wav2vec2_pretrain_model(**{**SMALL, **MASKING, "mask_prob": 0.01, "mask_length": 1})
    with pytest.raises(ValueError, match=r"negative sampling needs at least 2 masked frames per item; got 1"):
        torch.manual_seed(0)
        model(torch.randn(2, 4, 8))


def test_on_every_device_equals_torchaudio_on_cpu(oracle, device):
    # Model and pre-training model on the device (CUDA where present); masks and negatives are drawn from the
    # global CPU generator as in torchaudio, so a seed gives torchaudio's CPU results.
    mine, theirs = _pair(oracle, "conformer_wav2vec2_pretrain_model", **{**SMALL, **MASKING})
    mine.load_state_dict(theirs.state_dict(), strict=True)
    mine, theirs = mine.double().eval().to(device), theirs.double().eval()
    x, lengths = _inputs(frames=41)
    x = x.double()
    with torch.no_grad():
        torch.manual_seed(4)
        got = mine(x.to(device), lengths.to(device))
        torch.manual_seed(4)
        want = theirs(x, lengths)
        assert all(t.device.type == device.type for t in got)
        torch.testing.assert_close([t.cpu() for t in got], list(want), **tolerance_for(torch.float64))
        features, out_lengths = mine.wav2vec2.extract_features(x.to(device), lengths.to(device))
        want_features, _ = theirs.wav2vec2.extract_features(x, lengths)
        torch.testing.assert_close([f.cpu() for f in features], want_features, **tolerance_for(torch.float64))
        assert out_lengths.device.type == device.type


def test_torch_export_equals_eager():
    # (torch.compile(fullgraph=True) also works; it is left out here for its minutes of compile time on CPU.)
    model = ours.conformer_wav2vec2_model(**SMALL).eval()
    x, lengths = _inputs()
    exported = torch.export.export(model, (x, lengths))
    with torch.no_grad():
        torch.testing.assert_close(exported.module()(x, lengths), model(x, lengths), **tolerance_for(torch.float32))


def test_foreign_state_dicts_are_refused_naming_model_keys_and_shapes():
    hubert = ours.emformer_hubert_model(8, 6, True, 2, 12, 10, 3, 16, 2, 3, 4, 2, 0.0, "gelu", 0, None, True, None)
    assert_foreign_state_dicts_rejected(ours.conformer_wav2vec2_model(**SMALL), hubert,
                                        ours.conformer_wav2vec2_model(**{**SMALL, "encoder_embed_dim": 20}))
    pretrain = ours.conformer_wav2vec2_pretrain_model(**SMALL, **MASKING)
    other_size = ours.conformer_wav2vec2_pretrain_model(**{**SMALL, "extractor_output_dim": 14}, **MASKING)
    assert_foreign_state_dicts_rejected(pretrain, ours.conformer_wav2vec2_model(**SMALL), other_size)
