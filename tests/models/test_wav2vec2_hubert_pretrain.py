"""HuBERTPretrainModel and its factories against torchaudio 2.8's own (the oracle): same weights, same seed."""

from __future__ import annotations

import inspect

import pytest
import torch

from conftest import tol
from torchsound.models import wav2vec2 as ours_w2v
from torchsound.models.wav2vec2 import components as ours_components

FACTORIES = ["hubert_pretrain_base", "hubert_pretrain_large", "hubert_pretrain_xlarge"]
CONV = [(16, 10, 5), (16, 3, 2), (16, 2, 2)]  # 1600 samples -> 79 frames


def _config(**kw):
    cfg = dict(
        extractor_mode="group_norm", extractor_conv_layer_config=CONV, extractor_conv_bias=False,
        encoder_embed_dim=32, encoder_projection_dropout=0.0, encoder_pos_conv_kernel=8, encoder_pos_conv_groups=4,
        encoder_num_layers=2, encoder_num_heads=4, encoder_attention_dropout=0.0, encoder_ff_interm_features=48,
        encoder_ff_interm_dropout=0.0, encoder_dropout=0.0, encoder_layer_norm_first=False, encoder_layer_drop=0.0,
        mask_prob=0.5, mask_selection="static", mask_other=0.0, mask_length=5, no_mask_overlap=False,
        mask_min_space=1, mask_channel_prob=0.2, mask_channel_selection="static", mask_channel_other=0.0,
        mask_channel_length=4, no_mask_channel_overlap=False, mask_channel_min_space=1, skip_masked=False,
        skip_nomask=False, num_classes=7, final_dim=12, feature_grad_mult=0.1,
    )
    cfg.update(kw)
    return cfg


def _pair(ta, cfg, dtype=torch.float32):
    torch.manual_seed(0)
    theirs = ta.models.hubert_pretrain_model(**cfg)
    torch.manual_seed(0)
    mine = ours_w2v.hubert_pretrain_model(**cfg)
    return mine.to(dtype), theirs.to(dtype)


def _inputs(dtype):
    g = torch.Generator().manual_seed(1)
    wave = torch.randn(3, 1600, generator=g, dtype=dtype)
    labels = torch.randint(0, 7, (3, 79), generator=g)
    return wave, labels, torch.tensor([1600, 1200, 777])


@pytest.mark.parametrize("name", FACTORIES)
def test_full_size_layout_equals_torchaudio(torchaudio28, monkeypatch, name):
    # torchaudio's initialisation copies values through the CPU, which a meta tensor has not: skip it there.
    monkeypatch.setattr(torchaudio28.models.wav2vec2.model, "_init_hubert_pretrain_model", lambda m: None)
    with torch.device("meta"):
        want = getattr(torchaudio28.models, name)().state_dict()
        got = getattr(ours_w2v, name)().state_dict()  # ours builds on meta as is
    assert list(got) == list(want)
    assert {k: v.shape for k, v in got.items()} == {k: v.shape for k, v in want.items()}


@pytest.mark.parametrize("name", FACTORIES + ["hubert_pretrain_model"])
def test_signature_and_defaults_equal_torchaudio(torchaudio28, name):
    got = {k: p.default for k, p in inspect.signature(getattr(ours_w2v, name)).parameters.items()}
    want = {k: p.default for k, p in inspect.signature(getattr(torchaudio28.models, name)).parameters.items()}
    assert got == want


def test_initialisation_equals_torchaudio_under_the_same_seed(torchaudio28):
    mine, theirs = _pair(torchaudio28, _config())
    got, want = mine.state_dict(), theirs.state_dict()
    assert list(got) == list(want)
    torch.testing.assert_close(dict(got), dict(want), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("with_lengths", [False, True])
@pytest.mark.parametrize(
    "variant",
    [{}, {"encoder_layer_norm_first": True, "extractor_mode": "layer_norm"}, {"no_mask_overlap": True},
     {"mask_selection": "uniform", "mask_other": 1.0}, {"mask_selection": "normal", "mask_other": 2.0},
     {"skip_masked": True}, {"skip_nomask": True}],
    ids=["default", "pre_norm", "no_overlap", "uniform", "normal", "skip_masked", "skip_nomask"],
)
def test_forward_equals_torchaudio(torchaudio28, dtype, with_lengths, variant):
    """Same seed before the call: the same masks, logits and feature penalty."""
    mine, theirs = _pair(torchaudio28, _config(**variant), dtype)
    wave, labels, lengths = _inputs(dtype)
    lengths = lengths if with_lengths else None
    outs = []
    for model in (mine.eval(), theirs.eval()):
        torch.manual_seed(5)
        with torch.no_grad():
            outs.append(model(wave, labels, lengths))
    for got, want in zip(*outs):
        assert (got is None) == (want is None)
        if want is not None:
            torch.testing.assert_close(got, want, **(tol("float64") if dtype == torch.float64 else tol("float32_logits")))


def test_gradients_equal_torchaudio(torchaudio28):
    mine, theirs = _pair(torchaudio28, _config(), torch.float64)
    wave, labels, lengths = _inputs(torch.float64)
    grads = []
    for model in (mine.train(), theirs.train()):
        torch.manual_seed(5)
        x = wave.clone().requires_grad_(True)
        logit_m, logit_u, pen = model(x, labels, lengths)
        loss = torch.nn.functional.cross_entropy(logit_m, torch.zeros(len(logit_m), dtype=torch.long))
        (loss + logit_u.logsumexp(-1).mean() + pen).backward()
        grads.append([x.grad] + [p.grad for p in model.parameters()])
    assert len(grads[0]) == len(grads[1])
    for a, b in zip(*grads):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b, **tol("float64"))


@pytest.mark.parametrize(
    "kw",
    [dict(mask_type="static"), dict(mask_type="uniform", mask_other=2.0), dict(mask_type="normal", mask_other=3.0),
     dict(mask_type="static", no_overlap=True, min_space=1), dict(mask_type="uniform", no_overlap=True, min_space=2)],
)
@pytest.mark.parametrize("padded", [False, True])
def test_mask_indices_equal_torchaudio(torchaudio28, kw, padded):
    padding = torch.arange(120)[None, :] >= torch.tensor([120, 90, 61, 100])[:, None] if padded else None
    for seed in range(5):
        torch.manual_seed(seed)
        want = torchaudio28.models.wav2vec2.components._compute_mask_indices((4, 120), padding, 0.6, 8, min_masks=2, **kw)
        torch.manual_seed(seed)
        got = ours_components._compute_mask_indices((4, 120), padding, 0.6, 8, min_masks=2, **kw)
        assert torch.equal(got, want)
        assert got.sum() > 0 and torch.equal(got.sum(1), got.sum(1)[:1].expand(4))  # same count per row


def test_mask_prob_zero_works(torchaudio28):
    """torchaudio 2.8 fails on mask_prob=0 (no mask to combine); ours masks nothing: every frame is 'unmasked'."""
    mine, theirs = _pair(torchaudio28, _config(mask_prob=0.0, mask_channel_prob=0.0))
    wave, labels, lengths = _inputs(torch.float32)
    with pytest.raises(TypeError):
        theirs(wave, labels, lengths)
    logit_m, logit_u, _ = mine(wave, labels, lengths)
    assert logit_m.shape == (0, 8)
    frames = int((torch.div(torch.div(lengths - 10, 5, rounding_mode="floor") + 1 - 3, 2, rounding_mode="floor") + 1 - 2)
                 .div(2, rounding_mode="floor").add(1).sum())
    assert logit_u.shape == (frames, 8)
    # The unmasked logits are the cosine scores of the encoder output, as the oracle's own pieces compute them.
    with torch.no_grad():
        x, n = theirs.wav2vec2.feature_extractor(wave, lengths)
        x, attention = theirs.wav2vec2.encoder._preprocess(x, n)
        x = theirs.wav2vec2.encoder.transformer(x, attention_mask=attention)
        valid = torch.arange(x.shape[1])[None, :] < n[:, None]
        _, want = theirs.logit_generator(x, labels, ~valid, valid)
    torch.testing.assert_close(logit_u.detach(), want, **tol("float32_logits"))


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match=r"`feature_grad_mult` must be ``None``or between \(0, 1\). Found 1.5"):
        ours_w2v.hubert_pretrain_model(**_config(feature_grad_mult=1.5))
    model = ours_w2v.hubert_pretrain_model(**_config())
    wave, labels, _ = _inputs(torch.float32)
    with pytest.raises(ValueError, match=r"labels must have one entry per output frame, shape \(batch, 79\); got shape \[3, 80\]"):
        model(wave, torch.zeros(3, 80, dtype=torch.long))
    with pytest.raises(ValueError, match="mask selection must be 'static', 'uniform', 'normal' or 'poisson'; got 'zipf'"):
        ours_w2v.hubert_pretrain_model(**_config(mask_selection="zipf"))(wave, labels)


def test_pickle_deepcopy_save_whole():
    import copy
    import io
    import pickle

    torch.manual_seed(0)
    model = ours_w2v.hubert_pretrain_model(**_config())
    wave, labels, lengths = _inputs(torch.float32)
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    copies = [pickle.loads(pickle.dumps(model)), copy.deepcopy(model), torch.load(buffer, weights_only=False)]
    for other in [model] + copies:
        torch.manual_seed(5)  # same masks
        with torch.no_grad():
            out = other(wave, labels, lengths)
        if other is model:
            want = out
        else:
            torch.testing.assert_close(out, want, rtol=0, atol=0)
