"""RNN-T beam search against torchaudio 2.8's RNNTBeamSearch (the oracle) on the same random model."""

import pytest
import torch

from _model_oracle import tolerance_for
from test_rnnt_model import SMALL
from torchsound.models import Hypothesis, RNNTBeamSearch, emformer_rnnt_model  # noqa: F401

CFG = dict(SMALL, num_symbols=9, transformer_left_context_length=4)


def _models(torchaudio28, dtype):
    torch.manual_seed(0)
    theirs = torchaudio28.models.emformer_rnnt_model(**CFG)
    ours = emformer_rnnt_model(**CFG)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours.to(dtype).eval(), theirs.to(dtype).eval()


def _frames(dtype, frames=40, seed=7):
    torch.manual_seed(seed)
    return torch.randn(frames + CFG["right_context_length"], CFG["input_dim"], dtype=dtype)


def _assert_same_hypotheses(got, want, dtype):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g[0] == w[0]
        torch.testing.assert_close(g[1], w[1], **tolerance_for(dtype))
        torch.testing.assert_close(g[2], w[2], **tolerance_for(dtype))
        torch.testing.assert_close(g[3], w[3], **tolerance_for(dtype))


def _length_sort_key(hypo):
    return hypo[3] + 2.0 * len(hypo[0])


DECODERS = {
    "default": dict(),
    "temperature_custom_key": dict(temperature=2.5, hypo_sort_key=_length_sort_key),
    "one_token_a_step": dict(step_max_tokens=1),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("beam_width", [1, 4])
@pytest.mark.parametrize("name", DECODERS)
def test_forward_equals_torchaudio(torchaudio28, name, beam_width, dtype):
    ours, theirs = _models(torchaudio28, dtype)
    blank = CFG["num_symbols"] - 1
    x = _frames(dtype)
    with torch.no_grad():
        got = RNNTBeamSearch(ours, blank, **DECODERS[name])(x, torch.tensor(40), beam_width)
        want = torchaudio28.models.RNNTBeamSearch(theirs, blank, **DECODERS[name])(x, torch.tensor(40), beam_width)
    _assert_same_hypotheses(got, want, dtype)
    assert len(got) == beam_width
    # The search emitted tokens (not only blanks), so the comparison covers the expansion and merging paths.
    assert max(len(h[0]) for h in got) > 3


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_infer_streaming_equals_torchaudio(torchaudio28, dtype):
    ours, theirs = _models(torchaudio28, dtype)
    seg, rc = CFG["segment_length"], CFG["right_context_length"]
    blank = CFG["num_symbols"] - 1
    x = _frames(dtype, frames=4 * seg)
    decoders = [RNNTBeamSearch(ours, blank), torchaudio28.models.RNNTBeamSearch(theirs, blank)]
    runs = []
    with torch.no_grad():
        for decoder in decoders:
            state, hypos, per_chunk = None, None, []
            for k in range(4):
                chunk = x[k * seg : (k + 1) * seg + rc]
                # (1, T, D) and a (1,) length on odd chunks, (T, D) and () on even ones.
                if k % 2:
                    hypos, state = decoder.infer(chunk[None], torch.tensor([seg + rc]), 3, state, hypos)
                else:
                    hypos, state = decoder.infer(chunk, torch.tensor(seg + rc), 3, state, hypos)
                # torchaudio's Emformer updates the given state lists in place: keep a copy of each.
                per_chunk.append((hypos, [[s.clone() for s in layer] for layer in state]))
            runs.append(per_chunk)
    for (got, got_state), (want, want_state) in zip(*runs):
        _assert_same_hypotheses(got, want, dtype)
        torch.testing.assert_close(got_state, want_state, **tolerance_for(dtype))


def test_script_equals_eager(torchaudio28):
    ours, _ = _models(torchaudio28, torch.float32)
    decoder = RNNTBeamSearch(ours, CFG["num_symbols"] - 1)
    scripted = torch.jit.script(decoder)
    x = _frames(torch.float32, frames=16)
    with torch.no_grad():
        _assert_same_hypotheses(scripted(x, torch.tensor(16), 3), decoder(x, torch.tensor(16), 3), torch.float32)
        got, got_state = scripted.infer(x[:12], torch.tensor(12), 3, None, None)
        want, want_state = decoder.infer(x[:12], torch.tensor(12), 3, None, None)
    _assert_same_hypotheses(got, want, torch.float32)
    torch.testing.assert_close(got_state, want_state)


def test_bad_shapes_raise(torchaudio28):
    ours, _ = _models(torchaudio28, torch.float32)
    decoder = RNNTBeamSearch(ours, CFG["num_symbols"] - 1)
    x = _frames(torch.float32, frames=16)
    with pytest.raises(
        ValueError, match=r"RNNTBeamSearch: input must be of shape \(T, D\) or \(1, T, D\); got shape \[2, 20, 6\]"
    ):
        decoder(torch.stack([x, x]), torch.tensor(16), 2)
    with pytest.raises(ValueError, match=r"RNNTBeamSearch: length must be of shape \(\) or \(1,\); got shape \[2\]"):
        decoder.infer(x, torch.tensor([16, 16]), 2)


def test_on_every_device_equals_torchaudio_on_cpu(torchaudio28, device):
    """Model on each available device (CUDA where present): hypotheses equal torchaudio's on the CPU, and the
    predictor outputs and states stay on the model's device."""
    ours, theirs = _models(torchaudio28, torch.float64)
    ours = ours.to(device)
    blank = CFG["num_symbols"] - 1
    x = _frames(torch.float64, frames=24)
    with torch.no_grad():
        got = RNNTBeamSearch(ours, blank)(x.to(device), torch.tensor(24, device=device), 3)
        want = torchaudio28.models.RNNTBeamSearch(theirs, blank)(x, torch.tensor(24), 3)
    assert all(h[1].device == x.to(device).device and h[2][0][0].device == h[1].device for h in got)
    _assert_same_hypotheses(
        [(h[0], h[1].cpu(), [[s.cpu() for s in layer] for layer in h[2]], h[3]) for h in got], want, torch.float64
    )


def test_reached_through_the_torchaudio_alias():
    import torchsound as torchaudio
    from torchsound.models.rnnt_decoder import Hypothesis as H

    assert torchaudio.models.RNNTBeamSearch is RNNTBeamSearch
    assert torchaudio.models.Hypothesis is H
    assert torchaudio.models.RNNT.__module__ == "torchsound.models.rnnt"


def test_pickle_and_deepcopy_give_the_same_hypotheses(torchaudio28):
    import copy
    import pickle

    ours, _ = _models(torchaudio28, torch.float32)
    decoder = RNNTBeamSearch(ours, CFG["num_symbols"] - 1, temperature=1.5)
    x = _frames(torch.float32, frames=16)
    with torch.no_grad():
        want = decoder(x, torch.tensor(16), 3)
        for other in (pickle.loads(pickle.dumps(decoder)), copy.deepcopy(decoder)):
            _assert_same_hypotheses(other(x, torch.tensor(16), 3), want, torch.float32)
