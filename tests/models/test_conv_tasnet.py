"""ConvTasNet against torchaudio 2.8's own model (the oracle) on the same weights."""

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
from torchsound.models import ConvTasNet, conv_tasnet_base

SMALL = dict(
    num_sources=3,
    enc_kernel_size=8,
    enc_num_feats=16,
    msk_kernel_size=3,
    msk_num_feats=8,
    msk_num_hidden_feats=12,
    msk_num_layers=3,
    msk_num_stacks=2,
)


@pytest.mark.parametrize("num_sources", [2, 4])
def test_layout_full_size(torchaudio28, num_sources):
    with torch.device("meta"):
        assert_same_layout(conv_tasnet_base(num_sources), torchaudio28.models.conv_tasnet_base(num_sources))
        assert_same_layout(ConvTasNet(), torchaudio28.models.ConvTasNet())


def test_base_configuration(torchaudio28):
    with torch.device("meta"):
        ours, theirs = conv_tasnet_base(), torchaudio28.models.conv_tasnet_base()
    assert isinstance(ours.mask_generator.mask_activate, torch.nn.ReLU)
    assert type(theirs.mask_generator.mask_activate).__name__ == "ReLU"
    assert ours.mask_generator.receptive_field == theirs.mask_generator.receptive_field
    assert (ours.enc_stride, ours.enc_kernel_size, ours.num_sources) == (8, 16, 2)


def test_state_dict_loads_both_ways(torchaudio28):
    load_both_ways(ConvTasNet(**SMALL), torchaudio28.models.ConvTasNet(**SMALL))


# Lengths that need no padding, and lengths that do, for an even and an odd encoder kernel.
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    "kernel,length,activate",
    [(8, 400, "sigmoid"), (8, 403, "relu"), (7, 401, "sigmoid"), (7, 400, "relu"), (4, 1, "relu")],
)
def test_outputs_match_torchaudio(torchaudio28, dtype, activate, kernel, length):
    config = dict(SMALL, enc_kernel_size=kernel, msk_activate=activate)
    theirs = torchaudio28.models.ConvTasNet(**config)
    # Random non-default PReLU slopes and norm affines, so that every parameter matters.
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    x = torch.randn(2, 1, length)
    out = assert_same_outputs(ConvTasNet(**config), theirs, [x], dtype, fast_path=True)
    assert out.shape == (2, config["num_sources"], length)


def test_gradients_match_torchaudio(torchaudio28):
    x = torch.randn(2, 1, 203)
    assert_same_gradients(ConvTasNet(**SMALL), torchaudio28.models.ConvTasNet(**SMALL), [x])


def test_script_and_round_trips(torchaudio28):
    model = ConvTasNet(**SMALL).eval()
    torch.jit.script(torchaudio28.models.ConvTasNet(**SMALL))  # torchaudio's scripts, so ours must
    scripted = torch.jit.script(model)
    x = torch.randn(2, 1, 301)
    with torch.no_grad():  # scripted code runs the plain convolutions, eager the fast depthwise one
        torch.testing.assert_close(scripted(x), model(x), **tol("float32_model"))
    assert_round_trips(model, [x])


@pytest.mark.parametrize("shape", [(2, 301), (2, 2, 301), (1, 1, 1, 301)])
def test_bad_input_shape(shape):
    shown = str(list(shape)).replace("[", r"\[").replace("]", r"\]")
    with pytest.raises(ValueError, match=rf"ConvTasNet: expected input of shape \(batch, 1, time\), got {shown}"):
        ConvTasNet(**SMALL)(torch.randn(shape))


def test_bad_arguments():
    with pytest.raises(ValueError, match="msk_activate must be 'sigmoid' or 'relu'; got 'tanh'"):
        ConvTasNet(**SMALL, msk_activate="tanh")
    with pytest.raises(ValueError, match="msk_num_layers and msk_num_stacks must be >= 1; got 0 and 2"):
        ConvTasNet(**dict(SMALL, msk_num_layers=0))


def test_foreign_state_dicts_rejected():
    from torchsound.models import DeepSpeech

    other_size = ConvTasNet(**dict(SMALL, msk_num_hidden_feats=11))
    assert_foreign_state_dicts_rejected(ConvTasNet(**SMALL), DeepSpeech(n_feature=4, n_hidden=4), other_size)


def test_batch_equals_loop():
    assert_batch_equals_loop(ConvTasNet(**SMALL), torch.randn(3, 1, 203))
