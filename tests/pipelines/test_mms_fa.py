"""MMS_FA against torchaudio 2.8: the wrapped model (waveform layer norm, log-softmax, star column) on random
weights in the published layout, the tokenizer, and the aligner's word spans."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from _w2v_fixtures import oracle_loader, random_state_dict, shrink, write_published
from conftest import tol

import torchsound.pipelines as pipelines
from torchsound import functional as F
from torchsound import models

TRANSCRIPT = "i had that curiosity beside me at this moment".split()


@pytest.fixture
def small_mms(torch_home):
    """MMS_FA with a small architecture and random weights written where the bundle looks (published layout)."""
    bundle = shrink(pipelines.MMS_FA)
    state = random_state_dict(bundle)
    write_published(bundle, state)
    return bundle, state


@pytest.mark.parametrize("with_star", [True, False])
def test_model_equals_by_hand_and_torchaudio(small_mms, with_star, torchaudio28, monkeypatch):
    bundle, state = small_mms
    model = bundle.get_model(with_star=with_star)
    assert not model.training and model.apply_log_softmax and model.normalize_waveform
    requested = []
    oracle_loader(monkeypatch, torchaudio28, requested)
    theirs = dataclasses.replace(torchaudio28.pipelines.MMS_FA, _params=bundle._params).get_model(with_star=with_star)
    assert requested == ["https://dl.fbaipublicfiles.com/mms/torchaudio/ctc_alignment_mling_uroman/model.pt"]

    by_hand = models.wav2vec2_model(**bundle._params)
    by_hand.load_state_dict(state)
    by_hand.eval()
    x = torch.randn(1, 1600, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        out, _ = model(x)
        ref, _ = theirs(x)
        logits, _ = by_hand(torch.nn.functional.layer_norm(x, x.shape))
    expected = torch.log_softmax(logits, dim=-1)
    if with_star:
        expected = torch.cat([expected, torch.zeros(expected.shape[:-1] + (1,))], dim=-1)
    assert out.size(-1) == len(bundle.get_labels(star="*" if with_star else None))
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    torch.testing.assert_close(out, ref, **tol("float32_model"))


def test_star_column_for_a_batch(small_mms):
    # torchaudio's star column is (1, frames, 1): its model fails on a batch of 2; ours appends one per item.
    bundle, _ = small_mms
    model = bundle.get_model()
    x = torch.randn(2, 1600, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        out, _ = model(x)
        no_star, _ = bundle.get_model(with_star=False)(x)
    assert out.shape[:-1] == no_star.shape[:-1] and out.size(-1) == no_star.size(-1) + 1
    torch.testing.assert_close(out[..., :-1], no_star, rtol=0, atol=0)
    assert torch.equal(out[..., -1], torch.zeros(out.shape[:-1]))


def test_tokenizer_equals_torchaudios(torchaudio28):
    ours, theirs = pipelines.MMS_FA.get_tokenizer(), torchaudio28.pipelines.MMS_FA.get_tokenizer()
    assert ours(TRANSCRIPT) == theirs(TRANSCRIPT)
    assert ours(["don't", "x*"]) == theirs(["don't", "x*"])
    assert isinstance(ours, pipelines.Wav2Vec2FABundle.Tokenizer)
    with pytest.raises(KeyError):
        ours(["Upper"])  # transcripts must be normalised first, as with torchaudio
    with pytest.raises(KeyError):
        theirs(["Upper"])


def _emission(frames: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.log_softmax(3 * torch.randn(frames, len(pipelines.MMS_FA.get_labels()), generator=g), dim=-1)


def _fields(spans):
    return [[(s.token, s.start, s.end, s.score) for s in word] for word in spans]


def test_aligner_equals_torchaudios(torchaudio28, monkeypatch):
    # torchaudio's compiled forced_align is absent from the oracle: its aligner runs on our forced_align (tested
    # against a brute-force search in tests/multichannel/test_alignment.py); its tokenizing, merging and splitting into
    # words is torchaudio's own code.
    from torchaudio.pipelines._wav2vec2 import aligner as oracle_aligner

    monkeypatch.setattr(oracle_aligner.F, "forced_align", F.forced_align)
    tokens = pipelines.MMS_FA.get_tokenizer()(TRANSCRIPT)
    emission = _emission(150)
    ours = pipelines.MMS_FA.get_aligner()(emission, tokens)
    theirs = torchaudio28.pipelines.MMS_FA.get_aligner()(emission, tokens)
    assert isinstance(pipelines.MMS_FA.get_aligner(), pipelines.Wav2Vec2FABundle.Aligner)
    assert [len(w) for w in ours] == [len(w) for w in TRANSCRIPT]
    for mine, ref in zip(_fields(ours), _fields(theirs)):
        for a, b in zip(mine, ref, strict=True):
            assert a[:3] == b[:3]
            assert a[3] == pytest.approx(b[3], rel=1e-6)
    # spans follow each other in time, and cover exactly the frames the path gives each token
    flat = [s for w in ours for s in w]
    assert all(a.end <= b.start for a, b in zip(flat, flat[1:]))
    path, _ = F.forced_align(emission[None], torch.tensor([[t for w in tokens for t in w]], dtype=torch.int32))
    for s in flat:
        assert torch.all(path[0, s.start:s.end] == s.token)


def test_aligner_needs_a_2d_emission():
    with pytest.raises(ValueError, match=r"`emission` must be 2D \(time, classes\), got shape \(1, 10, 29\)"):
        pipelines.MMS_FA.get_aligner()(torch.zeros(1, 10, 29), [[1]])


def test_missing_weights_error(torch_home):
    with pytest.raises(pipelines._assets.WeightsNotFoundError,
                       match=r"model.pt is not in the cache .* Download https://dl.fbaipublicfiles.com/mms/torchaudio/"
                             r"ctc_alignment_mling_uroman/model.pt and place it at .*hub/checkpoints/model.pt"):
        pipelines.MMS_FA.get_model()
