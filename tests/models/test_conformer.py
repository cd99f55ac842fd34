"""Conformer against torchaudio 2.8's own model (the oracle) on the same weights."""

import pytest
import torch

from _model_oracle import (
    assert_foreign_state_dicts_rejected,
    assert_round_trips,
    assert_same_gradients,
    assert_same_layout,
    assert_same_outputs,
    load_both_ways,
    tolerance_for,
)
from conftest import tol
from torchsound.models import Conformer

SMALL = dict(input_dim=16, num_heads=4, ffn_dim=24, num_layers=2, depthwise_conv_kernel_size=7)
VARIANTS = [
    dict(),
    dict(use_group_norm=True),
    dict(convolution_first=True),
]


def _inputs(batch=3, frames=19, dim=16):
    torch.manual_seed(1)
    x = torch.randn(batch, frames, dim)
    # Padded items; the longest fills the input (torchaudio sizes its mask by max(lengths)).
    lengths = torch.tensor([frames, 11, 4][:batch])
    return x, lengths


def _randomize_norm_statistics(model):
    # Eval-mode batch norm with non-trivial running statistics and affine parameters, so the test sees them.
    g = torch.Generator().manual_seed(5)
    for m in model.modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.GroupNorm, torch.nn.LayerNorm)):
            m.weight.data = 1 + 0.2 * torch.randn(m.weight.shape, generator=g)
            m.bias.data = 0.2 * torch.randn(m.bias.shape, generator=g)
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean = 0.3 * torch.randn(m.running_mean.shape, generator=g)
            m.running_var = 0.5 + torch.rand(m.running_var.shape, generator=g)
    return model


def _pair(torchaudio28, **variant):
    theirs = _randomize_norm_statistics(torchaudio28.models.Conformer(**SMALL, **variant))
    return Conformer(**SMALL, **variant), theirs


@pytest.mark.parametrize("variant", [dict(), dict(use_group_norm=True)], ids=["batchnorm", "groupnorm"])
def test_layout_full_size(torchaudio28, variant):
    # A Conformer RNN-T's encoder size (torchaudio's prototype conformer_rnnt_base).
    full = dict(input_dim=512, num_heads=8, ffn_dim=2048, num_layers=12, depthwise_conv_kernel_size=31)
    with torch.device("meta"):
        assert_same_layout(Conformer(**full, **variant), torchaudio28.models.Conformer(**full, **variant))


@pytest.mark.parametrize("variant", VARIANTS, ids=["default", "groupnorm", "conv_first"])
def test_state_dict_loads_both_ways(torchaudio28, variant):
    load_both_ways(*_pair(torchaudio28, **variant))


def test_same_seed_same_initial_weights(torchaudio28):
    torch.manual_seed(3)
    ours = Conformer(**SMALL)
    torch.manual_seed(3)
    theirs = torchaudio28.models.Conformer(**SMALL)
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("variant", VARIANTS, ids=["default", "groupnorm", "conv_first"])
def test_outputs_match_torchaudio(torchaudio28, variant, dtype):
    x, lengths = _inputs()
    out, out_len = assert_same_outputs(*_pair(torchaudio28, **variant), [x, lengths], dtype)
    assert out.shape == x.shape and out.dtype == dtype
    assert torch.equal(out_len, lengths)


def test_batch_equals_loop():
    # Unpadded items: the batch equals each item run alone. (Padding is not: like torchaudio's, the convolution
    # module and group norm see the padded frames; only attention ignores them.)
    model = Conformer(**SMALL, use_group_norm=True).double().eval()
    x, _ = _inputs()
    x = x.double()
    full = torch.full((x.shape[0],), x.shape[1])
    with torch.no_grad():
        whole, _ = model(x, full)
        items = torch.cat([model(x[i : i + 1], full[i : i + 1])[0] for i in range(x.shape[0])])
    torch.testing.assert_close(whole, items, **tolerance_for(torch.float64))


def test_all_items_shorter_than_input(torchaudio28):
    # torchaudio sizes its padding mask by max(lengths) and fails when every item is shorter than the input;
    # ours masks every frame at or past each length: the same as torchaudio's layers given that mask.
    ours, theirs = _pair(torchaudio28)
    ours.load_state_dict(theirs.state_dict())
    ours, theirs = ours.double().eval(), theirs.double().eval()
    x, _ = _inputs()
    x = x.double()
    lengths = torch.tensor([15, 11, 4])
    mask = torch.arange(x.shape[1])[None, :] >= lengths[:, None]
    with torch.no_grad():
        got, got_len = ours(x, lengths)
        want = x.transpose(0, 1)
        for layer in theirs.conformer_layers:
            want = layer(want, mask)
    torch.testing.assert_close(got, want.transpose(0, 1), **tolerance_for(torch.float64))
    assert torch.equal(got_len, lengths)


def test_gradients_match_torchaudio(torchaudio28):
    x, lengths = _inputs()
    assert_same_gradients(*_pair(torchaudio28), [x, lengths])


def test_train_mode_dropout_matches_under_same_seed(torchaudio28):
    ours, theirs = _pair(torchaudio28, dropout=0.3)
    ours.load_state_dict(theirs.state_dict())
    x, lengths = _inputs()
    outs = []
    for model in (ours.train(), theirs.train()):
        torch.manual_seed(9)
        outs.append(model(x, lengths)[0])
    torch.testing.assert_close(outs[0], outs[1], **tol("float32"))
    with torch.no_grad():
        assert not torch.allclose(ours.eval()(x, lengths)[0], outs[0])


def test_script_and_round_trips(torchaudio28):
    ours, theirs = _pair(torchaudio28)
    ours.load_state_dict(theirs.state_dict())
    ours.eval()
    x, lengths = _inputs()
    torch.jit.script(theirs)  # torchaudio's scripts: so must ours
    scripted = torch.jit.script(ours)
    with torch.no_grad():
        want = ours(x, lengths)
        got = scripted(x, lengths)
    torch.testing.assert_close(got, want, **tol("float32"))
    assert_round_trips(ours, [x, lengths])


def test_torch_export_and_compile_fullgraph():
    torch.manual_seed(0)
    model = Conformer(**SMALL).eval()
    x, lengths = _inputs()
    with torch.no_grad():
        want, want_len = model(x, lengths)
        exported = torch.export.export(model, (x, lengths)).module()
        got, got_len = exported(x, lengths)
        torch.testing.assert_close(got, want, **tol("float32"))
        assert torch.equal(got_len, want_len)
        # fullgraph=True fails on any graph break; the eager backend keeps the test fast (no code generation).
        got, got_len = torch.compile(model, fullgraph=True, backend="eager")(x, lengths)
        torch.testing.assert_close(got, want, **tol("float32"))
        assert torch.equal(got_len, want_len)


def test_foreign_state_dicts_rejected(torchaudio28):
    other_size = Conformer(**dict(SMALL, ffn_dim=32))
    assert_foreign_state_dicts_rejected(Conformer(**SMALL), torch.nn.Linear(3, 4), other_size)


@pytest.mark.parametrize("scripted", [False, True])
def test_bad_input_shape(scripted):
    model = Conformer(**SMALL)
    model = torch.jit.script(model) if scripted else model
    with pytest.raises((ValueError, torch.jit.Error), match=r"Conformer.*\(batch, frame, 16\).*\[2, 5, 12\]"):
        model(torch.randn(2, 5, 12), torch.tensor([5, 5]))
    with pytest.raises((ValueError, torch.jit.Error), match=r"Conformer.*\(batch, frame, 16\).*\[5, 16\]"):
        model(torch.randn(5, 16), torch.tensor([5]))
    with pytest.raises((ValueError, torch.jit.Error), match=r"Conformer.*lengths.*\[2\].*\[3\]"):
        model(torch.randn(2, 5, 16), torch.tensor([5, 5, 5]))


def test_even_kernel_refused(torchaudio28):
    with pytest.raises(ValueError, match="depthwise_conv_kernel_size must be odd.*got 8"):
        Conformer(**dict(SMALL, depthwise_conv_kernel_size=8))
    with pytest.raises(ValueError, match="odd"):  # torchaudio refuses it too
        torchaudio28.models.Conformer(**dict(SMALL, depthwise_conv_kernel_size=8))


def test_registered():
    import torchsound.models as models
    from torchsound.models import conformer

    assert models.Conformer is conformer.Conformer
    assert "Conformer" in dir(models)
