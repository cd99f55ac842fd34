"""wav2vec2 / HuBERT / XLS-R / WavLM against torchaudio 2.8's own models (the oracle), same weights."""

from __future__ import annotations

import copy
import inspect
import io
import pickle

import pytest
import torch

from conftest import tol
from torchsound.models import wav2vec2 as ours_w2v

FACTORIES = [
    "wav2vec2_base", "wav2vec2_large", "wav2vec2_large_lv60k", "hubert_base", "hubert_large", "hubert_xlarge",
    "wav2vec2_xlsr_300m", "wav2vec2_xlsr_1b", "wav2vec2_xlsr_2b", "wavlm_base", "wavlm_large",
]

# Small configurations: 3 conv blocks (1600 samples -> 79 frames), 2 layers of width 32.
CONV = [(16, 10, 5), (16, 3, 2), (16, 2, 2)]


def _config(mode="group_norm", norm_first=False, kernel=8, aux=None, dropout=0.0, layer_drop=0.0, conv_bias=False):
    return dict(
        extractor_mode=mode, extractor_conv_layer_config=CONV, extractor_conv_bias=conv_bias, encoder_embed_dim=32,
        encoder_projection_dropout=dropout, encoder_pos_conv_kernel=kernel, encoder_pos_conv_groups=4,
        encoder_num_layers=2, encoder_num_heads=4, encoder_attention_dropout=dropout, encoder_ff_interm_features=48,
        encoder_ff_interm_dropout=dropout, encoder_dropout=dropout, encoder_layer_norm_first=norm_first,
        encoder_layer_drop=layer_drop, aux_num_out=aux,
    )


def _wavlm_config(**kw):
    cfg = _config(**kw)
    cfg.update(encoder_num_buckets=16, encoder_max_distance=40)
    return cfg


def _pair(ta, factory, cfg, dtype=torch.float32):
    """(ours, oracle) built from one config, ours holding the oracle's random weights, in eval mode."""
    torch.manual_seed(0)
    theirs = getattr(ta.models, factory)(**cfg)
    # Random (not unit) layer norm and weight-norm magnitudes, so every parameter matters.
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.1 * torch.randn_like(p))
    mine = getattr(ours_w2v, factory)(**cfg)
    mine.load_state_dict(theirs.state_dict(), strict=True)
    return mine.to(dtype).eval(), theirs.to(dtype).eval()


def _tol(dtype):
    # Same weights; only float rounding separates the two (float32 fast paths sum in another order).
    return tol("float64") if dtype == torch.float64 else tol("float32_model")


def _inputs(dtype, batch=3, time=1600):
    g = torch.Generator().manual_seed(1)
    wave = torch.randn(batch, time, generator=g, dtype=dtype)
    lengths = torch.tensor([time, time - 400, 777][:batch])
    return wave, lengths


@pytest.mark.parametrize("name", FACTORIES)
def test_full_size_layout_equals_torchaudio(torchaudio28, name):
    with torch.device("meta"):
        want = getattr(torchaudio28.models, name)(aux_num_out=29).state_dict()
        got = getattr(ours_w2v, name)(aux_num_out=29).state_dict()
    assert list(got) == list(want)
    assert {k: v.shape for k, v in got.items()} == {k: v.shape for k, v in want.items()}
    assert "encoder.transformer.pos_conv_embed.conv.parametrizations.weight.original0" in got


@pytest.mark.parametrize("name", FACTORIES + ["wav2vec2_model", "wavlm_model"])
def test_signature_and_defaults_equal_torchaudio(torchaudio28, name):
    assert inspect.signature(getattr(ours_w2v, name)).parameters.keys() == inspect.signature(
        getattr(torchaudio28.models, name)
    ).parameters.keys()
    got = {k: p.default for k, p in inspect.signature(getattr(ours_w2v, name)).parameters.items()}
    want = {k: p.default for k, p in inspect.signature(getattr(torchaudio28.models, name)).parameters.items()}
    assert got == want


@pytest.mark.parametrize("factory,cfg", [("wav2vec2_model", _config()), ("wavlm_model", _wavlm_config())])
def test_state_dict_loads_both_ways(torchaudio28, factory, cfg):
    mine, theirs = _pair(torchaudio28, factory, cfg)
    fresh = getattr(torchaudio28.models, factory)(**cfg)
    fresh.load_state_dict(mine.state_dict(), strict=True)
    for (ka, va), (kb, vb) in zip(fresh.state_dict().items(), theirs.state_dict().items()):
        assert ka == kb
        torch.testing.assert_close(va, vb, rtol=0, atol=0)


def _old_form(state):
    """The checkpoint as written before torch 2.1 (torch.nn.utils.weight_norm): weight_g / weight_v."""
    old = {}
    for k, v in state.items():
        k = k.replace("conv.parametrizations.weight.original0", "conv.weight_g")
        old[k.replace("conv.parametrizations.weight.original1", "conv.weight_v")] = v
    return old


def test_old_weight_norm_keys_load(torchaudio28):
    mine, theirs = _pair(torchaudio28, "wav2vec2_model", _config())
    old = _old_form(theirs.state_dict())
    assert "encoder.transformer.pos_conv_embed.conv.weight_g" in old
    fresh = ours_w2v.wav2vec2_model(**_config()).eval()
    fresh.load_state_dict(old, strict=True)
    for (ka, va), (kb, vb) in zip(fresh.state_dict().items(), theirs.state_dict().items()):
        assert ka == kb
        torch.testing.assert_close(va, vb, rtol=0, atol=0)
    # torchaudio's own module takes the old form too (torch's compat hook): same keys in both worlds.
    torchaudio28.models.wav2vec2_model(**_config()).load_state_dict(old, strict=True)


def test_weight_norm_removed_checkpoint_loads(torchaudio28):
    """A checkpoint saved after torchaudio removed the weight norm (its scripting path): a plain ``conv.weight``."""
    mine, theirs = _pair(torchaudio28, "wav2vec2_model", _config())
    wave, _ = _inputs(torch.float32)
    with torch.no_grad():
        want, _ = theirs(wave)
    torch.nn.utils.parametrize.remove_parametrizations(theirs.encoder.transformer.pos_conv_embed.conv, "weight")
    state = theirs.state_dict()
    assert "encoder.transformer.pos_conv_embed.conv.weight" in state
    fresh = ours_w2v.wav2vec2_model(**_config()).eval()
    fresh.load_state_dict(state, strict=True)
    with torch.no_grad():
        got, _ = fresh(wave)
    torch.testing.assert_close(got, want, **tol("float32_model"))


CONFIGS = {
    "base_post_norm_even_kernel": _config(),
    "large_pre_norm_odd_kernel_aux": _config(mode="layer_norm", norm_first=True, kernel=7, aux=5, conv_bias=True),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("with_lengths", [False, True])
def test_forward_equals_torchaudio(torchaudio28, config, dtype, with_lengths):
    mine, theirs = _pair(torchaudio28, "wav2vec2_model", CONFIGS[config], dtype)
    wave, lengths = _inputs(dtype)
    lengths = lengths if with_lengths else None
    with torch.no_grad():
        got, got_len = mine(wave.clone(), lengths)
        want, want_len = theirs(wave.clone(), lengths)
    torch.testing.assert_close(got, want, **_tol(dtype))
    assert got.dtype == dtype
    if with_lengths:
        assert torch.equal(got_len, want_len)
    else:
        assert got_len is None and want_len is None


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("num_layers", [None, 1, 2])
def test_extract_features_equal_torchaudio(torchaudio28, dtype, num_layers):
    mine, theirs = _pair(torchaudio28, "wav2vec2_model", CONFIGS["large_pre_norm_odd_kernel_aux"], dtype)
    wave, lengths = _inputs(dtype)
    with torch.no_grad():
        got, got_len = mine.extract_features(wave, lengths, num_layers)
        want, want_len = theirs.extract_features(wave, lengths, num_layers)
    assert len(got) == len(want) == (num_layers or 2)
    torch.testing.assert_close(got, want, **_tol(dtype))
    assert torch.equal(got_len, want_len)


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_gradients_equal_torchaudio(torchaudio28, config):
    """Train mode (dropout 0, layer drop 0 so only the random draw happens): same input and weight gradients."""
    mine, theirs = _pair(torchaudio28, "wav2vec2_model", CONFIGS[config], torch.float64)
    wave, lengths = _inputs(torch.float64)
    grads = []
    for model in (mine.train(), theirs.train()):
        x = wave.clone().requires_grad_(True)
        out, _ = model(x, lengths)
        weight = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)
        (out * weight).sum().backward()
        grads.append([x.grad] + [p.grad for p in model.parameters()])
    assert all(g is not None for g in grads[0])
    torch.testing.assert_close(grads[0], grads[1], **tol("float64"))


def test_train_mode_dropout_and_layer_drop_follow_torchaudio(torchaudio28):
    """Dropout and layer drop draw from the global generator in the same order as torchaudio: same seed, same output;
    eval mode is deterministic and differs from train mode."""
    cfg = _config(dropout=0.2, layer_drop=0.5)
    mine, theirs = _pair(torchaudio28, "wav2vec2_model", cfg)
    wave, lengths = _inputs(torch.float32)
    outs = []
    for seed in (3, 4):
        for model in (mine.train(), theirs.train()):
            torch.manual_seed(seed)
            outs.append(model(wave, lengths)[0].detach())
    torch.testing.assert_close(outs[0], outs[1], **tol("float32"))
    torch.testing.assert_close(outs[2], outs[3], **tol("float32"))
    assert not torch.allclose(outs[0], outs[2])
    with torch.no_grad():
        a, b = mine.eval()(wave, lengths)[0], mine(wave, lengths)[0]
    assert torch.equal(a, b) and not torch.allclose(a, outs[0])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("mode,norm_first", [("group_norm", False), ("layer_norm", True)])
def test_wavlm_equals_torchaudio(torchaudio28, dtype, mode, norm_first):
    mine, theirs = _pair(torchaudio28, "wavlm_model", _wavlm_config(mode=mode, norm_first=norm_first), dtype)
    wave, _ = _inputs(dtype)
    with torch.no_grad():
        got, _ = mine(wave)
        want, _ = theirs(wave)
        got_layers, _ = mine.extract_features(wave)
        want_layers, _ = theirs.extract_features(wave)
    torch.testing.assert_close(got, want, **_tol(dtype))
    torch.testing.assert_close(got_layers, want_layers, **_tol(dtype))


def _oracle_wavlm_with_padding(model, wave, lengths):
    """torchaudio's WavLM pieces, with its attention's own key_padding_mask argument (which its Encoder never
    passes: torchaudio's WavLM fails on ``lengths``)."""
    x, frames = model.feature_extractor(wave, lengths)
    x, _ = model.encoder._preprocess(x, frames)
    padded = torch.arange(x.shape[1])[None, :] >= frames[:, None]
    transformer = model.encoder.transformer
    x = transformer._preprocess(x)
    bias = None
    layers = []
    for layer in transformer.layers:
        x, bias = layer(x, None, position_bias=bias, key_padding_mask=padded)
        layers.append(x)
    if not transformer.layer_norm_first:
        x = transformer.layer_norm(x)
    return x, frames, layers


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask:UserWarning")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("mode,norm_first", [("group_norm", False), ("layer_norm", True)])
def test_wavlm_accepts_lengths(torchaudio28, dtype, mode, norm_first):
    mine, theirs = _pair(torchaudio28, "wavlm_model", _wavlm_config(mode=mode, norm_first=norm_first), dtype)
    wave, lengths = _inputs(dtype)
    with pytest.raises(AssertionError):
        theirs(wave, lengths)  # torchaudio 2.8's known failure
    with torch.no_grad():
        got, got_len = mine(wave, lengths)
        got_layers, _ = mine.extract_features(wave, lengths)
        want, want_len, want_layers = _oracle_wavlm_with_padding(theirs, wave, lengths)
    valid = torch.arange(got.shape[1])[None, :] < want_len[:, None]
    assert torch.equal(got_len, want_len)
    # Padded frames hold values no one reads (both sides); the valid ones must agree.
    torch.testing.assert_close(got[valid], want[valid], **_tol(dtype))
    torch.testing.assert_close([g[valid] for g in got_layers], [w[valid] for w in want_layers], **_tol(dtype))


def test_wavlm_padding_does_not_leak_into_valid_frames():
    """An item's valid frames do not depend on what lies in its padding (layer-norm extractor: no global stats)."""
    torch.manual_seed(0)
    model = ours_w2v.wavlm_model(**_wavlm_config(mode="layer_norm", norm_first=True)).eval()
    wave, lengths = _inputs(torch.float32)
    noisy = wave.clone()
    noisy[2, 777:] = torch.randn(1600 - 777)
    with torch.no_grad():
        a, n = model(wave, lengths)
        b, _ = model(noisy, lengths)
    # CONV's receptive field is 10 + 2*5 + 1*10 = 30 samples at a 20-sample hop: every valid frame (38 of
    # 777 samples) sees valid samples only; padded frames are zeroed before the positional conv and masked in attention.
    valid = int(n[2])
    assert valid == 38
    torch.testing.assert_close(a[2, :valid], b[2, :valid], **tol("float32"))
    with torch.no_grad():  # without lengths the padding's content does reach the valid frames
        c, _ = model(wave)
        d, _ = model(noisy)
    assert not torch.allclose(c[2, :valid], d[2, :valid])


@pytest.mark.parametrize("factory,cfg", [("wav2vec2_model", _config(aux=5)), ("wavlm_model", _wavlm_config())])
@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_torchscript_equals_eager(torchaudio28, factory, cfg):
    mine, theirs = _pair(torchaudio28, factory, cfg)
    wave, lengths = _inputs(torch.float32)
    lengths = lengths if factory == "wav2vec2_model" else None
    torch.jit.script(copy.deepcopy(theirs))  # torchaudio's scripts too (the contract: wherever it does)
    scripted = torch.jit.script(mine)
    with torch.no_grad():
        want, want_len = mine(wave, lengths)
        got, got_len = scripted(wave, lengths)
        got_layers, _ = scripted.extract_features(wave, lengths, 1)
        want_layers, _ = mine.extract_features(wave, lengths, 1)
    torch.testing.assert_close(got, want, **tol("float32_model"))
    torch.testing.assert_close(got_layers, want_layers, **tol("float32_model"))
    assert (got_len is None) == (want_len is None)
    # Scripting does not touch the eager model (torchaudio's removes its weight norm in place).
    assert "encoder.transformer.pos_conv_embed.conv.parametrizations.weight.original0" in mine.state_dict()
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    buffer.seek(0)
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(buffer)(wave, lengths)[0], got, rtol=0, atol=0)


@pytest.mark.parametrize("factory,cfg", [("wav2vec2_model", _config(aux=5)), ("wavlm_model", _wavlm_config())])
def test_pickle_deepcopy_save_whole(factory, cfg):
    torch.manual_seed(0)
    model = getattr(ours_w2v, factory)(**cfg).eval()
    wave, _ = _inputs(torch.float32)
    with torch.no_grad():
        want, _ = model(wave)
        buffer = io.BytesIO()
        torch.save(model, buffer)
        buffer.seek(0)
        for other in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model), torch.load(buffer, weights_only=False)):
            torch.testing.assert_close(other(wave)[0], want, rtol=0, atol=0)


def test_bad_shapes_raise_clear_errors():
    model = ours_w2v.wav2vec2_model(**_config()).eval()
    with pytest.raises(ValueError, match=r"Wav2Vec2Model expects waveforms of shape \(batch, time\); got shape \[1600\]"):
        model(torch.randn(1600))
    with pytest.raises(ValueError, match=r"got shape \[2, 1, 1600\]"):
        model(torch.randn(2, 1, 1600))
    with pytest.raises(ValueError, match=r"expects lengths of shape \(batch,\) = \[2\]; got shape \[3\]"):
        model(torch.randn(2, 1600), torch.tensor([1600, 1600, 1600]))
    # CONV's receptive field: 10 + 2*5 + 1*10 = 30 samples (torchaudio fails inside conv1d with a RuntimeError).
    model(torch.randn(2, 30))
    with pytest.raises(ValueError, match=r"Wav2Vec2Model needs at least 30 samples per waveform \(one frame\); got shape \[2, 29\]"):
        model(torch.randn(2, 29))
    with torch.device("meta"):
        assert ours_w2v.wav2vec2_base().feature_extractor.receptive_field == 400
    with pytest.raises(ValueError, match=r"`num_layers` must be between \[1, 2\]; got 3"):
        model.extract_features(torch.randn(2, 1600), None, 3)
    with pytest.raises(ValueError, match="extractor_mode must be 'group_norm' or 'layer_norm'; got 'batch_norm'"):
        ours_w2v.wav2vec2_model(**dict(_config(), extractor_mode="batch_norm"))
    with pytest.raises(ValueError, match=r"`embed_dim \(32\)` is not divisible by `num_heads \(5\)`"):
        ours_w2v.wav2vec2_model(**dict(_config(), encoder_num_heads=5))


def test_names_from_models_namespace():
    import torchsound.models as models

    pretrain = ["HuBERTPretrainModel", "hubert_pretrain_model", "hubert_pretrain_base", "hubert_pretrain_large",
                "hubert_pretrain_xlarge"]
    for name in FACTORIES + pretrain + ["Wav2Vec2Model", "wav2vec2_model", "wavlm_model"]:
        assert getattr(models, name) is getattr(ours_w2v, name)
        assert name in dir(models)


@pytest.mark.parametrize("factory,cfg", [("wav2vec2_model", _config(aux=5)), ("wavlm_model", _wavlm_config())])
def test_torch_export_and_compile_fullgraph(factory, cfg):
    torch.manual_seed(0)
    model = getattr(ours_w2v, factory)(**cfg).eval()
    wave, lengths = _inputs(torch.float32)
    with torch.no_grad():
        want, want_len = model(wave, lengths)
        exported = torch.export.export(model, (wave, lengths)).module()
        got, got_len = exported(wave, lengths)
        torch.testing.assert_close(got, want, **tol("float32_model"))
        assert torch.equal(got_len, want_len)
        # fullgraph=True fails on any graph break; the eager backend keeps the test fast (no code generation).
        got, got_len = torch.compile(model, fullgraph=True, backend="eager")(wave, lengths)
        torch.testing.assert_close(got, want, **tol("float32_model"))
        assert torch.equal(got_len, want_len)


def test_wavlm_gradients_equal_torchaudio(torchaudio28):
    mine, theirs = _pair(torchaudio28, "wavlm_model", _wavlm_config(), torch.float64)
    wave, _ = _inputs(torch.float64)
    grads = []
    for model in (mine.train(), theirs.train()):
        x = wave.clone().requires_grad_(True)
        out, _ = model(x)
        weight = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)
        (out * weight).sum().backward()
        grads.append([x.grad] + [p.grad for p in model.parameters()])
    assert all(g is not None for g in grads[0]) and len(grads[0]) == len(grads[1])
    torch.testing.assert_close(grads[0], grads[1], **tol("float64"))


def test_effective_positional_weight_equals_torchaudio(torchaudio28):
    mine, theirs = _pair(torchaudio28, "wav2vec2_model", _config())
    torch.testing.assert_close(
        mine.encoder.transformer.pos_conv_embed.conv.weight,
        theirs.encoder.transformer.pos_conv_embed.conv.weight,
        **tol("float32"),
    )


def test_state_dict_of_another_architecture_names_the_model_and_keys():
    wav2vec2 = ours_w2v.wav2vec2_model(**_config())
    wavlm = ours_w2v.wavlm_model(**_wavlm_config())
    with pytest.raises(RuntimeError, match=r"(?s)for Wav2Vec2Model.*Unexpected key\(s\).*rel_attn_embed"):
        wav2vec2.load_state_dict(wavlm.state_dict())
    wider = ours_w2v.wav2vec2_model(**dict(_config(), encoder_ff_interm_features=64))
    with pytest.raises(RuntimeError, match=r"size mismatch for encoder\.transformer\.layers\.0\.feed_forward"
                       r"\.intermediate_dense\.weight: copying a param with shape torch\.Size\(\[64, 32\]\)"):
        wav2vec2.load_state_dict(wider.state_dict())
