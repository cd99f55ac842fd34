"""Emformer RNN-T against torchaudio 2.8's own model (the oracle) on the same weights."""

import pytest
import torch

from _model_oracle import (
    assert_same_layout,
    assert_same_outputs,
    load_both_ways,
    tolerance_for,
)
from torchsound.models import RNNT, emformer_rnnt_base, emformer_rnnt_model

SMALL = dict(
    input_dim=6,
    encoding_dim=12,
    num_symbols=7,
    segment_length=8,
    right_context_length=4,
    time_reduction_input_dim=4,
    time_reduction_stride=4,
    transformer_num_heads=2,
    transformer_ffn_dim=10,
    transformer_num_layers=2,
    transformer_dropout=0.0,
    transformer_activation="gelu",
    transformer_left_context_length=3,
    transformer_max_memory_size=0,
    transformer_weight_init_scale_strategy="depthwise",
    transformer_tanh_on_mem=True,
    symbol_embedding_dim=8,
    num_lstm_layers=2,
    lstm_layer_norm=True,
    lstm_layer_norm_epsilon=1e-3,
    lstm_dropout=0.0,
)
VARIANTS = {
    "base_like": {},
    # Memory vectors, relu, plain LSTMs (no layer norm: biased input projection), stride 2.
    "memory_plain_lstm": dict(
        transformer_activation="relu",
        transformer_max_memory_size=2,
        transformer_tanh_on_mem=False,
        lstm_layer_norm=False,
        time_reduction_stride=2,
        num_lstm_layers=1,
        transformer_weight_init_scale_strategy=None,
    ),
}


def _pair(torchaudio28, name="base_like"):
    cfg = dict(SMALL, **VARIANTS[name])
    torch.manual_seed(0)
    return emformer_rnnt_model(**cfg), torchaudio28.models.emformer_rnnt_model(**cfg), cfg


def _inputs(cfg, frames=37, lengths=(37, 21, 9), tokens=5):
    torch.manual_seed(3)
    batch = len(lengths)
    sources = torch.randn(batch, frames + cfg["right_context_length"], cfg["input_dim"])
    targets = torch.randint(0, cfg["num_symbols"], (batch, tokens))
    target_lengths = torch.tensor([tokens] + [max(tokens - 2 - k, 1) for k in range(batch - 1)])
    return sources, torch.tensor(lengths), targets, target_lengths


@pytest.mark.parametrize("num_symbols", [4097, 29])
def test_layout_full_size(torchaudio28, num_symbols):
    with torch.device("meta"):
        ours, theirs = emformer_rnnt_base(num_symbols), torchaudio28.models.emformer_rnnt_base(num_symbols)
    assert isinstance(ours, RNNT)
    assert_same_layout(ours, theirs)


@pytest.mark.parametrize("name", VARIANTS)
def test_layout_and_strict_load_small(torchaudio28, name):
    ours, theirs, _ = _pair(torchaudio28, name)
    assert_same_layout(ours, theirs)
    load_both_ways(ours, theirs)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", VARIANTS)
def test_forward_equals_torchaudio(torchaudio28, name, dtype):
    ours, theirs, cfg = _pair(torchaudio28, name)
    got = assert_same_outputs(ours, theirs, _inputs(cfg), dtype)
    logits, source_lengths, target_lengths, state = got
    stride = cfg["time_reduction_stride"]
    assert logits.shape == (3, 37 // stride, 5, cfg["num_symbols"])
    assert source_lengths.tolist() == [37 // stride, 21 // stride, 9 // stride]
    assert len(state) == cfg["num_lstm_layers"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", VARIANTS)
def test_methods_equal_torchaudio(torchaudio28, name, dtype):
    ours, theirs, cfg = _pair(torchaudio28, name)
    sources, source_lengths, targets, target_lengths = _inputs(cfg)

    def methods(model, sources, source_lengths, targets, target_lengths):
        enc, enc_lengths = model.transcribe(sources, source_lengths)
        pred, pred_lengths, state = model.predict(targets[:, :2], target_lengths, None)
        # The predictor continues from a state: same as running all tokens at once.
        pred2, _, state2 = model.predict(targets[:, 2:], target_lengths, state)
        joint = model.join(enc, enc_lengths, torch.cat([pred, pred2], 1), pred_lengths)
        return enc, enc_lengths, pred, pred2, state2, joint

    got = assert_same_outputs(ours, theirs, [sources, source_lengths, targets, target_lengths], dtype, call=methods)
    with torch.no_grad():
        whole, _, _ = ours.predict(targets, target_lengths, None)
    torch.testing.assert_close(torch.cat([got[2], got[3]], 1), whole, **tolerance_for(dtype))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", VARIANTS)
def test_transcribe_streaming_equals_torchaudio(torchaudio28, name, dtype):
    ours, theirs, cfg = _pair(torchaudio28, name)
    seg, rc = cfg["segment_length"], cfg["right_context_length"]
    torch.manual_seed(5)
    stream = torch.randn(2, 4 * seg + rc, cfg["input_dim"])

    def run(model, stream):
        state, outs = None, []
        for k in range(4):
            chunk = stream[:, k * seg : (k + 1) * seg + rc]
            out, lengths, state = model.transcribe_streaming(chunk, torch.tensor([seg + rc, seg + rc]), state)
            outs.append(out)
            outs.append(lengths)
        return outs, state

    assert_same_outputs(ours, theirs, [stream], dtype, call=run)


def test_gradients_equal_torchaudio(torchaudio28):
    # Train mode with dropout 0, float64: gradients of the sources and of every parameter equal.
    ours, theirs, cfg = _pair(torchaudio28)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    sources, source_lengths, targets, target_lengths = _inputs(cfg, frames=17, lengths=(17, 12))
    grads = []
    for model in (ours.double().train(), theirs.double().train()):
        x = sources.double().requires_grad_(True)
        logits = model(x, source_lengths, targets, target_lengths[:2])[0]
        weight = torch.linspace(-1, 1, logits.numel(), dtype=torch.float64).reshape(logits.shape)
        (logits * weight).sum().backward()
        grads.append([x.grad] + [p.grad for p in model.parameters()])
    for a, b in zip(*grads, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b, **tolerance_for(torch.float64))


def test_script_equals_eager(torchaudio28):
    ours, _, cfg = _pair(torchaudio28)
    ours.eval()
    scripted = torch.jit.script(ours)
    sources, source_lengths, targets, target_lengths = _inputs(cfg)
    with torch.no_grad():
        torch.testing.assert_close(
            scripted(sources, source_lengths, targets, target_lengths),
            ours(sources, source_lengths, targets, target_lengths),
        )
        seg = cfg["segment_length"] + cfg["right_context_length"]
        chunk, lengths = sources[:, :seg], torch.full((3,), seg)
        torch.testing.assert_close(
            scripted.transcribe_streaming(chunk, lengths, None), ours.transcribe_streaming(chunk, lengths, None)
        )


def test_bad_shapes_raise(torchaudio28):
    ours, _, cfg = _pair(torchaudio28)
    sources, source_lengths, targets, target_lengths = _inputs(cfg)
    with pytest.raises(
        ValueError, match=r"RNNT.transcribe expects sources of shape \(batch, frame, 6\); got shape \[3, 41, 5\]"
    ):
        ours.transcribe(sources[..., :5], source_lengths)
    with pytest.raises(ValueError, match=r"RNNT.transcribe_streaming expects sources of shape"):
        ours.transcribe_streaming(sources[0], source_lengths, None)
    with pytest.raises(ValueError, match=r"RNNT.predict expects targets of shape \(batch, token\); got shape \[3\]"):
        ours.predict(targets[:, 0], target_lengths, None)
    with pytest.raises(ValueError, match=r"RNNT.predict expects a state of 2 LSTM layers; got 1"):
        ours.predict(targets, target_lengths, [[torch.zeros(3, 8), torch.zeros(3, 8)]])
    with pytest.raises(ValueError, match=r"RNNT.join expects source_encodings"):
        ours.join(torch.zeros(3, 12), source_lengths, torch.zeros(3, 2, 12), target_lengths)


def test_pickle_and_deepcopy(torchaudio28):
    import copy
    import pickle

    ours, _, cfg = _pair(torchaudio28)
    ours.eval()
    inputs = _inputs(cfg)
    with torch.no_grad():
        want = ours(*inputs)
        for other in (pickle.loads(pickle.dumps(ours)), copy.deepcopy(ours)):
            torch.testing.assert_close(other(*inputs), want, rtol=0, atol=0)


@pytest.mark.parametrize("name", VARIANTS)
def test_same_initial_weights_under_a_seed(torchaudio28, name):
    # Modules are built in torchaudio's order, so a seed gives the same initial model (same training runs).
    cfg = dict(SMALL, **VARIANTS[name])
    torch.manual_seed(11)
    ours = emformer_rnnt_model(**cfg)
    torch.manual_seed(11)
    theirs = torchaudio28.models.emformer_rnnt_model(**cfg)
    for (ka, va), (kb, vb) in zip(ours.state_dict().items(), theirs.state_dict().items(), strict=True):
        assert ka == kb
        torch.testing.assert_close(va, vb, rtol=0, atol=0)
