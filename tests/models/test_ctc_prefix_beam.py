"""The PyTorch CTC beam search: cuda_ctc_decoder (prefix beam search, any device) and ctc_decoder(backend="torch").

References: an exhaustive sum (and max) over all alignments of a tiny vocabulary, a direct dictionary-based
prefix beam search written here, flashlight-text's lexicon-free decoder (through torchaudio 2.8's ctc_decoder),
and greedy decoding.

What a score means: cuda_ctc_decoder's is log P(prefix) summed over the alignments kept in the beam (skipped
frames add nothing); with a beam holding every prefix it is the exact CTC probability of the prefix.
ctc_decoder's is the best alignment's score (log_add=False) or the log-sum over kept alignments (log_add=True).
"""

from __future__ import annotations

import importlib
import itertools
import math
from collections import defaultdict

import pytest
import torch

from conftest import tol
from torchsound.models.decoder import CUCTCDecoder, CUCTCHypothesis, ctc_decoder, cuda_ctc_decoder

NEG = -math.inf


def _log_probs(batch, frames, tokens, seed=0, scale=1.5, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(batch, frames, tokens, generator=g, dtype=torch.float64)).log_softmax(-1).to(dtype)


def _lae(a, b):
    if a == NEG:
        return b
    if b == NEG:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def _collapse(path, blank=0):
    out, prev = [], blank
    for c in path:
        if c != blank and c != prev:
            out.append(c)
        prev = c
    return tuple(out)


def _exhaustive(lp, blank=0, reduce="sum"):
    """{prefix: log of the summed (or max) probability of its alignments}, over all V**T alignments."""
    T, V = lp.shape
    scores = {}
    for path in itertools.product(range(V), repeat=T):
        s = sum(float(lp[t, c]) for t, c in enumerate(path))
        p = _collapse(path, blank)
        old = scores.get(p, NEG)
        scores[p] = _lae(old, s) if reduce == "sum" else max(old, s)
    return scores


def _reference_prefix_search(lp, beam, blank=0, skip=NEG):
    """A direct prefix beam search: prefix -> (log P ending in blank, log P ending in its last token).

    Frames with blank log-probability >= ``skip`` are a certain blank that scores nothing."""
    T, V = lp.shape
    beams = {(): (0.0, NEG)}
    for t in range(T):
        row = [float(x) for x in lp[t]]
        if skip != NEG and row[blank] >= skip:
            beams = {p: (_lae(pb, pn), NEG) for p, (pb, pn) in beams.items()}
            continue
        nxt = defaultdict(lambda: [NEG, NEG])
        for p, (pb, pn) in beams.items():
            total = _lae(pb, pn)
            nxt[p][0] = _lae(nxt[p][0], total + row[blank])
            if p:
                nxt[p][1] = _lae(nxt[p][1], pn + row[p[-1]])
            for c in range(V):
                if c == blank:
                    continue
                q = p + (c,)
                via = pb if p and c == p[-1] else total  # a repeat needs a blank in between
                nxt[q][1] = _lae(nxt[q][1], via + row[c])
        ranked = sorted(nxt.items(), key=lambda kv: -_lae(*kv[1]))[:beam]
        beams = {p: tuple(v) for p, v in ranked if _lae(*v) > NEG}
    return sorted(((p, _lae(*v)) for p, v in beams.items()), key=lambda x: -x[1])


def _close(a, b, name="float64"):
    torch.testing.assert_close(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64), **tol(name))


def _wide(vocab, nbest, beam):
    """A cuda_ctc_decoder whose beam may exceed the vocabulary (torchaudio caps it at len(vocab))."""
    dec = cuda_ctc_decoder(vocab, nbest=nbest, beam_size=beam, blank_skip_threshold=1.0)
    dec.beam_size = beam
    return dec


def test_prefix_search_equals_exhaustive_sum():
    vocab = ["-", "a", "b"]
    lp = _log_probs(2, 6, 3, seed=1)
    truth = [_exhaustive(lp[b]) for b in range(2)]
    n = max(len(t) for t in truth)
    got = _wide(vocab, nbest=n, beam=n)(lp, torch.tensor([6, 6], dtype=torch.int32))
    for hyps, exact in zip(got, truth):
        assert len(hyps) == len(exact)
        assert len({tuple(h.tokens) for h in hyps}) == len(hyps)  # distinct
        assert all(x.score >= y.score for x, y in zip(hyps, hyps[1:]))  # sorted
        for h in hyps:
            _close(h.score, exact[tuple(h.tokens)])
            assert h.words == [vocab[i] for i in h.tokens]
        # The probabilities of all prefixes sum to one.
        _close(torch.tensor([h.score for h in hyps], dtype=torch.float64).logsumexp(0).item(), 0.0)


@pytest.mark.parametrize("log_add,reduce", [(True, "sum"), (False, "max")])
def test_ctc_decoder_torch_equals_exhaustive(log_add, reduce):
    # With silence = blank, hypotheses are bare prefixes; a beam holding every state makes the search exhaustive.
    vocab = ["-", "a", "b"]
    lp = _log_probs(1, 6, 3, seed=2)
    exact = _exhaustive(lp[0], reduce=reduce)
    dec = ctc_decoder(
        None, vocab, sil_token="-", nbest=1000, beam_size=1000, beam_threshold=1e9, log_add=log_add, backend="torch"
    )
    hyps = dec(lp.float())[0]
    assert len(hyps) == len(exact)
    for h in hyps:
        prefix = tuple(h.tokens.tolist())
        _close(h.score, exact[prefix], "float32")  # float32 emissions
    assert all(x.score >= y.score for x, y in zip(hyps, hyps[1:]))


@pytest.mark.parametrize("beam", [1, 2, 3, 5])
@pytest.mark.parametrize("threshold", [1.0, 0.6, 0.3])
def test_prefix_search_equals_direct_implementation(beam, threshold):
    vocab = ["-", "a", "b", "c", "d"]
    lp = _log_probs(3, 25, 5, seed=3, scale=2.0)
    lp[:, :, 0] += 1.0  # more blank, so that some frames pass the skip threshold
    lp = lp.log_softmax(-1)
    lengths = torch.tensor([25, 13, 0], dtype=torch.int32)
    dec = cuda_ctc_decoder(vocab, nbest=beam, beam_size=beam, blank_skip_threshold=threshold)
    got = dec(lp, lengths)
    skip = math.log(threshold)
    for b in range(3):
        want = _reference_prefix_search(lp[b, : lengths[b]], beam, skip=skip)
        assert [tuple(h.tokens) for h in got[b]] == [p for p, _ in want]
        for h, (_, score) in zip(got[b], want):
            _close(h.score, score)
            assert isinstance(h, CUCTCHypothesis)


def test_blank_skip_is_a_certain_blank():
    # torchaudio: frames with log_prob(blank) > log(threshold) are skipped. Same as replacing them by a
    # certain blank (log-probability 0) and decoding without skipping.
    vocab = ["-", "a", "b", "c"]
    lp = _log_probs(2, 40, 4, seed=4, scale=2.5)
    lens = torch.tensor([40, 40], dtype=torch.int32)
    skipped = lp[..., 0] >= math.log(0.8)
    assert skipped.any() and not skipped.all()
    certain = torch.full((4,), NEG, dtype=lp.dtype)
    certain[0] = 0.0
    replaced = torch.where(skipped[..., None], certain, lp)
    a = cuda_ctc_decoder(vocab, nbest=3, beam_size=4, blank_skip_threshold=0.8)(lp, lens)
    b = cuda_ctc_decoder(vocab, nbest=3, beam_size=4, blank_skip_threshold=1.0)(replaced, lens)
    assert [[h.tokens for h in x] for x in a] == [[h.tokens for h in x] for x in b]
    for x, y in zip(a, b):
        for h, k in zip(x, y):
            _close(h.score, k.score)
    # Threshold 0 skips every frame: only the empty prefix remains, with score 0.
    empty = cuda_ctc_decoder(vocab, nbest=3, beam_size=4, blank_skip_threshold=0.0)(lp, lens)
    assert [[(h.tokens, h.score) for h in x] for x in empty] == [[([], 0.0)], [([], 0.0)]]


def test_prefix_search_equals_flashlight_without_pruning(torchaudio28):
    # With beams holding every hypothesis, flashlight's log_add search also sums every alignment of a prefix.
    oracle = importlib.import_module("torchaudio.models.decoder")
    vocab = ["-", "a", "b"]
    lp = _log_probs(2, 8, 3, seed=5).float()
    lens = torch.tensor([8, 5], dtype=torch.int32)
    ref = oracle.ctc_decoder(None, vocab, sil_token="-", nbest=20, beam_size=2000, beam_threshold=1e9, log_add=True)
    want = ref(lp, lens)
    got = _wide(vocab, nbest=20, beam=600)(lp, lens)
    for x, y in zip(got, want):
        assert [h.tokens for h in x] == [h.tokens.tolist() for h in y]
        for h, r in zip(x, y):
            _close(h.score, r.score, "float32")


def test_peaked_emissions_agree_with_flashlight(torchaudio28):
    # A CTC model's typical output (mostly confident blanks and tokens): both searches find the same best prefix.
    # Scores differ under pruning (a prefix beam keeps more alignments than a beam of (prefix, blank?) states;
    # they agree without pruning, test_prefix_search_equals_flashlight_without_pruning); the order is stable.
    oracle = importlib.import_module("torchaudio.models.decoder")
    vocab = ["-", "|"] + [chr(ord("a") + i) for i in range(26)] + ["'"]
    g = torch.Generator().manual_seed(6)
    labels = torch.randint(0, 29, (2, 150), generator=g)
    labels[torch.rand(2, 150, generator=g) < 0.6] = 0
    logits = torch.randn(2, 150, 29, generator=g) + 6.0 * torch.nn.functional.one_hot(labels, 29)
    lp = logits.log_softmax(-1)
    want = oracle.ctc_decoder(None, vocab, sil_token="-", beam_size=20, log_add=True)(lp)
    got = cuda_ctc_decoder(vocab, beam_size=20, blank_skip_threshold=1.0)(
        lp, torch.tensor([150, 150], dtype=torch.int32)
    )
    for x, y in zip(got, want):
        assert x[0].tokens == y[0].tokens.tolist()


@pytest.mark.parametrize("backend_kw", [dict(backend="torch"), dict()], ids=["torch", "flashlight"])
def test_beam_one_is_greedy(backend_kw):
    # Keeping one hypothesis with max merging follows the best label of each frame.
    vocab = ["-", "|", "a", "b", "c"]
    lp = _log_probs(2, 60, 5, seed=7, scale=2.0).float()
    got = ctc_decoder(None, vocab, beam_size=1, **backend_kw)(lp)
    for b in range(2):
        path = lp[b].argmax(-1).tolist()
        full = [1] + path + [1]  # the search starts and ends on silence
        tokens = [c for i, c in enumerate(full) if c != 0 and (i == 0 or c != full[i - 1])]
        assert got[b][0].tokens.tolist() == tokens
        _close(got[b][0].score, lp[b].max(-1).values.double().sum().item(), "float32")


def test_lengths_equal_truncated_items():
    vocab = ["-", "a", "b", "c"]
    lp = _log_probs(3, 30, 4, seed=8, scale=2.0)
    lens = torch.tensor([30, 17, 4], dtype=torch.int32)
    dec = cuda_ctc_decoder(vocab, nbest=3, beam_size=4, blank_skip_threshold=0.9)
    batch = dec(lp, lens)
    for b in range(3):
        alone = dec(lp[b : b + 1, : lens[b]], lens[b : b + 1])[0]
        assert [(h.tokens, h.score) for h in alone] == [(h.tokens, h.score) for h in batch[b]]


def test_float32_close_to_float64_and_tokens_file(tmp_path):
    path = tmp_path / "tokens.txt"
    path.write_text("<blk> 0\na 1\nb 2\nc 3\n")  # first field of each line
    dec = cuda_ctc_decoder(str(path), nbest=2, beam_size=4)
    assert dec.vocab_list == ["<blk>", "a", "b", "c"] and dec.blank_id == 0 and dec.beam_size == 4
    lp = _log_probs(2, 30, 4, seed=9, scale=2.0)
    lens = torch.tensor([30, 30], dtype=torch.int32)
    a, b = dec(lp, lens), dec(lp.float(), lens)
    assert [[h.tokens for h in x] for x in a] == [[h.tokens for h in x] for x in b]
    _close([h.score for x in a for h in x], [h.score for x in b for h in x], "float32")
    assert a[0][0].words == ["<blk>", "a", "b", "c"][0:0] + [dec.vocab_list[i] for i in a[0][0].tokens]


def test_beam_capped_at_vocabulary_like_torchaudio():
    assert cuda_ctc_decoder(["-", "a", "b"], beam_size=10).beam_size == 3
    assert CUCTCDecoder(["-", "a", "b"], beam_size=2).beam_size == 2


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_equals_cpu():
    vocab = ["-", "a", "b", "c", "d"]
    lp = _log_probs(3, 50, 5, seed=10, scale=2.0, dtype=torch.float32)
    lens = torch.tensor([50, 31, 7], dtype=torch.int32)
    dec = cuda_ctc_decoder(vocab, nbest=3, beam_size=5, blank_skip_threshold=0.9)
    cpu, gpu = dec(lp, lens), dec(lp.cuda(), lens.cuda())
    assert [[h.tokens for h in x] for x in cpu] == [[h.tokens for h in x] for x in gpu]
    _close([h.score for x in cpu for h in x], [h.score for x in gpu for h in x], "float32")
    stream = torch.cuda.Stream()
    dec = CUCTCDecoder(vocab, beam_size=5, nbest=3, blank_skip_threshold=0.9, cuda_stream=stream)
    assert [[h.tokens for h in x] for x in dec(lp.cuda(), lens.cuda())] == [[h.tokens for h in x] for x in cpu]


def test_bad_input(tmp_path):
    dec = cuda_ctc_decoder(["-", "a", "b"])
    lp = _log_probs(2, 10, 3)
    lens = torch.tensor([10, 10], dtype=torch.int32)
    with pytest.raises(ValueError, match=r"log_prob must be 3D .*got shape \(10, 3\)"):
        dec(lp[0], lens)
    with pytest.raises(TypeError, match="log_prob must be a floating-point tensor"):
        dec(lp.long(), lens)
    with pytest.raises(ValueError, match=r"log_prob must have 3 tokens .*got 2"):
        dec(lp[..., :2], lens)
    with pytest.raises(TypeError, match="encoder_out_lens must be an integer tensor"):
        dec(lp, lens.float())
    with pytest.raises(ValueError, match=r"encoder_out_lens must have shape \(2,\)"):
        dec(lp, lens[:1])
    with pytest.raises(ValueError, match=r"encoder_out_lens must lie in \[0, 10\]"):
        dec(lp, torch.tensor([11, 3]))
    with pytest.raises(ValueError, match="blank_skip_threshold must be between 0 and 1, got 1.5"):
        cuda_ctc_decoder(["-", "a"], blank_skip_threshold=1.5)
    with pytest.raises(ValueError, match="beam_size must be a positive int, got 0"):
        cuda_ctc_decoder(["-", "a"], beam_size=0)
    with pytest.raises(ValueError, match="blank_id must be an index into vocab_list"):
        CUCTCDecoder(["-", "a"], blank_id=2)
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        cuda_ctc_decoder(str(tmp_path / "nope.txt"))
