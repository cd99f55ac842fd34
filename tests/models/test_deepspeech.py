"""DeepSpeech against torchaudio 2.8's own model (the oracle) on the same weights."""

import pytest
import torch

from _model_oracle import (
    assert_batch_equals_loop,
    assert_foreign_state_dicts_rejected,
    assert_round_trips,
    assert_same_gradients,
    assert_same_layout,
    assert_same_outputs,
    load_both_ways,
)
from torchsound.models import DeepSpeech

SMALL = dict(n_feature=12, n_hidden=16, n_class=7)


def test_layout_full_size(torchaudio28):
    with torch.device("meta"):
        assert_same_layout(DeepSpeech(n_feature=161), torchaudio28.models.DeepSpeech(n_feature=161))


def test_state_dict_loads_both_ways(torchaudio28):
    load_both_ways(DeepSpeech(**SMALL, dropout=0.1), torchaudio28.models.DeepSpeech(**SMALL, dropout=0.1))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_outputs_match_torchaudio(torchaudio28, dtype):
    # Scaled up so that some activations reach the clip at 20.
    x = 30 * torch.randn(3, 1, 11, SMALL["n_feature"])
    theirs = torchaudio28.models.DeepSpeech(**SMALL)
    out = assert_same_outputs(DeepSpeech(**SMALL), theirs, [x], dtype)
    assert out.shape == (3, 11, SMALL["n_class"])
    # The (batch, time, feature) form gives the same as (batch, 1, time, feature).
    ours = DeepSpeech(**SMALL).to(dtype).eval()
    ours.load_state_dict(theirs.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(ours(x.to(dtype)[:, 0]), out, rtol=0, atol=0)


def test_gradients_match_torchaudio(torchaudio28):
    x = 30 * torch.randn(2, 1, 9, SMALL["n_feature"])
    assert_same_gradients(DeepSpeech(**SMALL), torchaudio28.models.DeepSpeech(**SMALL), [x])


def test_dropout_draws_like_torchaudio(torchaudio28):
    """Train mode with dropout: under the same seed both draw the same masks from the global generator."""
    theirs = torchaudio28.models.DeepSpeech(**SMALL, dropout=0.5).train()
    ours = DeepSpeech(**SMALL, dropout=0.5).train()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, 1, 9, SMALL["n_feature"])
    torch.manual_seed(1)
    want = theirs(x)
    torch.manual_seed(1)
    got = ours(x)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    # Dropout is active in train mode only.
    with torch.no_grad():
        assert not torch.equal(ours(x), ours(x))
        ours.eval()
        assert torch.equal(ours(x), ours(x))


def test_round_trips():
    assert_round_trips(DeepSpeech(**SMALL), [torch.randn(2, 1, 5, SMALL["n_feature"])])


def test_bad_input_shape():
    model = DeepSpeech(**SMALL)
    with pytest.raises(ValueError, match=r"DeepSpeech: expected .*n_feature=12.*got \[2, 1, 5, 13\]"):
        model(torch.randn(2, 1, 5, 13))
    with pytest.raises(ValueError, match=r"DeepSpeech: expected .*got \[2, 3, 5, 12\]"):
        model(torch.randn(2, 3, 5, 12))


def test_foreign_state_dicts_rejected():
    from torchsound.models import ConvTasNet

    other = ConvTasNet(enc_num_feats=4, msk_num_feats=4, msk_num_hidden_feats=4, msk_num_layers=1, msk_num_stacks=1)
    assert_foreign_state_dicts_rejected(DeepSpeech(**SMALL), other, DeepSpeech(**dict(SMALL, n_hidden=15)))


def test_batch_equals_loop():
    assert_batch_equals_loop(DeepSpeech(**SMALL), torch.randn(3, 1, 6, SMALL["n_feature"]))


def test_scripts():
    """torchaudio 2.8's DeepSpeech does not script (int bounds passed to hardtanh); ours does, same outputs."""
    model = DeepSpeech(**SMALL, dropout=0.2).eval()
    x = torch.randn(2, 1, 5, SMALL["n_feature"])
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.script(model)(x), model(x), rtol=0, atol=0)
