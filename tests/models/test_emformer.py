"""Emformer (forward and streaming infer) against torchaudio 2.8's own model (the oracle) on the same weights."""

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
from conftest import tol
from torchsound.models import Emformer

BASE = dict(input_dim=16, num_heads=2, ffn_dim=24, num_layers=2, segment_length=4)
VARIANTS = {
    # Plain segments: no look-ahead, left context or memory.
    "plain": dict(),
    # emformer_rnnt_base's shape of options: gelu, left context, look-ahead, tanh on memory (unused: no memory).
    "rnnt": dict(activation="gelu", left_context_length=6, right_context_length=2, tanh_on_mem=True),
    # Memory vectors, clamped; silu; no xavier rescaling.
    "memory": dict(
        activation="silu", left_context_length=3, right_context_length=1, max_memory_size=2,
        weight_init_scale_strategy=None,
    ),
    "memory_tanh": dict(right_context_length=3, max_memory_size=3, tanh_on_mem=True, weight_init_scale_strategy="constant"),
}


def _config(name, **extra):
    return dict(BASE, **VARIANTS[name], **extra)


def _pair(torchaudio28, name, **extra):
    cfg = _config(name, **extra)
    return Emformer(**cfg), torchaudio28.models.Emformer(**cfg)


def _inputs(cfg, frames=13, lengths=(13, 9, 2)):
    """Utterance of ``frames`` (not a whole number of segments) plus the look-ahead; padded items."""
    torch.manual_seed(1)
    x = torch.randn(len(lengths), frames + cfg.get("right_context_length", 0), cfg["input_dim"])
    return x, torch.tensor(lengths)


@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_layout_full_size(torchaudio28, activation):
    # emformer_rnnt_base's encoder.
    full = dict(
        input_dim=512, num_heads=8, ffn_dim=2048, num_layers=20, segment_length=4, dropout=0.1,
        activation=activation, left_context_length=30, right_context_length=1, max_memory_size=0, tanh_on_mem=True,
    )
    with torch.device("meta"):
        assert_same_layout(Emformer(**full), torchaudio28.models.Emformer(**full))


@pytest.mark.parametrize("name", VARIANTS)
def test_state_dict_loads_both_ways(torchaudio28, name):
    load_both_ways(*_pair(torchaudio28, name))


@pytest.mark.parametrize("strategy", ["depthwise", "constant", None])
def test_same_seed_same_initial_weights(torchaudio28, strategy):
    cfg = dict(BASE, weight_init_scale_strategy=strategy)
    torch.manual_seed(3)
    ours = Emformer(**cfg)
    torch.manual_seed(3)
    theirs = torchaudio28.models.Emformer(**cfg)
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)


@pytest.mark.parametrize(
    "cfg",
    [
        dict(segment_length=4),
        dict(segment_length=4, left_context_length=6, right_context_length=2),
        dict(segment_length=3, left_context_length=2, right_context_length=1, max_memory_size=2),
        dict(segment_length=5, right_context_length=3, max_memory_size=9),
        dict(segment_length=1, left_context_length=1, max_memory_size=1),
    ],
)
@pytest.mark.parametrize("frames", [1, 12, 13])
def test_attention_mask_equals_torchaudio(torchaudio28, cfg, frames):
    full = dict(input_dim=4, num_heads=1, ffn_dim=4, num_layers=1, **cfg)
    utterance = torch.zeros(frames, 1, 4)
    got = Emformer(**full)._gen_attention_mask(utterance)
    want = torchaudio28.models.Emformer(**full)._gen_attention_mask(utterance)
    assert got.dtype == want.dtype == torch.bool
    assert torch.equal(got, want)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", VARIANTS)
def test_outputs_match_torchaudio(torchaudio28, name, dtype):
    cfg = _config(name)
    x, lengths = _inputs(cfg)
    out, out_len = assert_same_outputs(*_pair(torchaudio28, name), [x, lengths], dtype)
    assert out.shape == (3, 13, 16) and out.dtype == dtype
    assert torch.equal(out_len, lengths)


@pytest.mark.parametrize("name", ["plain", "memory"])
def test_single_item_matches_torchaudio(torchaudio28, name):
    # Batch of one: no padding mask on either side.
    cfg = _config(name)
    x, lengths = _inputs(cfg, lengths=(13,))
    assert_same_outputs(*_pair(torchaudio28, name), [x, lengths], torch.float64)


def _stream(model, x, lengths, cfg):
    """Run ``infer`` segment by segment (each with its look-ahead), the last segment zero-padded."""
    seg, rc = cfg["segment_length"], cfg.get("right_context_length", 0)
    frames = x.shape[1] - rc
    pad = -frames % seg
    x = torch.nn.functional.pad(x, (0, 0, 0, pad))
    states, outputs = None, []
    for start in range(0, frames + pad, seg):
        chunk = x[:, start : start + seg + rc]
        # Valid frames of this chunk (utterance and look-ahead) per item.
        valid = torch.clamp(lengths + rc - start, min=0, max=seg + rc)
        out, out_len, states = model.infer(chunk, valid, states)
        # A snapshot: torchaudio's infer updates the state lists it is given in place.
        outputs.append((out, out_len, [[t.clone() for t in layer] for layer in states]))
    return outputs


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("lengths", [(13,), (13, 9, 2)], ids=["one", "padded"])
def test_infer_streaming_matches_torchaudio(torchaudio28, name, dtype, lengths):
    ours, theirs = _pair(torchaudio28, name)
    ours.load_state_dict(theirs.state_dict())
    ours, theirs = ours.to(dtype).eval(), theirs.to(dtype).eval()
    cfg = _config(name)
    x, lengths = _inputs(cfg, lengths=lengths)
    x = x.to(dtype)
    with torch.no_grad():
        got = _stream(ours, x, lengths, cfg)
        want = _stream(theirs, x, lengths, cfg)
    assert len(got) == len(want) == 4
    for (out, out_len, states), (w_out, w_len, w_states) in zip(got, want):
        assert out.dtype == dtype
        torch.testing.assert_close(out, w_out, **tolerance_for(dtype))
        assert torch.equal(out_len, w_len)
        # The state carried between calls: memory, left-context keys/values, frames seen.
        assert len(states) == len(w_states) == BASE["num_layers"]
        for layer, w_layer in zip(states, w_states):
            assert len(layer) == len(w_layer) == 4
            for a, b in zip(layer, w_layer):
                assert a.shape == b.shape
                torch.testing.assert_close(a, b.to(a.dtype), **tolerance_for(dtype))
            assert layer[3].dtype == torch.int32


def test_infer_float_lengths_match_torchaudio(torchaudio28):
    # torchaudio's docstring example passes float lengths (torch.ones(batch) * frames).
    ours, theirs = _pair(torchaudio28, "rnnt")
    ours.load_state_dict(theirs.state_dict())
    cfg = _config("rnnt")
    x, lengths = _inputs(cfg)
    with torch.no_grad():
        got = _stream(ours.eval(), x, lengths.float(), cfg)
        want = _stream(theirs.eval(), x, lengths.float(), cfg)
    for (out, out_len, _), (w_out, w_len, _) in zip(got, want):
        torch.testing.assert_close(out, w_out, **tol("float32"))
        assert out_len.dtype == torch.float32 and torch.equal(out_len, w_len)


def test_infer_does_not_change_given_states(torchaudio28):
    model = Emformer(**_config("memory")).eval()
    cfg = _config("memory")
    x, lengths = _inputs(cfg, lengths=(13,))
    chunk = x[:, :5]
    with torch.no_grad():
        _, _, states = model.infer(chunk, torch.tensor([5]), None)
        before = [[t.clone() for t in layer] for layer in states]
        model.infer(chunk, torch.tensor([5]), states)
    for layer, old in zip(states, before):
        for a, b in zip(layer, old):
            assert torch.equal(a, b)


def test_gradients_match_torchaudio(torchaudio28):
    cfg = _config("memory")
    x, lengths = _inputs(cfg)
    assert_same_gradients(*_pair(torchaudio28, "memory"), [x, lengths])


def test_train_mode_dropout_matches_under_same_seed(torchaudio28):
    ours, theirs = _pair(torchaudio28, "rnnt", dropout=0.3)
    ours.load_state_dict(theirs.state_dict())
    cfg = _config("rnnt")
    x, lengths = _inputs(cfg)
    outs = []
    for model in (ours.train(), theirs.train()):
        torch.manual_seed(9)
        outs.append(model(x, lengths)[0])
    torch.testing.assert_close(outs[0], outs[1], **tol("float32"))
    with torch.no_grad():
        assert not torch.allclose(ours.eval()(x, lengths)[0], outs[0])


def test_batch_equals_loop_for_full_items():
    cfg = _config("memory")
    model = Emformer(**cfg).double().eval()
    x, _ = _inputs(cfg, lengths=(13, 13, 13))
    x = x.double()
    full = torch.full((3,), 13)
    with torch.no_grad():
        whole, _ = model(x, full)
        items = torch.cat([model(x[i : i + 1], full[i : i + 1])[0] for i in range(3)])
    torch.testing.assert_close(whole, items, **tolerance_for(torch.float64))


@pytest.mark.parametrize("name", ["rnnt", "memory"])
def test_script_and_round_trips(torchaudio28, name):
    ours, theirs = _pair(torchaudio28, name)
    ours.load_state_dict(theirs.state_dict())
    ours.eval()
    torch.jit.script(theirs)  # torchaudio's scripts: so must ours
    scripted = torch.jit.script(ours)
    cfg = _config(name)
    x, lengths = _inputs(cfg)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x, lengths), ours(x, lengths), **tol("float32"))
        got = _stream(scripted, x, lengths, cfg)
        want = _stream(ours, x, lengths, cfg)
    for (out, out_len, states), (w_out, w_len, w_states) in zip(got, want):
        torch.testing.assert_close(out, w_out, **tol("float32"))
        assert torch.equal(out_len, w_len)
        torch.testing.assert_close(states, w_states, **tol("float32"))
    assert_round_trips(ours, [x, lengths])


def test_foreign_state_dicts_rejected():
    other_size = Emformer(**dict(BASE, ffn_dim=32))
    assert_foreign_state_dicts_rejected(Emformer(**BASE), torch.nn.Linear(3, 4), other_size)


@pytest.mark.parametrize("scripted", [False, True])
def test_bad_input_shape(scripted):
    model = Emformer(**_config("rnnt"))
    model = torch.jit.script(model) if scripted else model
    errors = (ValueError, torch.jit.Error)
    with pytest.raises(errors, match=r"Emformer expects input of shape \(batch, frame, 16\).*\[2, 9, 12\]"):
        model(torch.randn(2, 9, 12), torch.tensor([7, 7]))
    with pytest.raises(errors, match=r"Emformer expects input of shape .*\[9, 16\]"):
        model(torch.randn(9, 16), torch.tensor([7]))
    with pytest.raises(errors, match=r"Emformer expects at least 3 frames .*right_context_length=2.*\[1, 2, 16\]"):
        model(torch.randn(1, 2, 16), torch.tensor([0]))
    with pytest.raises(errors, match=r"Emformer expects lengths of shape \(batch,\) = \[2\]; got shape \[3\]"):
        model(torch.randn(2, 9, 16), torch.tensor([7, 7, 7]))
    with pytest.raises(errors, match=r"Emformer.infer expects 6 frames \(segment_length=4 \+ right_context_length=2\)"
                                     r".*\[2, 7, 16\]"):
        model.infer(torch.randn(2, 7, 16), torch.tensor([7, 7]), None)
    with pytest.raises(errors, match=r"Emformer.infer expects states of 2 layers; got 1"):
        _, _, states = model.infer(torch.randn(2, 6, 16), torch.tensor([6, 6]), None)
        model.infer(torch.randn(2, 6, 16), torch.tensor([6, 6]), states[:1])


def test_bad_arguments(torchaudio28):
    with pytest.raises(ValueError, match="activation must be one of relu, gelu, silu; got 'tanh'"):
        Emformer(**dict(BASE, activation="tanh"))
    with pytest.raises(ValueError, match="weight_init_scale_strategy must be one of .*; got 'xavier'"):
        Emformer(**dict(BASE, weight_init_scale_strategy="xavier"))
    with pytest.raises(ValueError, match=r"input_dim \(16\) must be a multiple of num_heads \(3\)"):
        Emformer(**dict(BASE, num_heads=3))
    for bad in (dict(activation="tanh"), dict(weight_init_scale_strategy="xavier"), dict(num_heads=3)):
        with pytest.raises(ValueError):  # torchaudio refuses them too
            torchaudio28.models.Emformer(**dict(BASE, **bad))


def test_registered():
    import torchsound.models as models
    from torchsound.models import emformer

    assert models.Emformer is emformer.Emformer
    assert "Emformer" in dir(models)
