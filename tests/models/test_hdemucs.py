"""HDemucs against torchaudio 2.8's own model (the oracle) on the same weights."""

import pytest
import torch

from conftest import tol
from _model_oracle import (
    assert_batch_equals_loop,
    assert_foreign_state_dicts_rejected,
    assert_round_trips,
    assert_same_gradients,
    assert_same_layout,
    assert_same_outputs,
    load_both_ways,
)
from torchsound.models import HDemucs, hdemucs_high, hdemucs_low, hdemucs_medium

SOURCES = ["drums", "bass", "other", "vocals"]
# nfft 64: frequency levels 32 -> 8 rows, then the last frequency level (kernel = all 8 rows) merges the branches,
# then two time-like levels. Group norm from level 2, attention from level 1 and LSTMs in the merged levels, so
# that every kind of block runs. LSTM_EVERYWHERE also puts LSTMs on the first levels, whose sequences are longer
# than 200 frames for the longer inputs: there the LSTM works in overlapping windows.
SMALL = dict(sources=["a", "b"], audio_channels=2, channels=8, nfft=64, depth=4, norm_starts=2, dconv_lstm=2,
             dconv_attn=1, dconv_comp=2)
LSTM_EVERYWHERE = dict(SMALL, dconv_lstm=0)


@pytest.fixture(autouse=True)
def _one_thread():
    # These models are tiny: on a loaded shared machine, intra-op threads only add waiting (10x slower here).
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("name", ["hdemucs_low", "hdemucs_medium", "hdemucs_high"])
def test_layout_full_size(torchaudio28, name):
    ours = {"hdemucs_low": hdemucs_low, "hdemucs_medium": hdemucs_medium, "hdemucs_high": hdemucs_high}[name]
    with torch.device("meta"):
        assert_same_layout(ours(SOURCES), getattr(torchaudio28.models, name)(SOURCES))


def test_layout_default_configuration(torchaudio28):
    with torch.device("meta"):
        assert_same_layout(HDemucs(["x", "y"], audio_channels=1), torchaudio28.models.HDemucs(["x", "y"], audio_channels=1))
        ours = hdemucs_high(SOURCES)
    assert (ours.nfft, ours.hop_length, ours.depth, ours.sources) == (4096, 1024, 6, SOURCES)


def test_same_initial_weights_under_the_same_seed(torchaudio28):
    torch.manual_seed(7)
    theirs = torchaudio28.models.HDemucs(**LSTM_EVERYWHERE)
    torch.manual_seed(7)
    ours = HDemucs(**LSTM_EVERYWHERE)
    for (key, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=key)


def test_state_dict_loads_both_ways(torchaudio28):
    load_both_ways(HDemucs(**SMALL), torchaudio28.models.HDemucs(**SMALL))


def _randomize_gains(model):
    # Non-default LayerScales, norm affines and embedding, so that every parameter matters.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "scale" in name or "norm" in name or "freq_emb" in name:
                p.copy_(torch.randn_like(p) * 0.5)
    return model


# Not a multiple of the hop (16), a multiple of it, and (with LSTMs on the first levels) long enough for LSTM windows.
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("length,config", [(37, SMALL), (512, SMALL), (1001, LSTM_EVERYWHERE)], ids=["37", "512", "1001-lstm"])
def test_outputs_match_torchaudio(torchaudio28, dtype, length, config):
    theirs = _randomize_gains(torchaudio28.models.HDemucs(**config))
    x = torch.randn(2, 2, length)
    out = assert_same_outputs(HDemucs(**config), theirs, [x], dtype)
    assert out.shape == (2, 2, 2, length)


def test_short_inputs_work_or_fail_as_in_torchaudio(torchaudio28):
    # Very short inputs cannot be aligned with the spectrogram's frames: torchaudio fails on some lengths (here
    # 1-12 and 17-20 samples), we fail on the same ones with a clearer message and equal it on all others.
    config = dict(SMALL, dconv_lstm=9)
    theirs = _randomize_gains(torchaudio28.models.HDemucs(**config)).double().eval()
    ours = HDemucs(**config).double().eval()
    ours.load_state_dict(theirs.state_dict())
    failing = []
    for length in range(1, 50):
        x = torch.randn(1, 2, length, dtype=torch.float64)
        with torch.no_grad():
            try:
                want = theirs(x)
            except ValueError:
                failing.append(length)
                with pytest.raises(ValueError, match=rf"HDemucs: an input of {length} samples does not fit the "
                                                     r"nfft=64 spectrogram's frames; inputs of at least 40 samples"):
                    ours(x)
                continue
            torch.testing.assert_close(ours(x), want, **tol("float64"))
    assert failing and max(failing) < 40


def test_other_configurations(torchaudio28):
    # One audio channel, one source, no frequency embedding, nfft 256 (frequency levels 128 -> 32 -> 8 -> 1).
    config = dict(sources=["a"], audio_channels=1, channels=4, nfft=256, depth=4, freq_emb=0.0, context=2,
                  context_enc=1, norm_starts=1, norm_groups=2)
    theirs = _randomize_gains(torchaudio28.models.HDemucs(**config))
    assert_same_outputs(HDemucs(**config), theirs, [torch.randn(1, 1, 300)], torch.float64)
    with torch.device("meta"):
        medium = hdemucs_medium(SOURCES)
    # nfft 2048 shortens the last separate time level (as torchaudio does).
    assert (medium.time_encoder[-1].kernel_size, medium.time_encoder[-1].stride) == (4, 2)


def test_nfft_that_does_not_reduce_to_one_row_fails_as_in_torchaudio(torchaudio28):
    config = dict(sources=["a"], audio_channels=1, channels=4, nfft=128, depth=4)
    x = torch.randn(1, 1, 300)
    with pytest.raises(ValueError, match="Injection shapes do not align"):
        torchaudio28.models.HDemucs(**config)(x)
    with pytest.raises(ValueError, match="HDemucs: time-branch injection has 5 frames, the frequency branch 10"):
        HDemucs(**config)(x)


def test_gradients_match_torchaudio(torchaudio28):
    x = torch.randn(2, 2, 300)
    assert_same_gradients(HDemucs(**SMALL), torchaudio28.models.HDemucs(**SMALL), [x])


def test_batch_equals_loop():
    assert_batch_equals_loop(HDemucs(**SMALL), torch.randn(3, 2, 250))


def test_round_trips():
    assert_round_trips(HDemucs(**SMALL), [torch.randn(1, 2, 200)])


def test_foreign_state_dicts_rejected(torchaudio28):
    other_arch = torchaudio28.models.ConvTasNet(num_sources=2, enc_num_feats=16, msk_num_feats=8,
                                                msk_num_hidden_feats=8, msk_num_layers=2, msk_num_stacks=1)
    assert_foreign_state_dicts_rejected(HDemucs(**SMALL), other_arch, HDemucs(**dict(SMALL, channels=16)))


@pytest.mark.parametrize("shape", [(2, 100), (1, 3, 100), (1, 1, 2, 100)])
def test_bad_input_shape(shape):
    with pytest.raises(ValueError, match=r"HDemucs: expected input of shape \(batch, audio_channels=2, time\), got"):
        HDemucs(**SMALL)(torch.randn(shape))


@pytest.mark.parametrize("length", [40, 1000, 1023])
def test_spectral_branch_transforms_match_torchaudio(torchaudio28, length):
    # The spectrogram in and out of the frequency branch (ours through torchsound.functional), float64.
    ours, theirs = HDemucs(**SMALL), torchaudio28.models.HDemucs(**SMALL)
    x = torch.randn(2, 2, length, dtype=torch.float64)
    z = ours._spec(x)
    torch.testing.assert_close(z, theirs._spec(x), **tol("float64"))
    assert z.shape == (2, 2, 32, -(-length // 16))
    spec = torch.randn_like(z)
    torch.testing.assert_close(ours._ispec(spec, length), theirs._ispec(spec, length), **tol("float64"))


def test_full_size_low_model_matches_torchaudio(torchaudio28):
    # The published configuration (nfft 1024, depth 5: attention, LSTMs and group norm on levels 4 and up).
    theirs = torchaudio28.models.hdemucs_low(SOURCES)
    x = torch.randn(1, 2, 8000)
    out = assert_same_outputs(hdemucs_low(SOURCES), theirs, [x], torch.float32)
    assert out.shape == (1, 4, 2, 8000)


def test_no_second_stft_inside_the_model(monkeypatch):
    # DESIGN: models reach the STFT through torchsound.functional only; torch.stft/istft are never called here.
    def refuse(*args, **kwargs):
        raise AssertionError("torch.stft/istft called directly")

    calls = []
    import torchsound.models._hdemucs as module

    for name in ("spectrogram", "inverse_spectrogram"):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    monkeypatch.setattr(torch, "stft", refuse)
    monkeypatch.setattr(torch, "istft", refuse)
    with torch.no_grad():
        HDemucs(**SMALL).eval()(torch.randn(1, 2, 100))
    assert calls == ["spectrogram", "inverse_spectrogram"]
