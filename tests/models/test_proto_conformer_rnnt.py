"""Prototype Conformer RNN-T and Conformer RNN-T with TCPGen biasing against torchaudio 2.8's own prototype models
(the oracle) on the same weights."""

import copy
import importlib
import io
import pickle

import pytest
import torch

from _model_oracle import (
    assert_foreign_state_dicts_rejected,
    assert_round_trips,
    assert_same_layout,
    assert_same_outputs,
    load_both_ways,
    tolerance_for,
)
from conftest import tol
from torchsound.models import RNNT
from torchsound.prototype.models import (
    conformer_rnnt_base,
    conformer_rnnt_biasing,
    conformer_rnnt_biasing_base,
    conformer_rnnt_model,
)

# The oracle warns that its prototype is deprecated on every construction.
pytestmark = pytest.mark.filterwarnings("ignore:.*has been deprecated:UserWarning")

SMALL = dict(
    input_dim=6,
    encoding_dim=12,
    time_reduction_stride=2,
    conformer_input_dim=8,
    conformer_ffn_dim=16,
    conformer_num_layers=2,
    conformer_num_heads=2,
    conformer_depthwise_conv_kernel_size=3,
    conformer_dropout=0.0,
    num_symbols=7,
    symbol_embedding_dim=8,
    num_lstm_layers=2,
    lstm_hidden_dim=10,
    lstm_layer_norm=True,
    lstm_layer_norm_epsilon=1e-5,
    lstm_dropout=0.0,
    joiner_activation="tanh",
)
VARIANTS = {
    "tanh_layer_norm": {},
    # relu joiner, plain LSTM (biased input projection), stride 4, kernel 5.
    "relu_plain_lstm": dict(
        joiner_activation="relu", lstm_layer_norm=False, num_lstm_layers=1, time_reduction_stride=4,
        conformer_depthwise_conv_kernel_size=5,
    ),
}
# Suffix-marked word pieces: "▁" closes a word; the blank is the last output, as the biasing decoder expects.
CHARS = ["a", "b▁", "c", "d▁", "e▁", "f", "<blank>"]
BLANK = 6
BIASING_MODES = {
    "tcpgen_deep": dict(biasing=True, deepbiasing=True, DBaverage=False),
    "tcpgen_shallow": dict(biasing=True, deepbiasing=False, DBaverage=False),
    "db_average": dict(biasing=True, deepbiasing=True, DBaverage=True),
    "off": dict(biasing=False, deepbiasing=True, DBaverage=False),
}


def make_trie(words):
    """Prefix tree of word-piece sequences, nodes ``[children, word_id, (first, last) word ids below]``: the layout
    torchaudio's biasing recipe builds (ESPnet's lexical tree), written here for the tests."""
    root = [{}, -1, None]
    for word_id, pieces in enumerate(words, 1):
        node = root
        for i, piece in enumerate(pieces):
            if piece not in node[0]:
                node[0][piece] = [{}, -1, (word_id - 1, word_id)]
            else:
                low, high = node[0][piece][2]
                node[0][piece][2] = (min(low, word_id - 1), max(high, word_id))
            if i == len(pieces) - 1:
                node[0][piece][1] = word_id
            node = node[0][piece]
    return root


# "ab▁", "cd▁", "ce▁", "cd▁ab▁" (a word-closing piece that continues into a longer entry), "ffb▁".
TRIE_WORDS = [[0, 1], [2, 3], [2, 4], [2, 3, 0, 1], [5, 5, 1]]


@pytest.fixture
def proto(torchaudio28):
    return importlib.import_module("torchaudio.prototype.models")


def _pair(proto, name="tanh_layer_norm"):
    cfg = dict(SMALL, **VARIANTS[name])
    torch.manual_seed(0)
    ours = conformer_rnnt_model(**cfg)
    torch.manual_seed(0)
    return ours, proto.conformer_rnnt_model(**cfg), cfg


def _biasing_cfg(mode, **extra):
    return {**SMALL, "attndim": 5, "charlist": CHARS, "tcpsche": 2, **BIASING_MODES[mode], **extra}


def _biasing_pair(proto, mode, **extra):
    cfg = _biasing_cfg(mode, **extra)
    torch.manual_seed(0)
    ours = conformer_rnnt_biasing(**cfg)
    torch.manual_seed(0)
    return ours, proto.conformer_rnnt_biasing(**cfg)


def _inputs(cfg, frames=21, lengths=(21, 15, 9)):
    # The longest item fills the input: torchaudio's Conformer sizes its padding mask by max(lengths).
    torch.manual_seed(3)
    sources = torch.randn(len(lengths), frames, cfg["input_dim"])
    # Targets start with the blank (as in training) and cross the trie's words.
    targets = torch.tensor([[BLANK, 2, 3, 0, 1], [BLANK, 0, 5, 1, BLANK], [BLANK, 5, 5, 1, 2]])[: len(lengths)]
    return sources, torch.tensor(lengths), targets, torch.tensor([5, 4, 3])[: len(lengths)]


def _full_charlist():
    return [f"p{i}▁" for i in range(600)] + ["<blank>"]


def test_layout_full_size(proto):
    with torch.device("meta"):
        ours, theirs = conformer_rnnt_base(), proto.conformer_rnnt_base()
    assert isinstance(ours, RNNT)
    assert_same_layout(ours, theirs)
    assert ours.state_dict()["transcriber.input_linear.weight"].shape == (256, 320)


@pytest.mark.parametrize("biasing", [True, False])
def test_biasing_layout_full_size(proto, biasing):
    with torch.device("meta"):
        ours = conformer_rnnt_biasing_base(_full_charlist(), biasing=biasing)
        theirs = proto.conformer_rnnt_biasing_base(_full_charlist(), biasing=biasing)
    assert isinstance(ours, RNNT)
    assert_same_layout(ours, theirs)
    assert ("Kproj.weight" in ours.state_dict()) == biasing
    assert ("joiner.biasinglinear.weight" in ours.state_dict()) == biasing


@pytest.mark.parametrize("name", VARIANTS)
def test_same_seed_same_weights_and_strict_load(proto, name):
    ours, theirs, _ = _pair(proto, name)
    assert_same_layout(ours, theirs)
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)
    load_both_ways(ours, theirs)


@pytest.mark.parametrize("mode", BIASING_MODES)
def test_biasing_same_seed_same_weights_and_strict_load(proto, mode):
    ours, theirs = _biasing_pair(proto, mode)
    assert_same_layout(ours, theirs)
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)
    load_both_ways(ours, theirs)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", VARIANTS)
def test_forward_matches_torchaudio(proto, name, dtype):
    ours, theirs, cfg = _pair(proto, name)
    out = assert_same_outputs(ours, theirs, list(_inputs(cfg)), dtype)
    stride = cfg["time_reduction_stride"]
    assert out[0].shape == (3, 21 // stride, 5, 7) and out[0].dtype == dtype
    assert torch.equal(out[1], torch.tensor([21, 15, 9]) // stride)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_transcribe_predict_join_match_torchaudio(proto, dtype):
    ours, theirs, cfg = _pair(proto)
    sources, lengths, targets, target_lengths = _inputs(cfg)
    assert_same_outputs(ours, theirs, [sources, lengths], dtype, call=lambda m, x, n: m.transcribe(x, n))
    # The predictor continuing from a state, and the joiner on its own.
    ours, theirs = ours.to(dtype), theirs.to(dtype)
    with torch.no_grad():
        _, _, state = theirs.predict(targets[:, :2], target_lengths, None)
        got = ours.predict(targets[:, 2:], target_lengths, state)
        want = theirs.predict(targets[:, 2:], target_lengths, state)
        torch.testing.assert_close(got, want, **tolerance_for(dtype))
        enc, enc_len = theirs.transcribe(sources.to(dtype), lengths)
        torch.testing.assert_close(
            ours.join(enc, enc_len, got[0], target_lengths), theirs.join(enc, enc_len, got[0], target_lengths),
            **tolerance_for(dtype),
        )


def test_streaming_is_refused_as_torchaudio(proto):
    ours, theirs, cfg = _pair(proto)
    sources, lengths, _, _ = _inputs(cfg)
    with pytest.raises(RuntimeError, match="Conformer does not support streaming inference"):
        theirs.transcribe_streaming(sources, lengths, None)
    with pytest.raises(RuntimeError, match="Conformer does not support streaming inference.*use RNNT.transcribe"):
        ours.transcribe_streaming(sources, lengths, None)


def _assert_same_gradients(ours, theirs, *extra, dtype=torch.float64):
    """Train mode, same weights: gradients of the sources and of every parameter through the logits (and
    the TCPGen distribution and p_gen where given) equal; ``extra``: the biasing model's (tries, epoch)."""
    ours.load_state_dict(theirs.state_dict())
    sources, lengths, targets, target_lengths = _inputs(SMALL)
    grads = []
    for model in (ours.to(dtype).train(), theirs.to(dtype).train()):
        model.zero_grad()
        x = sources.to(dtype).requires_grad_(True)
        out = model(x, lengths, targets, target_lengths, *extra)
        loss = (out[0] * torch.linspace(-1, 1, out[0].numel(), dtype=dtype).reshape(out[0].shape)).sum()
        if len(out) > 4 and out[4] is not None:
            loss = loss + (out[4] * torch.linspace(0, 1, out[4].numel(), dtype=dtype).reshape(out[4].shape)).sum()
            loss = loss + out[5].sum()
        loss.backward()
        grads.append([x.grad] + [p.grad for p in model.parameters()])
    assert len(grads[0]) == len(grads[1])
    for a, b in zip(*grads):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b, **tolerance_for(dtype))


def test_gradients_match_torchaudio(proto):
    ours, theirs, _ = _pair(proto)
    _assert_same_gradients(ours, theirs)


def test_train_mode_dropout_matches_under_same_seed(proto):
    cfg = dict(SMALL, conformer_dropout=0.2, lstm_dropout=0.3)
    ours, theirs = conformer_rnnt_model(**cfg), proto.conformer_rnnt_model(**cfg)
    ours.load_state_dict(theirs.state_dict())
    inputs = _inputs(cfg)
    outs = []
    for model in (ours.train(), theirs.train()):
        torch.manual_seed(11)
        outs.append(model(*inputs)[0])
    torch.testing.assert_close(outs[0], outs[1], **tol("float32"))
    with torch.no_grad():
        assert not torch.allclose(ours.eval()(*inputs)[0], outs[0])


def test_script_and_round_trips(proto):
    ours, theirs, cfg = _pair(proto)
    ours.eval()
    torch.jit.script(theirs)  # torchaudio's scripts: so must ours
    scripted = torch.jit.script(ours)
    inputs = _inputs(cfg)
    with torch.no_grad():
        torch.testing.assert_close(scripted(*inputs), ours(*inputs), **tol("float32"))
        torch.testing.assert_close(scripted.transcribe(*inputs[:2]), ours.transcribe(*inputs[:2]), **tol("float32"))
    with pytest.raises(torch.jit.Error, match="Conformer does not support streaming inference"):
        scripted.transcribe_streaming(*inputs[:2], None)
    assert_round_trips(ours, list(inputs))


def test_foreign_state_dicts_rejected():
    model = conformer_rnnt_model(**SMALL)
    assert_foreign_state_dicts_rejected(model, torch.nn.Linear(3, 4), conformer_rnnt_model(**dict(SMALL, encoding_dim=16)))
    biased = conformer_rnnt_biasing(**_biasing_cfg("tcpgen_deep"))
    other_size = conformer_rnnt_biasing(**_biasing_cfg("tcpgen_deep", attndim=4))
    assert_foreign_state_dicts_rejected(biased, torch.nn.Linear(3, 4), other_size)
    # A plain Conformer RNN-T checkpoint lacks the TCPGen weights: refused, naming them.
    with pytest.raises(RuntimeError, match=r"state_dict for RNNTBiasing:(.|\n)*Missing key\(s\).*Kproj.weight"):
        biased.load_state_dict(model.state_dict())


@pytest.mark.parametrize("scripted", [False, True])
def test_bad_input_shape(scripted):
    model = conformer_rnnt_model(**SMALL)
    model = torch.jit.script(model) if scripted else model
    errors = (ValueError, torch.jit.Error)
    with pytest.raises(errors, match=r"RNNT.transcribe expects sources of shape \(batch, frame, 6\); got shape \[2, 9, 5\]"):
        model.transcribe(torch.randn(2, 9, 5), torch.tensor([9, 9]))
    with pytest.raises(errors, match=r"RNNT.transcribe expects sources of shape .*got shape \[9, 6\]"):
        model(torch.randn(9, 6), torch.tensor([9]), torch.zeros(1, 2, dtype=torch.long), torch.tensor([2]))
    with pytest.raises(errors, match=r"RNNT.predict expects targets of shape \(batch, token\); got shape \[3\]"):
        model.predict(torch.zeros(3, dtype=torch.long), torch.tensor([3]), None)


def test_bad_arguments(proto):
    with pytest.raises(ValueError, match="activation must be 'relu' or 'tanh'; got 'gelu'"):
        conformer_rnnt_model(**dict(SMALL, joiner_activation="gelu"))
    with pytest.raises(ValueError, match="activation must be 'relu' or 'tanh'; got 'gelu'"):
        conformer_rnnt_biasing(**_biasing_cfg("tcpgen_deep", joiner_activation="gelu"))
    # No charlist, or one without the blank: torchaudio fails on "<blank>" not in list; ours says what it needs.
    with pytest.raises(ValueError, match=r"charlist must list the word pieces .*'<blank>'; got 0 pieces"):
        conformer_rnnt_biasing_base()
    with pytest.raises(ValueError, match="<blank>"):
        proto.conformer_rnnt_biasing_base()
    with pytest.raises(ValueError, match=r"got 6 pieces without '<blank>'"):
        conformer_rnnt_biasing(**dict(_biasing_cfg("tcpgen_deep"), charlist=CHARS[:-1]))


# ---- TCPGen biasing model ----


def _biasing_call(tries, epoch):
    return lambda m, *xs: m(*xs, tries, epoch)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("mode", BIASING_MODES)
def test_biasing_forward_matches_torchaudio(proto, mode, dtype):
    ours, theirs = _biasing_pair(proto, mode)
    inputs = list(_inputs(SMALL))
    if mode == "db_average" and dtype == torch.float64:
        # torchaudio's DB-RNNT casts its mask to float32 and fails against float64 weights; ours keeps the dtype.
        with pytest.raises(RuntimeError):
            assert_same_outputs(ours, theirs, inputs, dtype, call=_biasing_call(make_trie(TRIE_WORDS), 2))
        ours.eval()(*[x.double() if x.is_floating_point() else x for x in inputs], make_trie(TRIE_WORDS), 2)
        return
    got = assert_same_outputs(ours, theirs, inputs, dtype, call=_biasing_call(make_trie(TRIE_WORDS), 2))
    logits, _, _, _, tcpgen_dist, p_gen = got
    assert logits.shape == (3, 10, 5, 7)
    if mode.startswith("tcpgen"):
        assert tcpgen_dist.shape == (3, 10, 5, len(CHARS) + 1) and p_gen.shape == (3, 10, 5, 1)
        # Pieces the trie does not allow get no probability (a dead end masks all: uniform there); p_gen is zero
        # where the pieces left the trie.
        masks, _ = ours.get_tcpgen_step_masks(inputs[2], make_trie(TRIE_WORDS))
        has_valid = (masks == 0).any(-1)
        assert has_valid.any() and not has_valid.all()
        blocked = masks.bool() & has_valid[..., None]
        assert (tcpgen_dist * blocked[:, None]).abs().max() == 0
        assert (p_gen == 0).any() and (p_gen > 0).any()
    else:
        assert tcpgen_dist is None and p_gen is None
    # Before epoch tcpsche, or without a trie, no TCPGen: plain RNN-T outputs (equal to torchaudio's too).
    for tries, epoch in ((make_trie(TRIE_WORDS), 1), ([], 2)):
        before = assert_same_outputs(ours, theirs, inputs, dtype, call=_biasing_call(tries, epoch))
        assert before[4] is None and before[5] is None


def test_biasing_step_masks_match_torchaudio(proto):
    ours, theirs = _biasing_pair(proto, "tcpgen_deep")
    trie = make_trie(TRIE_WORDS)
    # Every kind of step: blank, word-closing pieces that end or continue an entry, pieces off the trie.
    sequences = torch.tensor(
        [[BLANK, 2, 3, 0, 1, 4], [BLANK, 0, 5, 1, BLANK, 2], [BLANK, 5, 5, 1, 2, 4], [BLANK, 3, 0, 0, 1, 5]]
    )
    for method in ("get_tcpgen_step_masks", "get_tcpgen_step_masks_prefix"):
        got = getattr(ours, method)(sequences, trie)
        want = getattr(theirs, method)(sequences, trie)
        for a, b in zip(got, want):
            assert a.dtype == b.dtype and torch.equal(a, b)
    masks, off_trie = ours.get_tcpgen_step_masks(sequences, trie)
    assert masks.shape == (4, 6, len(CHARS) + 1) and (masks == 0).any() and off_trie.any()
    # Step by step equals torchaudio's, node for node.
    for sequence in sequences.tolist():
        a = b = trie
        for token in sequence:
            a, b = ours.get_tcpgen_step(token, a, trie), theirs.get_tcpgen_step(token, b, trie)
            assert a == b


def test_biasing_gradients_match_torchaudio(proto):
    # Unused parameters get zero gradients before epoch tcpsche (not None), as torchaudio's.
    for mode, epoch in (("tcpgen_deep", 2), ("tcpgen_shallow", 2), ("db_average", 2), ("tcpgen_deep", 0)):
        ours, theirs = _biasing_pair(proto, mode)
        # torchaudio's DB-RNNT only runs in float32 (see test_biasing_forward_matches_torchaudio).
        dtype = torch.float32 if mode == "db_average" else torch.float64
        _assert_same_gradients(ours, theirs, make_trie(TRIE_WORDS), epoch, dtype=dtype)
        if epoch == 0:
            assert torch.equal(ours.Kproj.weight.grad, torch.zeros_like(ours.Kproj.weight))


def test_biasing_train_mode_dropout_matches_under_same_seed(proto):
    # conformer_dropout is also TCPGen's dropout (on the keys and on hptr).
    ours, theirs = _biasing_pair(proto, "tcpgen_deep", conformer_dropout=0.2)
    ours.load_state_dict(theirs.state_dict())
    inputs = _inputs(SMALL)
    outs = []
    for model in (ours.train(), theirs.train()):
        torch.manual_seed(11)
        outs.append(model(*inputs, make_trie(TRIE_WORDS), 2))
    for a, b in zip(outs[0], outs[1]):
        torch.testing.assert_close(a, b, **tol("float32"))


def test_biasing_round_trips(proto):
    ours, _ = _biasing_pair(proto, "tcpgen_deep")
    ours.eval()
    inputs = _inputs(SMALL)
    with torch.no_grad():
        want = ours(*inputs, make_trie(TRIE_WORDS), 2)
        buffer = io.BytesIO()
        torch.save(ours, buffer)
        buffer.seek(0)
        saved = torch.load(buffer, weights_only=False)
        for other in (pickle.loads(pickle.dumps(ours)), copy.deepcopy(ours), saved):
            torch.testing.assert_close(other(*inputs, make_trie(TRIE_WORDS), 2), want, rtol=0, atol=0)
    assert other.char_list == CHARS and other.blank_idx == BLANK


def test_registered():
    import torchsound.prototype.models as models
    from torchsound.prototype.models import rnnt

    for name in ("conformer_rnnt_model", "conformer_rnnt_base", "conformer_rnnt_biasing", "conformer_rnnt_biasing_base"):
        assert getattr(models, name) is getattr(rnnt, name)
        assert name in dir(models)
