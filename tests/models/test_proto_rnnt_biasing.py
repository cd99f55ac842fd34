"""Prototype RNNTBeamSearchBiasing against torchaudio 2.8's own prototype decoder (the oracle) on the same random
TCPGen Conformer RNN-T and biasing trie."""

import copy
import importlib
import pickle
import subprocess
import sys
import typing

import pytest
import torch

from _model_oracle import tolerance_for
from test_proto_conformer_rnnt import BLANK, CHARS, SMALL, TRIE_WORDS, make_trie
from torchsound.models import RNNTBeamSearch
from torchsound.models.rnnt import _EmformerEncoder, _Predictor
from torchsound.prototype.models import Hypothesis, RNNTBeamSearchBiasing, conformer_rnnt_biasing, conformer_rnnt_model
from torchsound.prototype.models.rnnt import RNNTBiasing, _JoinerBiasing

pytestmark = pytest.mark.filterwarnings("ignore:.*has been deprecated:UserWarning")

BIASING_CFG = dict(SMALL, attndim=5, charlist=CHARS, tcpsche=0, biasing=True, deepbiasing=True, DBaverage=False)


@pytest.fixture
def proto(torchaudio28):
    return importlib.import_module("torchaudio.prototype.models")


def _fewer_blanks(*models):
    # Random weights mostly emit blanks; a lower blank logit gives hypotheses with many pieces.
    for model in models:
        with torch.no_grad():
            model.joiner.linear.bias[BLANK] -= 2.0


def _pair(proto, dtype=torch.float32, **extra):
    cfg = dict(BIASING_CFG, **extra)
    ours, theirs = conformer_rnnt_biasing(**cfg), proto.conformer_rnnt_biasing(**cfg)
    ours.load_state_dict(theirs.state_dict())
    _fewer_blanks(ours, theirs)
    return ours.to(dtype).eval(), theirs.to(dtype).eval()


def _input(dtype=torch.float32, frames=16):
    torch.manual_seed(5)
    return torch.randn(1, frames, SMALL["input_dim"], dtype=dtype)


def assert_same_hypotheses(got, want, dtype):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert len(a) == len(b) == 5
        assert a[0] == b[0]  # tokens
        torch.testing.assert_close(a[1], b[1], **tolerance_for(dtype))  # predictor output
        torch.testing.assert_close(a[2], b[2], **tolerance_for(dtype))  # predictor state
        assert isinstance(a[3], float)
        torch.testing.assert_close(a[3], b[3], **tolerance_for(dtype))  # score
        assert a[4] == b[4]  # trie node


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("biasing", [True, False], ids=["biased", "unbiased"])
@pytest.mark.parametrize("beam_width", [1, 3])
def test_forward_matches_torchaudio(proto, dtype, biasing, beam_width):
    ours, theirs = _pair(proto, dtype)
    trie = make_trie(TRIE_WORDS)
    x = _input(dtype)
    with torch.no_grad():
        got = RNNTBeamSearchBiasing(ours, BLANK, trie=trie, biasing=biasing)(x, torch.tensor([16]), beam_width)
        want = proto.RNNTBeamSearchBiasing(theirs, BLANK, trie=trie, biasing=biasing)(x, torch.tensor([16]), beam_width)
    assert_same_hypotheses(got, want, dtype)
    assert len(got) == beam_width and len(got[0][0]) > 10
    assert got[0][1].dtype == dtype


def test_biasing_steers_towards_the_trie(proto):
    ours, _ = _pair(proto)
    trie = make_trie(TRIE_WORDS)
    with torch.no_grad():
        biased = RNNTBeamSearchBiasing(ours, BLANK, trie=trie, biasing=True)(_input(), torch.tensor([16]), 1)[0]
        plain = RNNTBeamSearchBiasing(ours, BLANK, trie=trie, biasing=False)(_input(), torch.tensor([16]), 1)[0]
    assert biased[0] != plain[0]
    # The biased hypothesis follows the trie: its last node is the one its pieces lead to.
    node = trie
    for token in biased[0][1:]:
        node = ours.get_tcpgen_step(token, node, trie)
    assert biased[4] == node
    assert plain[4] is trie


def test_temperature_sort_key_and_step_max_tokens_match_torchaudio(proto):
    ours, theirs = _pair(proto, torch.float64)
    trie = make_trie(TRIE_WORDS)

    def by_length(hypo):
        return hypo[3] + 0.1 * len(hypo[0])

    options = dict(temperature=1.7, hypo_sort_key=by_length, step_max_tokens=1, trie=trie, biasing=True)
    x = _input(torch.float64)
    with torch.no_grad():
        got = RNNTBeamSearchBiasing(ours, BLANK, **options)(x, torch.tensor(16), 2)
        want = proto.RNNTBeamSearchBiasing(theirs, BLANK, **options)(x, torch.tensor([16]), 2)
    assert_same_hypotheses(got, want, torch.float64)


def _streaming_pair(proto, torchaudio28):
    """The biasing RNN-T around an Emformer transcriber (streaming), ours and torchaudio's, same weights."""
    encoder = dict(
        input_dim=6, output_dim=12, segment_length=8, right_context_length=4, time_reduction_input_dim=4,
        time_reduction_stride=4, transformer_num_heads=2, transformer_ffn_dim=10, transformer_num_layers=2,
        transformer_left_context_length=3, transformer_tanh_on_mem=True,
    )
    predictor = dict(symbol_embedding_dim=8, num_lstm_layers=2, lstm_hidden_dim=8, lstm_layer_norm=True)
    rest = (5, True, True, 8, 12, CHARS, 12, 0.0, 0, False)
    ours = RNNTBiasing(_EmformerEncoder(**encoder), _Predictor(7, 12, **predictor), _JoinerBiasing(12, 7, "relu", True, True, 5), *rest)
    ta = torchaudio28.models.rnnt
    theirs = importlib.import_module("torchaudio.prototype.models.rnnt").RNNTBiasing(
        ta._EmformerEncoder(**encoder), ta._Predictor(7, 12, **predictor),
        importlib.import_module("torchaudio.prototype.models.rnnt")._JoinerBiasing(12, 7, "relu", True, True, 5), *rest
    )
    ours.load_state_dict(theirs.state_dict(), strict=True)
    _fewer_blanks(ours, theirs)
    return ours.eval(), theirs.eval()


@pytest.mark.parametrize("biasing", [True, False], ids=["biased", "unbiased"])
def test_infer_streaming_matches_torchaudio(proto, torchaudio28, biasing):
    ours, theirs = _streaming_pair(proto, torchaudio28)
    trie = make_trie(TRIE_WORDS)
    searches = [cls(model, BLANK, trie=trie, biasing=biasing) for cls, model in
                ((RNNTBeamSearchBiasing, ours), (proto.RNNTBeamSearchBiasing, theirs))]
    torch.manual_seed(7)
    stream = torch.randn(4 * 8 + 4, 6)
    results = []
    for search in searches:
        state, hypo, steps = None, None, []
        for start in range(0, 4 * 8, 8):
            with torch.no_grad():
                hypos, state = search.infer(stream[start : start + 12], torch.tensor(12), 2, state, hypo)
            hypo = hypos[0]
            steps.append((hypos, [[t.clone() for t in layer] for layer in state]))
        results.append(steps)
    for (got, got_state), (want, want_state) in zip(*results):
        assert_same_hypotheses(got, want, torch.float32)
        torch.testing.assert_close(got_state, want_state, **tolerance_for(torch.float32))
    assert sum(len(h[0][0]) for h, _ in results[0]) > 8


def test_plain_rnnt_without_biasing_equals_rnntbeamsearch(torchaudio28):
    # torchaudio's RNNTBeamSearchBiasing passes hptr= to any model's join, so it fails on a plain RNNT; ours
    # decodes it, giving torchaudio's RNNTBeamSearch's hypotheses (tokens, predictor outputs, states, scores).
    model = conformer_rnnt_model(**SMALL)
    _fewer_blanks(model)
    model.eval()
    theirs = torchaudio28.models.RNNTBeamSearch(model, BLANK)
    x = _input()
    with torch.no_grad():
        got = RNNTBeamSearchBiasing(model, BLANK)(x, torch.tensor([16]), 3)
        want = theirs(x, torch.tensor([16]), 3)
        ours_plain = RNNTBeamSearch(model, BLANK)(x, torch.tensor([16]), 3)
    assert len(got) == len(want) == 3
    for a, b, c in zip(got, want, ours_plain):
        assert a[0] == b[0] == c[0]
        torch.testing.assert_close(a[1:4], tuple(b)[1:4], **tolerance_for(torch.float32))
        assert a[4] == []
    assert len(got[0][0]) > 5


def test_round_trips_give_the_same_hypotheses(proto):
    ours, _ = _pair(proto)
    search = RNNTBeamSearchBiasing(ours, BLANK, trie=make_trie(TRIE_WORDS), biasing=True)
    x = _input()
    with torch.no_grad():
        want = search(x, torch.tensor([16]), 2)
        for other in (pickle.loads(pickle.dumps(search)), copy.deepcopy(search)):
            assert_same_hypotheses(other(x, torch.tensor([16]), 2), want, torch.float32)


def test_bad_arguments_and_shapes(proto):
    ours, _ = _pair(proto)
    trie = make_trie(TRIE_WORDS)
    with pytest.raises(ValueError, match=r"RNNTBeamSearchBiasing: biasing=True needs the trie's root node; got None"):
        RNNTBeamSearchBiasing(ours, BLANK, biasing=True)
    plain = conformer_rnnt_model(**SMALL)
    with pytest.raises(ValueError, match=r"biasing=True needs a model with TCPGen .*; got RNNT without it"):
        RNNTBeamSearchBiasing(plain, BLANK, trie=trie, biasing=True)
    no_tcpgen = conformer_rnnt_biasing(**dict(BIASING_CFG, DBaverage=True))
    with pytest.raises(ValueError, match=r"got RNNTBiasing without it"):
        RNNTBeamSearchBiasing(no_tcpgen, BLANK, trie=trie, biasing=True)
    search = RNNTBeamSearchBiasing(ours, BLANK, trie=trie, biasing=True)
    with pytest.raises(ValueError, match=r"input must be of shape \(T, D\) or \(1, T, D\); got shape \[2, 24, 6\]"):
        search(torch.randn(2, 24, 6), torch.tensor([16]), 2)
    with pytest.raises(ValueError, match=r"length must be of shape \(\) or \(1,\); got shape \[2\]"):
        search(torch.randn(24, 6), torch.tensor([24, 24]), 2)
    for bad in (torch.randn(2, 24, 6),):
        with pytest.raises(ValueError, match="input must be of shape"):  # torchaudio refuses it too
            proto.RNNTBeamSearchBiasing(ours, BLANK, trie=trie, biasing=True)(bad, torch.tensor([16]), 2)
    # The Conformer transcriber does not stream.
    with pytest.raises(RuntimeError, match="Conformer does not support streaming inference"):
        search.infer(torch.randn(24, 6), torch.tensor(24), 2)


def test_hypothesis_and_registration(proto):
    import torchsound.prototype.models as models
    from torchsound.prototype.models import rnnt_decoder

    oracle = importlib.import_module("torchaudio.prototype.models.rnnt_decoder").Hypothesis
    assert typing.get_args(Hypothesis) == typing.get_args(oracle)
    assert models.RNNTBeamSearchBiasing is rnnt_decoder.RNNTBeamSearchBiasing
    assert models.Hypothesis is rnnt_decoder.Hypothesis
    assert {"RNNTBeamSearchBiasing", "Hypothesis"} <= set(dir(models))


def test_reached_through_the_torchaudio_alias(tmp_path):
    # A fresh process (the oracle is not on its path): torchaudio 2.8 prototype imports give torchsound's objects.
    code = """
import torchsound.compat
torchsound.compat.install()
from torchaudio.prototype.models import ConvEmformer, Hypothesis, RNNTBeamSearchBiasing, conformer_rnnt_biasing_base
from torchaudio.prototype.models.rnnt import TrieNode
import torchaudio.prototype.models.conv_emformer as conv_emformer
print(RNNTBeamSearchBiasing.__module__, conformer_rnnt_biasing_base.__module__, conv_emformer.ConvEmformer is ConvEmformer)
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "torchsound.prototype.models.rnnt_decoder", "torchsound.prototype.models.rnnt", "True"
    ]
