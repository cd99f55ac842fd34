"""Prototype HiFi-GAN vocoder against torchaudio 2.8's own prototype model (the oracle) on the same weights."""

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
from torchsound.prototype import models

# Small configurations of both block types; kernel - rate is even everywhere, so each stage multiplies the length.
SMALL = {
    "type1": dict(
        in_channels=6,
        upsample_rates=(2, 3),
        upsample_initial_channel=8,
        upsample_kernel_sizes=(4, 5),
        resblock_kernel_sizes=(3, 5),
        resblock_dilation_sizes=((1, 3, 5), (1, 2, 3)),
        resblock_type=1,
        lrelu_slope=0.1,
    ),
    "type2": dict(
        in_channels=5,
        upsample_rates=(4, 2, 2),
        upsample_initial_channel=16,
        upsample_kernel_sizes=(8, 4, 4),
        resblock_kernel_sizes=(3, 5, 7),
        resblock_dilation_sizes=((1, 2), (2, 6), (3, 12)),
        resblock_type=2,
        lrelu_slope=0.2,
    ),
}
FACTORIES = ["hifigan_vocoder_v1", "hifigan_vocoder_v2", "hifigan_vocoder_v3"]


def _oracle_models(torchaudio28):
    import torchaudio.prototype.models as theirs  # the oracle (torchaudio28 put it on sys.path)

    return theirs


def _randomized(model):
    with torch.no_grad():
        for t in model.state_dict().values():
            t.copy_(torch.randn_like(t) * 0.2)
    return model


@pytest.mark.parametrize("factory", FACTORIES)
def test_layout_full_size(torchaudio28, factory):
    theirs = _oracle_models(torchaudio28)
    with torch.device("meta"):
        assert_same_layout(getattr(models, factory)(), getattr(theirs, factory)())


@pytest.mark.parametrize("name", list(SMALL))
def test_state_dict_loads_both_ways(torchaudio28, name):
    theirs = _oracle_models(torchaudio28)
    load_both_ways(models.hifigan_vocoder(**SMALL[name]), _randomized(theirs.hifigan_vocoder(**SMALL[name])))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", list(SMALL))
def test_outputs_match_torchaudio(torchaudio28, name, dtype):
    theirs = _oracle_models(torchaudio28)
    config = SMALL[name]
    ours = models.HiFiGANVocoder(**config)
    oracle = _randomized(theirs.HiFiGANVocoder(**config))
    x = torch.randn(3, config["in_channels"], 11)
    out = assert_same_outputs(ours, oracle, [x], dtype)
    rate = 1
    for r in config["upsample_rates"]:
        rate *= r
    assert out.shape == (3, 1, 11 * rate) and out.dtype == dtype
    # unbatched (channels, time) input, as in torchaudio's docstring example
    assert_same_outputs(ours, oracle, [x[0]], dtype)


def test_gradients_match_torchaudio(torchaudio28):
    theirs = _oracle_models(torchaudio28)
    config = SMALL["type1"]
    assert_same_gradients(
        models.hifigan_vocoder(**config), _randomized(theirs.hifigan_vocoder(**config)), [torch.randn(2, 6, 5)]
    )


def test_full_v3_matches_torchaudio(torchaudio28):
    # The published configuration on a short input (torchaudio's initial weights, not random ones).
    theirs = _oracle_models(torchaudio28)
    x = torch.randn(1, 80, 4)
    assert_same_outputs(models.hifigan_vocoder_v3(), theirs.hifigan_vocoder_v3(), [x], torch.float32)


@pytest.mark.parametrize("name", list(SMALL))
def test_jit_script_equals_eager(torchaudio28, name):
    theirs = _oracle_models(torchaudio28)
    model = models.hifigan_vocoder(**SMALL[name]).eval()
    model.load_state_dict(_randomized(theirs.hifigan_vocoder(**SMALL[name])).state_dict())
    scripted = torch.jit.script(model)
    x = torch.randn(2, SMALL[name]["in_channels"], 6)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), model(x), **tol("float32"))
    with pytest.raises(Exception, match=r"HiFiGANVocoder: expected input of shape"):
        scripted(torch.randn(2, 3, 6))


def test_round_trips():
    assert_round_trips(models.hifigan_vocoder(**SMALL["type2"]), [torch.randn(2, 5, 4)])


def test_foreign_state_dicts_rejected():
    other = dict(SMALL["type2"], upsample_initial_channel=32)
    assert_foreign_state_dicts_rejected(
        models.hifigan_vocoder(**SMALL["type2"]),
        models.hifigan_vocoder(**SMALL["type1"]),
        models.hifigan_vocoder(**other),
    )


def test_bad_input_shape():
    model = models.hifigan_vocoder(**SMALL["type1"])
    with pytest.raises(
        ValueError, match=r"HiFiGANVocoder: expected input of shape \(batch, 6, time\).*got \[2, 5, 7\]"
    ):
        model(torch.randn(2, 5, 7))
    with pytest.raises(ValueError, match=r"got \[7\]"):
        model(torch.randn(7))


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(resblock_type=3), r"resblock_type must be 1 or 2, got 3"),
        (dict(upsample_kernel_sizes=(4,)), r"upsample_rates and upsample_kernel_sizes .* got 2 and 1"),
        (
            dict(resblock_dilation_sizes=((1, 3, 5),)),
            r"resblock_kernel_sizes and resblock_dilation_sizes .* got 2 and 1",
        ),
        (dict(resblock_dilation_sizes=((1, 3), (1, 3))), r"resblock_type=1 needs 3 dilations .* got \(1, 3\)"),
    ],
)
def test_bad_config(change, match):
    with pytest.raises(ValueError, match=match):
        models.hifigan_vocoder(**dict(SMALL["type1"], **change))


def test_names_reached_through_namespace():
    from torchsound.prototype.models import hifi_gan

    for name in ["HiFiGANVocoder"] + ["hifigan_vocoder"] + FACTORIES:
        assert getattr(models, name) is getattr(hifi_gan, name)


def test_odd_kernel_minus_rate_matches_torchaudio(torchaudio28):
    # kernel - rate odd: each transposed convolution gives rate * length + 1 samples, as in torchaudio
    theirs = _oracle_models(torchaudio28)
    config = dict(SMALL["type2"], upsample_rates=(2, 3), upsample_kernel_sizes=(5, 4), upsample_initial_channel=8)
    ours, oracle = models.hifigan_vocoder(**config), _randomized(theirs.hifigan_vocoder(**config))
    out = assert_same_outputs(ours, oracle, [torch.randn(2, 5, 6)], torch.float64)
    assert out.shape == (2, 1, (6 * 2 + 1) * 3 + 1)
