"""WaveRNN (and its blocks) against torchaudio 2.8's own model (the oracle) on the same weights."""

import pytest
import torch

from _model_oracle import (
    assert_foreign_state_dicts_rejected,
    assert_round_trips,
    assert_same_gradients,
    assert_same_layout,
    assert_same_outputs,
    load_both_ways,
)
from conftest import tol
from torchsound.models import WaveRNN

SMALL = dict(
    upsample_scales=[2, 3],
    n_classes=16,
    hop_length=6,
    n_res_block=2,
    n_rnn=8,
    n_fc=10,
    kernel_size=5,
    n_freq=6,
    n_hidden=7,
    n_output=13,  # not a multiple of 4: the last channel is unused, as in torchaudio
)
# torchaudio's pretrained vocoder (pipelines' WaveRNN bundle) and its class defaults.
FULL = [
    dict(upsample_scales=[5, 5, 11], n_classes=256, hop_length=275, n_freq=80),
    dict(upsample_scales=[5, 5, 8], n_classes=512, hop_length=200),
]


def _randomized_oracle(torchaudio28, config):
    """torchaudio's model with random weights everywhere, batch-norm statistics included."""
    model = torchaudio28.models.WaveRNN(**config)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("running_var"):
                t.copy_(torch.rand_like(t) + 0.5)
            elif t.is_floating_point():
                t.copy_(torch.randn_like(t) * 0.3)
    return model


def _inputs(config, batch=2, n_time=7):
    specgram = torch.randn(batch, 1, config["n_freq"], n_time)
    length = (n_time - config["kernel_size"] + 1) * config["hop_length"]
    waveform = torch.rand(batch, 1, length) * 2 - 1
    return waveform, specgram


@pytest.mark.parametrize("config", FULL, ids=["pipeline", "defaults"])
def test_layout_full_size(torchaudio28, config):
    with torch.device("meta"):
        assert_same_layout(WaveRNN(**config), torchaudio28.models.WaveRNN(**config))


def test_state_dict_loads_both_ways(torchaudio28):
    load_both_ways(WaveRNN(**SMALL), _randomized_oracle(torchaudio28, SMALL))


def test_blocks_match_torchaudio(torchaudio28):
    from torchsound.models import wavernn

    theirs = torchaudio28.models.wavernn
    x = torch.randn(2, 6, 9)
    torch.testing.assert_close(wavernn.Stretch2d(3, 2)(x), theirs.Stretch2d(3, 2)(x), rtol=0, atol=0)
    for name, args in [("ResBlock", (6,)), ("MelResNet", (2, 6, 5, 4, 3)), ("UpsampleNetwork", ([2, 2], 1, 6, 5, 4, 3))]:
        theirs_block = getattr(theirs, name)(*args).eval()
        ours_block = getattr(wavernn, name)(*args).eval()
        assert_same_layout(ours_block, theirs_block)
        ours_block.load_state_dict(theirs_block.state_dict())
        with torch.no_grad():
            torch.testing.assert_close(ours_block(x), theirs_block(x), **tol("float32"))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_outputs_match_torchaudio(torchaudio28, dtype):
    inputs = _inputs(SMALL)
    out = assert_same_outputs(WaveRNN(**SMALL), _randomized_oracle(torchaudio28, SMALL), inputs, dtype)
    assert out.shape == (2, 1, inputs[0].shape[-1], SMALL["n_classes"])


def test_gradients_match_torchaudio(torchaudio28):
    assert_same_gradients(WaveRNN(**SMALL), _randomized_oracle(torchaudio28, SMALL), _inputs(SMALL))


@pytest.mark.parametrize("kernel_size", [5, 3])
def test_infer_matches_torchaudio(torchaudio28, kernel_size):
    """Same weights and seed: the same samples drawn, the same lengths."""
    config = dict(SMALL, kernel_size=kernel_size)
    theirs = _randomized_oracle(torchaudio28, config).eval()
    ours = WaveRNN(**config).eval()
    ours.load_state_dict(theirs.state_dict())
    specgram = torch.randn(2, config["n_freq"], 4)
    lengths = torch.tensor([4, 3])
    with torch.no_grad():
        torch.manual_seed(5)
        want, want_lengths = theirs.infer(specgram, lengths)
        torch.manual_seed(5)
        got, got_lengths = ours.infer(specgram, lengths)
        torch.manual_seed(5)
        got64, _ = ours.double().infer(specgram.double())
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    torch.testing.assert_close(got_lengths, want_lengths, rtol=0, atol=0)
    assert got.shape[:2] == (2, 1) and got.abs().max() <= 1
    # float64 stays float64 (torchaudio returns float32 there); the values are the same samples.
    assert got64.dtype == torch.float64
    torch.testing.assert_close(got64.float(), want, **tol("float32"))


def test_script_and_round_trips(torchaudio28):
    model = WaveRNN(**SMALL).eval()
    torch.jit.script(torchaudio28.models.WaveRNN(**SMALL))  # torchaudio's scripts (infer included), so must ours
    scripted = torch.jit.script(model)
    inputs = _inputs(SMALL)
    specgram = torch.randn(1, SMALL["n_freq"], 3)
    with torch.no_grad():
        torch.testing.assert_close(scripted(*inputs), model(*inputs), rtol=0, atol=0)
        torch.manual_seed(2)
        want = model.infer(specgram)[0]
        torch.manual_seed(2)
        torch.testing.assert_close(scripted.infer(specgram)[0], want, rtol=0, atol=0)
    assert_round_trips(model, list(inputs))


def test_bad_shapes():
    model = WaveRNN(**SMALL)
    waveform, specgram = _inputs(SMALL)
    with pytest.raises(ValueError, match=r"WaveRNN: expected waveform of shape \(batch, 1, time\), got \[2, 2, 18\]"):
        model(waveform.expand(2, 2, -1), specgram)
    with pytest.raises(ValueError, match=r"WaveRNN: expected specgram .*n_freq=6.*got \[2, 1, 5, 7\]"):
        model(waveform, specgram[:, :, :5])
    with pytest.raises(ValueError, match=r"WaveRNN: waveform of shape \[2, 1, 17\] does not match specgram.*=18\)"):
        model(waveform[..., :17], specgram)
    with pytest.raises(ValueError, match=r"WaveRNN.infer: expected specgram .*got \[2, 1, 6, 7\]"):
        model.infer(specgram)
    with pytest.raises(ValueError, match=r"product of upsample_scales \[2, 3\] is 6, but hop_length is 5"):
        WaveRNN(**dict(SMALL, hop_length=5))


def test_foreign_state_dicts_rejected():
    from torchsound.models import DeepSpeech

    other_size = WaveRNN(**dict(SMALL, n_fc=11))
    assert_foreign_state_dicts_rejected(WaveRNN(**SMALL), DeepSpeech(n_feature=4, n_hidden=4), other_size)
