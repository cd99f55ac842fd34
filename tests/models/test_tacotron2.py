"""Tacotron2 against torchaudio 2.8's own model (the oracle) on the same weights and the same random draws.

The pre-net's dropout is on in eval mode too, so every comparison seeds the global generator before each call:
equal outputs then also prove that both draw the same dropout masks in the same order.
"""

import copy
import io
import pickle
import warnings

import pytest
import torch

from _model_oracle import assert_same_layout, load_both_ways, tolerance_for
from torchsound.models import Tacotron2

SMALL = dict(
    n_mels=6,
    n_symbol=10,
    symbol_embedding_dim=8,
    encoder_embedding_dim=8,
    decoder_rnn_dim=12,
    decoder_max_step=30,
    attention_rnn_dim=10,
    attention_hidden_dim=6,
    attention_location_n_filter=4,
    attention_location_kernel_size=5,
    prenet_dim=7,
    postnet_embedding_dim=9,
)
TOKENS = torch.tensor([[1, 4, 2, 9, 3], [5, 5, 1, 7, 0], [8, 2, 6, 0, 0]])
TOKEN_LENGTHS = torch.tensor([5, 4, 3])  # decreasing, as torchaudio requires


def _pair(torchaudio28, dtype=torch.float32, scale=0.7, **overrides):
    """The oracle with random weights (scaled so that the stop gate moves) and ours with the same weights."""
    config = dict(SMALL, **overrides)
    torch.manual_seed(0)
    theirs = torchaudio28.models.Tacotron2(**config)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn_like(p) * scale)
    ours = Tacotron2(**config)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours.to(dtype), theirs.to(dtype)


def _seeded(fn, *args, seed=3):
    torch.manual_seed(seed)
    return fn(*args)


def _mel(n_batch=3, n_frames=7, dtype=torch.float32):
    return torch.randn(n_batch, SMALL["n_mels"], n_frames, generator=torch.Generator().manual_seed(1), dtype=dtype)


def test_layout_full_size(torchaudio28):
    with torch.device("meta"):
        assert_same_layout(Tacotron2(), torchaudio28.models.Tacotron2())
        config = dict(n_mels=40, n_symbol=38, encoder_n_convolution=2, postnet_n_convolution=3, prenet_dim=128)
        assert_same_layout(Tacotron2(**config), torchaudio28.models.Tacotron2(**config))


def test_state_dict_loads_both_ways(torchaudio28):
    load_both_ways(Tacotron2(**SMALL), torchaudio28.models.Tacotron2(**SMALL))


def test_initial_weights_equal_under_the_same_seed(torchaudio28):
    torch.manual_seed(5)
    theirs = torchaudio28.models.Tacotron2(**SMALL)
    torch.manual_seed(5)
    ours = Tacotron2(**SMALL)
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("mask_padding", [False, True])
def test_forward_matches_torchaudio(torchaudio28, dtype, mask_padding):
    ours, theirs = _pair(torchaudio28, dtype, mask_padding=mask_padding)
    ours.eval(), theirs.eval()
    mel, mel_lengths = _mel(dtype=dtype), torch.tensor([7, 6, 4])
    with torch.no_grad():
        got = _seeded(ours, TOKENS, TOKEN_LENGTHS, mel, mel_lengths)
        want = _seeded(theirs, TOKENS, TOKEN_LENGTHS, mel, mel_lengths)
    torch.testing.assert_close(got, want, **tolerance_for(dtype))
    assert [tuple(x.shape) for x in got] == [(3, 6, 7), (3, 6, 7), (3, 7), (3, 7, 5)]
    if mask_padding:
        assert (got[1][2, :, 4:] == 0).all() and (got[2][2, 4:] == 1e3).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("early_stopping", [True, False])
def test_infer_matches_torchaudio(torchaudio28, dtype, early_stopping):
    # With these weights the three items stop at different steps before decoder_max_step (checked below).
    ours, theirs = _pair(torchaudio28, dtype, decoder_early_stopping=early_stopping, gate_threshold=0.75)
    ours.eval(), theirs.eval()
    with torch.no_grad(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        want = _seeded(theirs.infer, TOKENS, TOKEN_LENGTHS, seed=0)
        got = _seeded(ours.infer, TOKENS, TOKEN_LENGTHS, seed=0)
    mel, lengths, alignments = got
    assert lengths.dtype == want[1].dtype == torch.int32
    torch.testing.assert_close(lengths, want[1], rtol=0, atol=0)
    assert len(set(lengths.tolist())) == 3 and int(lengths.max()) < SMALL["decoder_max_step"]
    torch.testing.assert_close(mel, want[0], **tolerance_for(dtype))
    torch.testing.assert_close(alignments, want[2], **tolerance_for(dtype))
    n_steps = int(lengths.max()) if early_stopping else SMALL["decoder_max_step"]
    assert mel.shape == (3, SMALL["n_mels"], n_steps) and alignments.shape == (3, n_steps, 5)
    # Without early stopping both run to the step limit and both warn about it.
    assert len([w for w in caught if "Reached max decoder steps" in str(w.message)]) == (0 if early_stopping else 2)


def test_device_and_dtype_follow_the_model(torchaudio28, device):
    """On every available device (CUDA where present) outputs stay there and equal torchaudio's under one seed."""
    ours, theirs = _pair(torchaudio28, gate_threshold=0.75)
    ours, theirs = ours.to(device).eval(), theirs.to(device).eval()
    tokens, lengths, mel = TOKENS.to(device), TOKEN_LENGTHS.to(device), _mel().to(device)
    mel_lengths = torch.tensor([7, 6, 4], device=device)
    with torch.no_grad():
        got = _seeded(ours, tokens, lengths, mel, mel_lengths) + _seeded(ours.infer, tokens, lengths)
        want = _seeded(theirs, tokens, lengths, mel, mel_lengths) + _seeded(theirs.infer, tokens, lengths)
    assert all(x.device == mel.device for x in got)
    assert [x.dtype for x in got] == [torch.float32] * 5 + [torch.int32, torch.float32]
    torch.testing.assert_close(got, want, **tolerance_for(torch.float32))


def test_two_frames_per_step_match_torchaudio(torchaudio28):
    """n_frames_per_step=2 (documented as unsupported, but defined): torchaudio's forward only runs when the
    target's time axis is the innermost in memory (it uses ``view``); ours takes any layout and gives the same."""
    ours, theirs = _pair(torchaudio28, torch.float64, n_frames_per_step=2, gate_threshold=0.75)
    ours.eval(), theirs.eval()
    frames_first = torch.randn(3, 8, SMALL["n_mels"], dtype=torch.float64)
    mel, mel_lengths = frames_first.transpose(1, 2), torch.tensor([8, 6, 4])
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            _seeded(theirs, TOKENS, TOKEN_LENGTHS, mel.contiguous(), mel_lengths)
        want = _seeded(theirs, TOKENS, TOKEN_LENGTHS, mel, mel_lengths)
        got = _seeded(ours, TOKENS, TOKEN_LENGTHS, mel.contiguous(), mel_lengths)
        torch.testing.assert_close(got, want, **tolerance_for(torch.float64))
        assert got[0].shape == (3, SMALL["n_mels"], 8) and got[2].shape == (3, 4)
        torch.testing.assert_close(
            _seeded(ours.infer, TOKENS, TOKEN_LENGTHS),
            _seeded(theirs.infer, TOKENS, TOKEN_LENGTHS),
            **tolerance_for(torch.float64),
        )


def test_infer_without_lengths_matches_torchaudio(torchaudio28):
    ours, theirs = _pair(torchaudio28, torch.float64, decoder_max_step=12)
    ours.eval(), theirs.eval()
    tokens = TOKENS[:, :4]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = _seeded(theirs.infer, tokens)
        got = _seeded(ours.infer, tokens)
    torch.testing.assert_close(got, want, **tolerance_for(torch.float64))


def test_gradients_match_torchaudio(torchaudio28):
    """Train mode, default dropouts: the same seed gives the same masks, so the gradients equal per parameter."""
    ours, theirs = _pair(torchaudio28, torch.float64, scale=0.3)
    mel, mel_lengths = _mel(dtype=torch.float64), torch.tensor([7, 6, 4])
    grads = []
    for model in (ours.train(), theirs.train()):
        model.zero_grad()
        target = mel.clone().requires_grad_(True)
        outputs = _seeded(model, TOKENS, TOKEN_LENGTHS, target, mel_lengths)
        loss = sum(
            (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)).sum() for out in outputs
        )
        loss.backward()
        grads.append([target.grad] + [p.grad for p in model.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, **tolerance_for(torch.float64))


def test_mask_padding_trains(torchaudio28):
    """torchaudio fills the masked outputs in place, which breaks its own backward pass; ours trains, and masking
    only zeroes the gradient of the padded frames."""
    masked, theirs = _pair(torchaudio28, torch.float64, scale=0.3, mask_padding=True)
    plain = Tacotron2(**SMALL).double()
    plain.load_state_dict(masked.state_dict())
    mel, mel_lengths = _mel(dtype=torch.float64), torch.tensor([7, 6, 4])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _seeded(theirs.train(), TOKENS, TOKEN_LENGTHS, mel, mel_lengths)[1].sum().backward()
    keep = (torch.arange(7) < mel_lengths[:, None]).double().unsqueeze(1)  # (n_batch, 1, n_frames)
    grads = []
    for model, weight in ((masked.train(), 1.0), (plain.train(), keep)):
        model.zero_grad()
        out = _seeded(model, TOKENS, TOKEN_LENGTHS, mel, mel_lengths)
        (out[1] * weight).sum().backward()
        grads.append([p.grad for p in model.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, **tolerance_for(torch.float64))


def test_unsorted_lengths_accepted():
    """torchaudio needs token lengths in decreasing order; ours also takes them in any order (same encoding)."""
    model = Tacotron2(**SMALL).double().eval()
    order = torch.tensor([2, 0, 1])
    with torch.no_grad():
        sorted_memory = model.encoder(model.embedding(TOKENS).transpose(1, 2), TOKEN_LENGTHS)
        shuffled = model.encoder(model.embedding(TOKENS[order]).transpose(1, 2), TOKEN_LENGTHS[order])
    torch.testing.assert_close(shuffled, sorted_memory[order], **tolerance_for(torch.float64))


def test_script_matches_eager(torchaudio28):
    ours, theirs = _pair(torchaudio28, gate_threshold=0.75)
    torch.jit.script(theirs)  # torchaudio's scripts, so ours must
    ours.eval()
    scripted = torch.jit.script(ours)
    mel, mel_lengths = _mel(), torch.tensor([7, 6, 4])
    with torch.no_grad():
        torch.testing.assert_close(
            _seeded(scripted, TOKENS, TOKEN_LENGTHS, mel, mel_lengths),
            _seeded(ours, TOKENS, TOKEN_LENGTHS, mel, mel_lengths),
            **tolerance_for(torch.float32),
        )
        torch.testing.assert_close(
            _seeded(scripted.infer, TOKENS, TOKEN_LENGTHS), _seeded(ours.infer, TOKENS, TOKEN_LENGTHS), rtol=0, atol=0
        )


def test_round_trips(torchaudio28):
    model, _ = _pair(torchaudio28, gate_threshold=0.75)
    model.eval()
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    copies = [pickle.loads(pickle.dumps(model)), copy.deepcopy(model), torch.load(buffer, weights_only=False)]
    with torch.no_grad():
        want = _seeded(model.infer, TOKENS, TOKEN_LENGTHS)
        for other in copies:
            torch.testing.assert_close(_seeded(other.infer, TOKENS, TOKEN_LENGTHS), want, rtol=0, atol=0)


def test_bad_shapes_raise():
    model = Tacotron2(**SMALL).eval()
    mel, mel_lengths = _mel(), torch.tensor([7, 6, 4])
    with pytest.raises(ValueError, match=r"Tacotron2: expected tokens of shape \(n_batch, n_text\), got \[15\]"):
        model(TOKENS.flatten(), TOKEN_LENGTHS, mel, mel_lengths)
    with pytest.raises(ValueError, match=r"Tacotron2: expected token_lengths of shape \(n_batch,\) = \[3\], got \[2\]"):
        model(TOKENS, TOKEN_LENGTHS[:2], mel, mel_lengths)
    with pytest.raises(ValueError, match=r"expected mel_specgram of shape .* = \[3, 6, n_frames\], got \[3, 5, 7\]"):
        model(TOKENS, TOKEN_LENGTHS, mel[:, :5], mel_lengths)
    with pytest.raises(ValueError, match=r"expected mel_specgram_lengths of shape \(n_batch,\) = \[3\], got \[3, 1\]"):
        model(TOKENS, TOKEN_LENGTHS, mel, mel_lengths[:, None])
    with pytest.raises(ValueError, match=r"Tacotron2: expected tokens of shape \(n_batch, n_text\), got \[1, 3, 5\]"):
        model.infer(TOKENS[None])
    with pytest.raises(ValueError, match=r"Tacotron2: expected lengths of shape \(n_batch,\) = \[3\], got \[4\]"):
        model.infer(TOKENS, torch.tensor([5, 4, 3, 2]))
    with pytest.raises(ValueError, match=r"expected lengths between 1 and n_text = 5, got values from 3 to 6"):
        model.infer(TOKENS, torch.tensor([6, 4, 3]))
    with pytest.raises(ValueError, match=r"expected token_lengths between 1 and n_text = 5, got values from 0 to 5"):
        model(TOKENS, torch.tensor([5, 4, 0]), mel, mel_lengths)
    # torch.jit.script keeps the checks.
    with pytest.raises(torch.jit.Error, match=r"expected lengths between 1 and n_text = 5"):
        torch.jit.script(model).infer(TOKENS, torch.tensor([6, 4, 3]))


def test_mask_padding_with_lengths_shorter_than_the_target(torchaudio28):
    """torchaudio's mask is max(mel_specgram_lengths) wide and fails to broadcast when the target is longer; ours
    masks every frame past each length, i.e. the unmasked outputs with the padded frames set."""
    masked, theirs = _pair(torchaudio28, torch.float64, mask_padding=True)
    plain = Tacotron2(**SMALL).double().eval()
    plain.load_state_dict(masked.state_dict())
    mel, mel_lengths = _mel(dtype=torch.float64), torch.tensor([6, 6, 4])
    pad = torch.arange(7) >= mel_lengths[:, None]
    with torch.no_grad():
        with pytest.raises(RuntimeError, match=r"size of tensor a \(7\) must match the size of tensor b \(6\)"):
            _seeded(theirs.eval(), TOKENS, TOKEN_LENGTHS, mel, mel_lengths)
        got = _seeded(masked.eval(), TOKENS, TOKEN_LENGTHS, mel, mel_lengths)
        want = list(_seeded(plain, TOKENS, TOKEN_LENGTHS, mel, mel_lengths))
    want[0] = want[0].masked_fill(pad[:, None], 0.0)
    want[1] = want[1].masked_fill(pad[:, None], 0.0)
    want[2] = want[2].masked_fill(pad, 1e3)
    torch.testing.assert_close(list(got), want, rtol=0, atol=0)
