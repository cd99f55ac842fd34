"""The oneDNN inference fast paths of wav2vec2 and Emformer (models/_onednn.py) at widths where they round
differently from torch's plain ops (the small configurations of test_wav2vec2/test_emformer give bit-equal results).

A fast path changes only the summation order, so its float32 error against a float64 evaluation of torchaudio 2.8's
own model must be of the size of torchaudio's float32 error: at most twice it (two float32 evaluations of the same
sums in different orders have errors of the same size; a wrong kernel would be orders of magnitude off).
"""

from __future__ import annotations

import copy
import gc
import pickle

import pytest
import torch
from conftest import tol
from torch.profiler import profile

from torchsound.models import _onednn
from torchsound.models import conformer as ours_conformer
from torchsound.models import conv_tasnet as ours_conv_tasnet
from torchsound.models import emformer as ours_emformer
from torchsound.models import wav2vec2 as ours_w2v

pytestmark = pytest.mark.skipif(not _onednn._AVAILABLE, reason="torch built without oneDNN")

W2V_CONFIG = dict(
    extractor_mode="group_norm", extractor_conv_layer_config=[(128, 10, 5), (128, 3, 2), (128, 2, 2)],
    extractor_conv_bias=False, encoder_embed_dim=256, encoder_projection_dropout=0.0, encoder_pos_conv_kernel=16,
    encoder_pos_conv_groups=4, encoder_num_layers=2, encoder_num_heads=4, encoder_attention_dropout=0.0,
    encoder_ff_interm_features=1024, encoder_ff_interm_dropout=0.0, encoder_dropout=0.0,
    encoder_layer_norm_first=False, encoder_layer_drop=0.0, aux_num_out=None,
)


def _ops(fn):
    """Names of the operators ``fn`` runs."""
    with profile() as prof:
        fn()
    return {event.name for event in prof.events()}


def _w2v_pair(ta):
    torch.manual_seed(0)
    theirs = ta.models.wav2vec2_model(**W2V_CONFIG)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.1 * torch.randn_like(p))
    mine = ours_w2v.wav2vec2_model(**W2V_CONFIG)
    mine.load_state_dict(theirs.state_dict(), strict=True)
    return mine.eval(), theirs.eval()


def _max_err(got, ref):
    return (got.double() - ref).abs().max().item()


def test_wav2vec2_fast_path_is_taken_and_as_accurate_as_torchaudio(torchaudio28):
    mine, theirs = _w2v_pair(torchaudio28)
    wave = torch.randn(2, 4000, generator=torch.Generator().manual_seed(1))
    reference = _w2v_pair(torchaudio28)[1].double()
    with torch.inference_mode():
        ops = _ops(lambda: mine(wave))
        got, _ = mine(wave)
        want, _ = theirs(wave)
        ref, _ = reference(wave.double())
    assert "mkldnn::_linear_pointwise" in ops and "aten::native_group_norm" not in ops  # the norm is folded
    assert not torch.equal(got, want)  # the fast path does run, and rounds differently at this width
    assert _max_err(got, ref) <= 2 * _max_err(want, ref)


def test_wav2vec2_base_at_full_width_as_accurate_as_torchaudio(torchaudio28):
    # The Base model itself (512-channel extractor, 768-wide encoder, 3072-wide feed-forward), where the fast
    # paths' long oneDNN sums are longest, on 0.5 s of speech-like noise with perturbed weights.
    torch.manual_seed(0)
    theirs = torchaudio28.models.wav2vec2_base().eval()
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.02 * torch.randn_like(p))
    mine = ours_w2v.wav2vec2_base().eval()
    mine.load_state_dict(theirs.state_dict(), strict=True)
    reference = copy.deepcopy(theirs).double()
    wave = torch.randn(2, 8000, generator=torch.Generator().manual_seed(4)).cumsum(1) * 0.01
    with torch.inference_mode():
        got, want, ref = mine(wave)[0], theirs(wave)[0], reference(wave.double())[0]
    # oneDNN's products sum each of their 768- to 3,072-term dot products in one chain (BLAS and the convolution
    # in blocks): measured 1.6-1.9x torchaudio's max error for the encoder alone and ~2.0x for the whole model
    # (mean error 1.7x), ~2e-6 of the output's scale. A wrong kernel would be off by orders of magnitude.
    assert _max_err(got, ref) <= 2.5 * _max_err(want, ref)
    assert _max_err(got, ref) <= 2e-5 * ref.abs().max().item()  # the float32 contract


def test_wav2vec2_empty_batch(torchaudio28):
    # The per-waveform extractor loop has nothing to stack for an empty batch: the plain ops take it and give the
    # same empty result as with autograd on (torchaudio 2.8's own model raises in its attention reshape here).
    mine, _ = _w2v_pair(torchaudio28)
    with torch.inference_mode():
        got = mine(torch.zeros(0, 4000))[0]
    with torch.enable_grad():
        plain = mine(torch.zeros(0, 4000))[0]
    assert got.shape == plain.shape == (0, 199, 256)


def test_wav2vec2_plain_ops_with_autograd_float64_or_script(torchaudio28):
    mine, theirs = _w2v_pair(torchaudio28)
    wave = torch.randn(2, 4000, generator=torch.Generator().manual_seed(1))
    with torch.enable_grad():
        assert not any(op.startswith("mkldnn::") for op in _ops(lambda: mine(wave)))
        # Same operators as torchaudio's model: the same float32 result, bit for bit.
        torch.testing.assert_close(mine(wave)[0], theirs(wave)[0], rtol=0, atol=0)
    with torch.inference_mode():
        assert not any(op.startswith("mkldnn::") for op in _ops(lambda: mine.double()(wave.double())))


@pytest.mark.parametrize("mode, bias, offset", [("group_norm", False, 0.0), ("group_norm", True, 0.0),
                                                ("group_norm", True, 3.0), ("layer_norm", True, 0.0)])
def test_wav2vec2_feature_extractor_fast_path_as_accurate_as_torchaudio(torchaudio28, mode, bias, offset):
    # The extractor alone, at the Base model's width and strides, with non-trivial norm affines and conv biases:
    # the folded GroupNorm (including a waveform with a DC offset 3x its spread, where both sides lose digits to
    # the mean) and the per-frame LayerNorm blocks, against a float64 evaluation of torchaudio's own extractor.
    shapes = [(512, 10, 5), (512, 3, 2), (512, 3, 2), (512, 2, 2)]
    torch.manual_seed(0)
    theirs = torchaudio28.models.wav2vec2.components._get_feature_extractor(mode, shapes, bias)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.1 * torch.randn_like(p))
    mine = ours_w2v.components._get_feature_extractor(mode, shapes, bias)
    mine.load_state_dict(theirs.state_dict(), strict=True)
    reference = copy.deepcopy(theirs).double()
    g = torch.Generator().manual_seed(2)
    wave = torch.randn(2, 16000, generator=g) + offset
    lengths = torch.tensor([16000, 9000])
    with torch.inference_mode():
        ops = _ops(lambda: mine(wave, lengths))
        got, got_lengths = mine(wave, lengths)
        want, want_lengths = theirs(wave, lengths)
        ref, _ = reference(wave.double(), lengths)
    assert "mkldnn::_linear_pointwise" in ops and not any("convolution" in op or "group_norm" in op for op in ops)
    assert torch.equal(got_lengths, want_lengths)
    assert got.shape == want.shape and got.is_contiguous()
    # oneDNN's products sum a 1,536-term window in one chain, the convolution in blocks: measured 2.2-2.7x
    # torchaudio's max error here (~3e-5 relative to the output's scale); a wrong fold, tap order or GELU would be
    # off by orders of magnitude. After the encoder the model is within 2x (the test above and the next).
    assert _max_err(got, ref) <= 4 * _max_err(want, ref)


def test_wav2vec2_feature_extractor_unknown_blocks_take_the_plain_path(torchaudio28):
    # A hook, or a norm the fast path does not know, sends the whole stack through the modules themselves.
    shapes = [(64, 10, 5), (64, 3, 2)]
    for change in ("hook", "groups"):
        torch.manual_seed(0)
        theirs = torchaudio28.models.wav2vec2.components._get_feature_extractor("group_norm", shapes, False)
        mine = ours_w2v.components._get_feature_extractor("group_norm", shapes, False)
        mine.load_state_dict(theirs.state_dict(), strict=True)
        for model in (mine, theirs):
            if change == "hook":
                model.conv_layers[1].conv.register_forward_hook(lambda module, args, out: out * 2)
            else:
                norm = torch.nn.GroupNorm(8, 64)
                model.conv_layers[0].layer_norm = norm
        mine.conv_layers[0].layer_norm.load_state_dict(theirs.conv_layers[0].layer_norm.state_dict())
        wave = torch.randn(2, 4000, generator=torch.Generator().manual_seed(1))
        with torch.inference_mode():
            torch.testing.assert_close(mine(wave, None)[0], theirs(wave, None)[0], rtol=0, atol=0)


@pytest.mark.parametrize("kernel, stride, frames", [(3, 2, 2500), (2, 2, 999), (10, 5, 4001), (2, 3, 700), (4, 1, 300)])
@pytest.mark.parametrize("gelu", [False, True])
def test_conv1d_frames_as_accurate_as_conv1d(kernel, stride, frames, gelu):
    # Windows gathered in several chunks (chunk=256 < output frames), tiled (kernel == stride), with gaps
    # (kernel < stride) and overlapping at stride 1; the reference is conv1d in float64. Bound as for one product
    # (test_linear_with_gelu_as_accurate_as_torch): oneDNN sums a window in one chain.
    g = torch.Generator().manual_seed(kernel * 100 + stride)
    x = torch.randn(frames, 96, generator=g)
    w, b = torch.randn(80, 96, kernel, generator=g) * 0.05, torch.randn(80, generator=g)
    with torch.inference_mode():
        def conv(x, w, b):
            y = torch.nn.functional.conv1d(x.t()[None], w, b, stride)[0].t()
            return torch.nn.functional.gelu(y) if gelu else y
        got = _onednn.conv1d_frames(x, w, b, stride, gelu, chunk=256)
        prepared = _onednn.conv1d_frames(x, _onednn.conv1d_frames_weight(w, 256), b, stride, gelu, chunk=256)
        ref, plain = conv(x.double(), w.double(), b.double()), conv(x, w, b)
    assert got.shape == plain.shape == ((frames - kernel) // stride + 1, 80)
    assert torch.equal(prepared, got)
    assert _max_err(got, ref) <= 4 * _max_err(plain, ref)


def _emformer_pair(ta, dtype=torch.float32):
    cfg = dict(input_dim=128, num_heads=4, ffn_dim=512, num_layers=3, segment_length=4, activation="gelu",
               left_context_length=8, right_context_length=1, tanh_on_mem=True)
    torch.manual_seed(0)
    theirs = ta.models.Emformer(**cfg)
    mine = ours_emformer.Emformer(**cfg)
    mine.load_state_dict(theirs.state_dict(), strict=True)
    return mine.eval().to(dtype), theirs.eval().to(dtype)


def _stream(model, x):
    states, outs = None, []
    for start in range(0, x.shape[1] - 5 + 1, 4):
        out, _, states = model.infer(x[:, start : start + 5], torch.tensor([5]), states)
        outs.append(out)
    return torch.cat(outs, 1)


@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_emformer_streaming_fast_path_as_accurate_as_torchaudio(torchaudio28, activation):
    mine, theirs = _emformer_pair(torchaudio28)
    reference = _emformer_pair(torchaudio28, torch.float64)[1]
    if activation == "relu":  # the unfused activation branch
        for model in (mine, theirs, reference):
            for layer in model.emformer_layers:
                layer.pos_ff[2] = torch.nn.ReLU()
    x = torch.randn(1, 41, 128, generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        assert "mkldnn::_linear_pointwise" in _ops(lambda: _stream(mine, x))
        got, want, ref = _stream(mine, x), _stream(theirs, x), _stream(reference, x.double())
    assert _max_err(got, ref) <= 2 * _max_err(want, ref)


@pytest.mark.parametrize("convolution_first", [False, True])
def test_conformer_fast_path_as_accurate_as_torchaudio(torchaudio28, convolution_first):
    # SiLU fused into the feed-forward's first product (oneDNN's "swish"), at the benchmark's width.
    cfg = dict(input_dim=80, num_heads=4, ffn_dim=320, num_layers=2, depthwise_conv_kernel_size=31,
               convolution_first=convolution_first)
    torch.manual_seed(0)
    theirs = torchaudio28.models.Conformer(**cfg).eval()
    mine = ours_conformer.Conformer(**cfg).eval()
    mine.load_state_dict(theirs.state_dict(), strict=True)
    reference = copy.deepcopy(theirs).double()
    x = torch.randn(2, 300, 80, generator=torch.Generator().manual_seed(6))
    lengths = torch.tensor([300, 240])
    with torch.inference_mode():
        with profile() as prof:
            mine(x, lengths)
        got, want, ref = mine(x, lengths)[0], theirs(x, lengths)[0], reference(x.double(), lengths)[0]
    names = [event.name for event in prof.events()]
    # 2 feed-forwards x 2 products per layer; the only SiLU left is the convolution module's
    assert names.count("mkldnn::_linear_pointwise") == 8 and names.count("aten::silu") == 2
    assert _max_err(got, ref) <= 2 * _max_err(want, ref)


@pytest.mark.parametrize("kernel, padding, dilation, bias", [(3, 1, 1, True), (3, 8, 8, True), (3, 0, 2, False),
                                                          (4, 3, 2, True), (5, 7, 1, True), (2, 0, 1, True)])
def test_depthwise_conv1d_as_accurate_as_conv1d(kernel, padding, dilation, bias):
    # 'same' padding (centre tap starts the sum), no padding, more padding than the kernel reaches (output
    # frames read only zeros at the ends), even kernels; the reference is conv1d in float64.
    g = torch.Generator().manual_seed(kernel * 10 + padding)
    conv = torch.nn.Conv1d(48, 48, kernel, padding=padding, dilation=dilation, groups=48, bias=bias)
    x = torch.randn(2, 48, 300, generator=g)
    with torch.inference_mode():
        got = _onednn.depthwise_conv1d(x, conv)
        plain = conv(x)
        ref = torch.nn.functional.conv1d(x.double(), conv.weight.double(),
                                         None if conv.bias is None else conv.bias.double(), 1, padding, dilation, 48)
    assert got.shape == plain.shape
    assert _max_err(got, ref) <= 2 * _max_err(plain, ref) + 1e-7


def test_depthwise_conv1d_declines_other_convolutions():
    x = torch.randn(1, 8, 50)
    for conv in (torch.nn.Conv1d(8, 8, 3, groups=2), torch.nn.Conv1d(8, 8, 3, stride=2, groups=8),
                 torch.nn.Conv1d(8, 8, 3, padding=1, padding_mode="reflect", groups=8),
                 torch.nn.Conv1d(8, 8, 3, padding="same", groups=8)):
        assert _onednn.depthwise_conv1d(x, conv) is None
    hooked = torch.nn.Conv1d(8, 8, 3, groups=8)
    hooked.register_forward_hook(lambda module, args, out: out * 2)
    assert _onednn.depthwise_conv1d(x, hooked) is None


def test_conv_tasnet_fast_path_as_accurate_as_torchaudio(torchaudio28):
    # The Base model's width (512 hidden, 128 bottleneck, dilations up to 128), 0.5 s at 8 kHz.
    torch.manual_seed(0)
    theirs = torchaudio28.models.conv_tasnet_base().eval()
    mine = ours_conv_tasnet.conv_tasnet_base().eval()
    mine.load_state_dict(theirs.state_dict(), strict=True)
    reference = copy.deepcopy(theirs).double()
    x = torch.randn(1, 1, 4000, generator=torch.Generator().manual_seed(7))
    with torch.inference_mode():
        ops = _ops(lambda: mine(x))
        got, want, ref = mine(x), theirs(x), reference(x.double())
    assert "aten::addcmul_" in ops
    assert _max_err(got, ref) <= 2 * _max_err(want, ref)


def test_cat_frames_skips_empty_parts():
    a, b = torch.randn(3, 2, 4), torch.randn(2, 2, 4)
    empty = a[:0]
    assert ours_emformer._cat_frames([empty, a, empty]) is a
    assert torch.equal(ours_emformer._cat_frames([a, empty, b]), torch.cat([a, b]))
    assert ours_emformer._cat_frames([empty, empty]).shape == (0, 2, 4)


def test_linear_with_gelu_as_accurate_as_torch():
    # One product (K = 768) has no later layers to average rounding out: oneDNN's K blocking gives up to ~2.6x
    # F.linear's max error here (measured, 7e-7 vs 2.7e-7 on unit-scale outputs); 4x bounds that, and a wrong
    # kernel or a tanh-approximated GELU would be far off.
    g = torch.Generator().manual_seed(0)
    x, w, b = torch.randn(64, 768, generator=g), torch.randn(3072, 768, generator=g) * 0.03, torch.randn(3072, generator=g)
    with torch.no_grad():
        for gelu in (False, True):
            ref = torch.nn.functional.linear(x.double(), w.double(), b.double())
            ref = torch.nn.functional.gelu(ref) if gelu else ref
            plain = torch.nn.functional.linear(x, w, b)
            plain = torch.nn.functional.gelu(plain) if gelu else plain
            assert _max_err(_onednn.linear(x, w, b, "gelu" if gelu else "none"), ref) <= 4 * _max_err(plain, ref)


def test_packed_weight_kept_remade_on_change_and_budgeted(monkeypatch):
    monkeypatch.setattr(_onednn, "_PACKED", {})
    monkeypatch.setattr(_onednn, "_packed_bytes", 0)
    g = torch.Generator().manual_seed(5)
    layer = torch.nn.Linear(96, 200)
    x = torch.randn(30, 96, generator=g)
    with torch.no_grad():
        first = _onednn.packed_weight(layer.weight, 30)
        assert first is not layer.weight and _onednn.packed_weight(layer.weight, 30) is first  # kept
        assert _onednn._packed_bytes == 96 * 200 * 4
        torch.testing.assert_close(_onednn.apply(layer, x), torch.nn.functional.linear(x, layer.weight, layer.bias),
                                   **tol("float32"))
        # In place (as load_state_dict and optimizers do): the version counter moves and the copy is remade.
        layer.weight.mul_(-2.0)
        torch.testing.assert_close(_onednn.apply(layer, x), torch.nn.functional.linear(x, layer.weight, layer.bias),
                                   **tol("float32"))
        assert _onednn.packed_weight(layer.weight, 30) is not first
        # A new tensor in the module: packed anew; the old one, once gone, gives its bytes back.
        layer.weight = torch.nn.Parameter(torch.randn(200, 96, generator=g))
        torch.testing.assert_close(_onednn.apply(layer, x), torch.nn.functional.linear(x, layer.weight, layer.bias),
                                   **tol("float32"))
        gc.collect()
        assert len(_onednn._PACKED) == 1 and _onednn._packed_bytes == 96 * 200 * 4
        # Past the budget nothing more is kept: the plain weight is multiplied.
        monkeypatch.setenv("TORCHSOUND_PACKED_WEIGHTS_MB", "0.1")
        other = torch.nn.Linear(96, 400)
        assert _onednn.packed_weight(other.weight, 30) is other.weight
        # ... unless a kept copy is stale (its weight changed since, or moved): it makes room.
        layer.weight.add_(1.0)
        smaller = torch.nn.Linear(96, 100)
        assert _onednn.packed_weight(smaller.weight, 30) is not smaller.weight
        assert list(_onednn._PACKED) == [id(smaller.weight)] and _onednn._packed_bytes == 96 * 100 * 4
        del smaller
        torch.testing.assert_close(_onednn.apply(other, x), torch.nn.functional.linear(x, other.weight, other.bias),
                                   **tol("float32"))
    del layer
    gc.collect()
    assert not _onednn._PACKED and _onednn._packed_bytes == 0


def test_packed_weights_stay_out_of_state_dict_pickle_and_copies(torchaudio28):
    mine, _ = _w2v_pair(torchaudio28)
    wave = torch.randn(1, 4000, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        want, _ = mine(wave)
    keys = set(mine.state_dict())
    for other in (copy.deepcopy(mine), pickle.loads(pickle.dumps(mine))):
        assert set(other.state_dict()) == keys
        with torch.inference_mode():
            assert torch.equal(other(wave)[0], want)
