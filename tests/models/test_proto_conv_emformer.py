"""Prototype ConvEmformer (forward and streaming infer) against torchaudio 2.8's own prototype model (the oracle)
on the same weights."""

import importlib

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
from torchsound.prototype.models import ConvEmformer

# The oracle warns that its prototype is deprecated on every construction.
pytestmark = pytest.mark.filterwarnings("ignore:.*has been deprecated:UserWarning")

BASE = dict(input_dim=8, num_heads=2, ffn_dim=12, num_layers=2, segment_length=4, kernel_size=3)
VARIANTS = {
    # No look-ahead, left context or memory.
    "plain": dict(),
    # Look-ahead and left context, gelu feed-forward, relu convolution activation.
    "lookahead": dict(ffn_activation="gelu", conv_activation="relu", left_context_length=6, right_context_length=2),
    # Memory vectors (clamped), kernel longer than a segment, no xavier rescaling.
    "memory": dict(
        kernel_size=6, left_context_length=3, right_context_length=1, max_memory_size=2,
        weight_init_scale_strategy=None,
    ),
    # tanh on memory, look-ahead longer than the kernel's past, constant gains.
    "memory_tanh": dict(
        kernel_size=2, right_context_length=3, max_memory_size=3, tanh_on_mem=True, conv_activation="gelu",
        weight_init_scale_strategy="constant",
    ),
}


@pytest.fixture
def proto(torchaudio28):
    return importlib.import_module("torchaudio.prototype.models")


def _config(name, **extra):
    return dict(BASE, **VARIANTS[name], **extra)


def _pair(proto, name, **extra):
    cfg = _config(name, **extra)
    return ConvEmformer(**cfg), proto.ConvEmformer(**cfg)


def _inputs(cfg, frames=13, lengths=(13, 9, 2)):
    """Utterance of ``frames`` (not a whole number of segments) plus the look-ahead; padded items."""
    torch.manual_seed(1)
    x = torch.randn(len(lengths), frames + cfg.get("right_context_length", 0), cfg["input_dim"])
    return x, torch.tensor(lengths)


@pytest.mark.parametrize("conv_activation", ["silu", "gelu"])
def test_layout_full_size(proto, conv_activation):
    # torchaudio's docstring configuration (80-dim features, 12 layers of width 80, kernel 8, look-ahead 4).
    full = dict(
        input_dim=80, num_heads=4, ffn_dim=1024, num_layers=12, segment_length=16, kernel_size=8,
        right_context_length=4, left_context_length=30, max_memory_size=4, conv_activation=conv_activation,
    )
    with torch.device("meta"):
        ours, theirs = ConvEmformer(**full), proto.ConvEmformer(**full)
    assert_same_layout(ours, theirs)
    assert "emformer_layers.11.conv.post_conv.2.weight" in ours.state_dict()


@pytest.mark.parametrize("name", VARIANTS)
def test_state_dict_loads_both_ways(proto, name):
    load_both_ways(*_pair(proto, name))


@pytest.mark.parametrize("strategy", ["depthwise", "constant", None])
def test_same_seed_same_initial_weights(proto, strategy):
    cfg = dict(BASE, weight_init_scale_strategy=strategy)
    torch.manual_seed(3)
    ours = ConvEmformer(**cfg)
    torch.manual_seed(3)
    theirs = proto.ConvEmformer(**cfg)
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", VARIANTS)
def test_outputs_match_torchaudio(proto, name, dtype):
    cfg = _config(name)
    x, lengths = _inputs(cfg)
    out, out_len = assert_same_outputs(*_pair(proto, name), [x, lengths], dtype)
    assert out.shape == (3, 13, 8) and out.dtype == dtype
    assert torch.equal(out_len, lengths)


def test_kernel_size_one_matches_torchaudio(proto):
    # No convolution history at all (state of 0 frames).
    cfg = _config("lookahead", kernel_size=1)
    x, lengths = _inputs(cfg)
    assert_same_outputs(ConvEmformer(**cfg), proto.ConvEmformer(**cfg), [x, lengths], torch.float64)


def _stream(model, x, lengths, cfg):
    """Run ``infer`` segment by segment (each with its look-ahead), the last segment zero-padded."""
    seg, rc = cfg["segment_length"], cfg.get("right_context_length", 0)
    frames = x.shape[1] - rc
    pad = -frames % seg
    x = torch.nn.functional.pad(x, (0, 0, 0, pad))
    states, outputs = None, []
    for start in range(0, frames + pad, seg):
        chunk = x[:, start : start + seg + rc]
        valid = torch.clamp(lengths + rc - start, min=0, max=seg + rc)
        out, out_len, states = model.infer(chunk, valid, states)
        # A snapshot: torchaudio's infer updates the state lists it is given in place.
        outputs.append((out, out_len, [[t.clone() for t in layer] for layer in states]))
    return outputs


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("lengths", [(13,), (13, 9, 2)], ids=["one", "padded"])
def test_infer_streaming_matches_torchaudio(proto, name, dtype, lengths):
    ours, theirs = _pair(proto, name)
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
        # Memory, left-context keys/values, frames seen, and the convolution's last kernel_size - 1 inputs.
        assert len(states) == len(w_states) == BASE["num_layers"]
        for layer, w_layer in zip(states, w_states):
            assert len(layer) == len(w_layer) == 5
            for a, b in zip(layer, w_layer):
                assert a.shape == b.shape
                torch.testing.assert_close(a, b.to(a.dtype), **tolerance_for(dtype))
            assert layer[3].dtype == torch.int32
            assert layer[4].shape == (x.shape[0], cfg["input_dim"], cfg["kernel_size"] - 1)


def test_gradients_match_torchaudio(proto):
    for name in ("lookahead", "memory"):
        cfg = _config(name)
        x, lengths = _inputs(cfg)
        assert_same_gradients(*_pair(proto, name), [x, lengths])


def test_train_mode_dropout_matches_under_same_seed(proto):
    ours, theirs = _pair(proto, "memory", dropout=0.3)
    ours.load_state_dict(theirs.state_dict())
    cfg = _config("memory")
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
    model = ConvEmformer(**cfg).double().eval()
    x, _ = _inputs(cfg, lengths=(13, 13, 13))
    x = x.double()
    full = torch.full((3,), 13)
    with torch.no_grad():
        whole, _ = model(x, full)
        items = torch.cat([model(x[i : i + 1], full[i : i + 1])[0] for i in range(3)])
    torch.testing.assert_close(whole, items, **tolerance_for(torch.float64))


@pytest.mark.parametrize("name", ["lookahead", "memory"])
def test_script_and_round_trips(proto, name):
    ours, theirs = _pair(proto, name)
    ours.load_state_dict(theirs.state_dict())
    ours.eval()
    torch.jit.script(theirs)  # torchaudio's scripts: so must ours
    scripted = torch.jit.script(ours)
    cfg = _config(name)
    x, lengths = _inputs(cfg)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x, lengths), ours(x, lengths), **tol("float32"))
        got = _stream(scripted, x, lengths, cfg)
        want = _stream(theirs.eval(), x, lengths, cfg)
    for (out, out_len, states), (w_out, w_len, w_states) in zip(got, want):
        torch.testing.assert_close(out, w_out, **tol("float32"))
        assert torch.equal(out_len, w_len)
        torch.testing.assert_close(states, w_states, **tol("float32"))
    assert_round_trips(ours, [x, lengths])


def test_foreign_state_dicts_rejected():
    other_size = ConvEmformer(**dict(BASE, kernel_size=5))
    assert_foreign_state_dicts_rejected(ConvEmformer(**BASE), torch.nn.Linear(3, 4), other_size)


@pytest.mark.parametrize("scripted", [False, True])
def test_bad_input_shape(scripted):
    model = ConvEmformer(**_config("lookahead"))
    model = torch.jit.script(model) if scripted else model
    errors = (ValueError, torch.jit.Error)
    with pytest.raises(errors, match=r"ConvEmformer expects input of shape \(batch, frame, 8\).*\[2, 9, 12\]"):
        model(torch.randn(2, 9, 12), torch.tensor([7, 7]))
    with pytest.raises(errors, match=r"ConvEmformer expects lengths of shape \(batch,\) = \[2\]; got shape \[3\]"):
        model(torch.randn(2, 9, 8), torch.tensor([7, 7, 7]))
    with pytest.raises(errors, match=r"ConvEmformer.infer expects 6 frames \(segment_length=4 \+ "
                                     r"right_context_length=2\).*\[2, 7, 8\]"):
        model.infer(torch.randn(2, 7, 8), torch.tensor([7, 7]), None)
    with pytest.raises(errors, match=r"ConvEmformer.infer expects states of 2 layers; got 1"):
        _, _, states = model.infer(torch.randn(2, 6, 8), torch.tensor([6, 6]), None)
        model.infer(torch.randn(2, 6, 8), torch.tensor([6, 6]), states[:1])


def test_bad_arguments(proto):
    for bad, message in (
        (dict(ffn_activation="tanh"), "activation must be one of relu, gelu, silu; got 'tanh'"),
        (dict(conv_activation="prelu"), "activation must be one of relu, gelu, silu; got 'prelu'"),
        (dict(num_heads=3), r"input_dim \(8\) must be a multiple of num_heads \(3\)"),
    ):
        with pytest.raises(ValueError, match=message):
            ConvEmformer(**dict(BASE, **bad))
        with pytest.raises(ValueError):  # torchaudio refuses them too
            proto.ConvEmformer(**dict(BASE, **bad))


def test_registered():
    import torchsound.prototype.models as models
    from torchsound.prototype.models import conv_emformer

    assert models.ConvEmformer is conv_emformer.ConvEmformer
    assert "ConvEmformer" in dir(models)
