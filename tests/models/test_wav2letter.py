"""Wav2Letter against torchaudio 2.8's own model (the oracle) on the same weights."""

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
from torchsound.models import Wav2Letter

CONFIGS = [
    dict(num_classes=40, input_type="waveform", num_features=1),
    dict(num_classes=29, input_type="power_spectrum", num_features=201),
    dict(num_classes=10, input_type="mfcc", num_features=13),
]


def _input(config, batch=2):
    # A waveform needs a few hops of 160 samples; features any length.
    time = 1600 + 37 if config["input_type"] == "waveform" else 23
    return torch.randn(batch, config["num_features"], time)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c["input_type"])
def test_layout_full_size(torchaudio28, config):
    with torch.device("meta"):
        assert_same_layout(Wav2Letter(**config), torchaudio28.models.Wav2Letter(**config))


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c["input_type"])
def test_state_dict_loads_both_ways(torchaudio28, config):
    load_both_ways(Wav2Letter(**config), torchaudio28.models.Wav2Letter(**config))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c["input_type"])
def test_outputs_match_torchaudio(torchaudio28, config, dtype):
    x = _input(config)
    out = assert_same_outputs(Wav2Letter(**config), torchaudio28.models.Wav2Letter(**config), [x], dtype)
    # The frame count the docstring gives.
    frames = x.shape[-1] if config["input_type"] != "waveform" else (x.shape[-1] - 160) // 160 + 1
    assert out.shape == (2, config["num_classes"], (frames - 2) // 2 + 2)
    # Log-probabilities over classes.
    torch.testing.assert_close(out.exp().sum(1), torch.ones_like(out[:, 0]))


def test_gradients_match_torchaudio(torchaudio28):
    config = CONFIGS[2]
    assert_same_gradients(Wav2Letter(**config), torchaudio28.models.Wav2Letter(**config), [_input(config)])


def test_script_and_round_trips(torchaudio28):
    config = CONFIGS[1]
    model = Wav2Letter(**config).eval()
    x = _input(config)
    scripted = torch.jit.script(model)
    torch.jit.script(torchaudio28.models.Wav2Letter(**config))  # torchaudio's scripts too: so must ours
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), model(x), rtol=0, atol=0)
    assert_round_trips(model, [x])


@pytest.mark.parametrize("scripted", [False, True])
def test_bad_input_shape(scripted):
    model = Wav2Letter(num_classes=5, input_type="mfcc", num_features=13)
    model = torch.jit.script(model) if scripted else model
    with pytest.raises((ValueError, torch.jit.Error), match=r"Wav2Letter.*num_features=13.*\[2, 12, 20\]"):
        model(torch.randn(2, 12, 20))
    with pytest.raises((ValueError, torch.jit.Error), match=r"Wav2Letter.*\[13, 20\]"):
        model(torch.randn(13, 20))


def test_bad_input_type():
    with pytest.raises(ValueError, match="input_type must be one of waveform, power_spectrum, mfcc; got 'wave'"):
        Wav2Letter(input_type="wave")


def test_foreign_state_dicts_rejected():
    from torchsound.models import DeepSpeech

    model = Wav2Letter(num_classes=5, input_type="mfcc", num_features=13)
    other_size = Wav2Letter(num_classes=5, input_type="mfcc", num_features=12)
    assert_foreign_state_dicts_rejected(model, DeepSpeech(n_feature=4, n_hidden=4), other_size)


def test_batch_equals_loop():
    assert_batch_equals_loop(Wav2Letter(**CONFIGS[2]), _input(CONFIGS[2], batch=3))
