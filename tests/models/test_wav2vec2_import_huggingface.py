"""import_huggingface_model: the imported model gives the transformers model's own outputs (an independent
implementation), and the same weights as torchaudio 2.8's importer where that one works."""

from __future__ import annotations

import logging

import pytest
import torch

from conftest import tol
from torchsound.models.wav2vec2.utils import import_huggingface_model

transformers = pytest.importorskip("transformers")  # dev extra: CI installs it

SMALL = dict(
    hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48, conv_dim=(16, 16, 16),
    conv_kernel=(10, 3, 2), conv_stride=(5, 2, 2), num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=4,
    vocab_size=11, hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, feat_proj_dropout=0.0,
    layerdrop=0.0,
)

CASES = {
    "Wav2Vec2Model": ("Wav2Vec2Config", dict(feat_extract_norm="group", do_stable_layer_norm=False)),
    "Wav2Vec2Model_stable": ("Wav2Vec2Config", dict(feat_extract_norm="layer", do_stable_layer_norm=True, conv_bias=True)),
    "Wav2Vec2ForCTC": ("Wav2Vec2Config", dict(feat_extract_norm="layer", do_stable_layer_norm=True)),
    "HubertModel": ("HubertConfig", dict(feat_extract_norm="group", do_stable_layer_norm=False)),
    "HubertForCTC": ("HubertConfig", dict(feat_extract_norm="layer", do_stable_layer_norm=True)),
    "WavLMModel": ("WavLMConfig", dict(feat_extract_norm="group", do_stable_layer_norm=False, num_buckets=16,
                                       max_bucket_distance=40)),
    "WavLMForCTC": ("WavLMConfig", dict(feat_extract_norm="layer", do_stable_layer_norm=True, num_buckets=16,
                                        max_bucket_distance=40)),
}


def _hf_model(case):
    config_name, extra = CASES[case]
    config = getattr(transformers, config_name)(**SMALL, **extra)
    torch.manual_seed(0)
    model = getattr(transformers, case.split("_")[0])(config)
    with torch.no_grad():  # random (not unit) norms and biases, so every weight matters
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model.double().eval()


@pytest.mark.parametrize("case", sorted(CASES))
def test_outputs_equal_transformers(case, caplog):
    original = _hf_model(case)
    with caplog.at_level(logging.WARNING):
        imported = import_huggingface_model(original).double().eval()
    assert ("lm_head" in caplog.text) == ("ForCTC" not in case)
    wave = torch.randn(2, 1600, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.no_grad():
        want = original(wave, output_hidden_states=True)
        got, _ = imported(wave)
        layers, _ = imported.extract_features(wave)
    expected = want.logits if "ForCTC" in case else want.last_hidden_state
    torch.testing.assert_close(got, expected, **tol("float64"))
    # transformers' hidden_states: the layer inputs, then the (final-normed) output; compare the inner layers.
    torch.testing.assert_close(layers[0], want.hidden_states[1], **tol("float64"))


@pytest.mark.parametrize("case", ["Wav2Vec2Model", "Wav2Vec2Model_stable", "Wav2Vec2ForCTC", "WavLMModel"])
def test_weights_equal_torchaudio_importer(torchaudio28, case):
    original = _hf_model(case)
    got = import_huggingface_model(original).state_dict()
    want = torchaudio28.models.wav2vec2.utils.import_huggingface_model(original).state_dict()
    assert list(got) == list(want)
    torch.testing.assert_close(dict(got), dict(want), rtol=0, atol=0)


def test_unsupported_model_raises():
    with pytest.raises(ValueError, match=r"import_huggingface_model: original must be one of .*; got Linear"):
        import_huggingface_model(torch.nn.Linear(2, 2))


@pytest.mark.parametrize("case", ["HubertForCTC", "WavLMForCTC"])
def test_ctc_heads_torchaudio_fails_on(torchaudio28, case):
    """torchaudio 2.8 cannot import these (it looks for the encoder in the wrong attribute); ours does (above)."""
    with pytest.raises(AttributeError):
        torchaudio28.models.wav2vec2.utils.import_huggingface_model(_hf_model(case))
