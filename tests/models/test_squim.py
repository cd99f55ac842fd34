"""SQUIM objective and subjective models against torchaudio 2.8's own models (the oracle) on the same weights."""

import math

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
from torchsound.models import (
    SquimObjective,
    SquimSubjective,
    squim_objective_base,
    squim_objective_model,
    squim_subjective_base,
    squim_subjective_model,
    wav2vec2_model,
)
from torchsound.models.squim import objective as ours_objective
from torchsound.models.squim import subjective as ours_subjective

SMALL = dict(feat_dim=8, win_len=8, d_model=8, nhead=2, hidden_dim=6, num_blocks=2, rnn_type="LSTM", chunk_size=5)

# A tiny wav2vec 2.0 (two conv blocks, 2 layers, 16 wide): hop 10 samples; dropouts off so train mode is deterministic.
W2V = dict(
    extractor_mode="group_norm", extractor_conv_layer_config=[(16, 10, 5), (16, 3, 2)], extractor_conv_bias=False,
    encoder_embed_dim=16, encoder_projection_dropout=0.0, encoder_pos_conv_kernel=4, encoder_pos_conv_groups=4,
    encoder_num_layers=2, encoder_num_heads=2, encoder_attention_dropout=0.0, encoder_ff_interm_features=24,
    encoder_ff_interm_dropout=0.0, encoder_dropout=0.0, encoder_layer_norm_first=False, encoder_layer_drop=0.0,
    aux_num_out=None,
)


def _randomize(model, scale=0.5):
    # Random weights everywhere (PReLU slopes, norm affines, the auto-pool alpha), so that every parameter matters.
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * scale)
    return model


class _Stacked(torch.nn.Module):
    """The objective scores as one tensor, for the shared gradient check."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.stack(self.model(x))


def _subjective_pair(ta, proj_dim=4, att_dim=7):
    theirs = ta.models.SquimSubjective(
        ta.models.wav2vec2_model(**W2V),
        torch.nn.Linear(16, proj_dim),
        ta.models.squim.subjective.Predictor(2 * proj_dim, att_dim),
    )
    ours = SquimSubjective(
        wav2vec2_model(**W2V), torch.nn.Linear(16, proj_dim), ours_subjective.Predictor(2 * proj_dim, att_dim)
    )
    return ours, _randomize(theirs, 0.2)


# ---------------------------------------------------------------------------------------------- layout


def test_layout_full_size(torchaudio28):
    with torch.device("meta"):
        assert_same_layout(squim_objective_base(), torchaudio28.models.squim_objective_base())
        assert_same_layout(squim_subjective_base(), torchaudio28.models.squim_subjective_base())
        assert_same_layout(
            squim_subjective_model("wav2vec2_large", 1024, 32, 5),
            torchaudio28.models.squim_subjective_model("wav2vec2_large", 1024, 32, 5),
        )


@pytest.mark.parametrize("rnn_type", ["RNN", "LSTM", "GRU"])
def test_layout_and_loading_small(torchaudio28, rnn_type):
    config = dict(SMALL, rnn_type=rnn_type, num_blocks=3)
    ours, theirs = squim_objective_model(**config), torchaudio28.models.squim_objective_model(**config)
    assert_same_layout(ours, theirs)
    load_both_ways(ours, theirs)
    ours, theirs = _subjective_pair(torchaudio28)
    assert_same_layout(ours, theirs)
    load_both_ways(ours, theirs)


def test_pesq_range_and_configuration(torchaudio28):
    theirs = torchaudio28.models.squim.objective
    assert ours_objective.PESQRange == theirs.PESQRange
    for x in (-0.5, 0.0, 1.7, 4.5):
        assert ours_objective.transform_wb_pesq_range(x) == theirs.transform_wb_pesq_range(x)
    with torch.device("meta"):
        model = squim_objective_base()
    assert isinstance(model, SquimObjective)
    assert (model.dprnn.chunk_size, model.dprnn.chunk_stride) == (71, 35)
    assert [type(b[2][-1]).__name__ for b in model.branches] == ["RangeSigmoid", "RangeSigmoid", "Linear"]
    assert model.branches[1][2][-1].val_range == theirs.PESQRange


# ---------------------------------------------------------------------------------------------- objective numerics


# Chunk sizes odd and even, default and explicit strides; lengths giving frame counts that need padding or not.
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    "rnn_type,chunk_size,chunk_stride,length",
    [("LSTM", 5, None, 200), ("GRU", 6, None, 204), ("RNN", 6, 2, 180), ("LSTM", 7, 5, 97), ("LSTM", 4, None, 8)],
)
def test_objective_outputs_match_torchaudio(torchaudio28, dtype, rnn_type, chunk_size, chunk_stride, length):
    config = dict(SMALL, rnn_type=rnn_type, chunk_size=chunk_size, chunk_stride=chunk_stride)
    theirs = _randomize(torchaudio28.models.squim_objective_model(**config))
    x = torch.randn(3, length)
    scores = assert_same_outputs(squim_objective_model(**config), theirs, [x], dtype)
    assert [s.shape for s in scores] == [(3,)] * 3
    assert all(s.dtype == dtype for s in scores)
    low, high = ours_objective.PESQRange
    assert bool(((scores[0] >= 0) & (scores[0] <= 1)).all()) and bool(((scores[1] >= low) & (scores[1] <= high)).all())


def test_objective_base_matches_torchaudio(torchaudio28):
    # The published configuration (odd chunk 71, stride 35) on 0.2 s at 16 kHz: ~100 frames, several chunks.
    torch.manual_seed(1)
    theirs = torchaudio28.models.squim_objective_base()
    assert_same_outputs(squim_objective_base(), theirs, [torch.randn(1, 3200)], torch.float32)


def test_objective_level_invariant():
    # The input is normalised to a fixed RMS: a gain changes nothing (up to rounding).
    model = _randomize(squim_objective_model(**SMALL)).double().eval()
    x = torch.randn(2, 300, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(model(x * 37.0), model(x), **tolerance_for(torch.float64))


def test_objective_gradients_match_torchaudio(torchaudio28):
    theirs = _Stacked(_randomize(torchaudio28.models.squim_objective_model(**SMALL)))
    assert_same_gradients(_Stacked(squim_objective_model(**SMALL)), theirs, [torch.randn(2, 150)])


def test_objective_batch_equals_loop():
    model = _randomize(squim_objective_model(**SMALL)).double().eval()
    x = torch.randn(3, 160, dtype=torch.float64)
    with torch.no_grad():
        whole = torch.stack(model(x))
        items = torch.cat([torch.stack(model(x[i : i + 1])) for i in range(3)], dim=1)
    torch.testing.assert_close(whole, items, **tolerance_for(torch.float64))


def test_objective_empty_batch():
    # No items, no scores (torchaudio 2.8 fails here: its chunking infers a size from zero elements).
    model = squim_objective_model(**SMALL).eval()
    with torch.no_grad():
        scores = model(torch.randn(0, 100))
    assert [s.shape for s in scores] == [(0,)] * 3


def test_objective_script_and_round_trips(torchaudio28):
    torch.jit.script(torchaudio28.models.squim_objective_model(**SMALL))  # torchaudio's scripts, so ours must
    model = _randomize(squim_objective_model(**SMALL)).eval()
    scripted = torch.jit.script(model)
    x = torch.randn(2, 120)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), model(x), **tolerance_for(torch.float32))  # eager may take fused oneDNN kernels
        assert [s.shape for s in scripted(x[:0])] == [(0,)] * 3
    assert_round_trips(model, [x])


@pytest.mark.parametrize("shape", [(120,), (2, 1, 120)])
def test_objective_bad_input_shape(shape):
    shown = str(list(shape)).replace("[", r"\[").replace("]", r"\]")
    with pytest.raises(ValueError, match=rf"SquimObjective: expected input of shape \(batch, time\), got {shown}"):
        squim_objective_model(**SMALL)(torch.randn(shape))


def test_objective_too_short_input():
    with pytest.raises(ValueError, match=r"SquimObjective: input of 7 samples is shorter than the window \(8\)"):
        squim_objective_model(**SMALL)(torch.randn(2, 7))


def test_objective_on_device(torchaudio28, device):
    # The model follows .to(device); its scores there equal torchaudio's on the CPU (float64: rounding only).
    theirs = _randomize(torchaudio28.models.squim_objective_model(**SMALL)).double().eval()
    ours = squim_objective_model(**SMALL)
    ours.load_state_dict(theirs.state_dict())
    ours = ours.double().eval().to(device)
    x = torch.randn(2, 150, dtype=torch.float64)
    with torch.no_grad():
        got, want = ours(x.to(device)), theirs(x)
    assert all(s.device == device for s in got)
    torch.testing.assert_close([s.cpu() for s in got], want, **tolerance_for(torch.float64))


def test_objective_bad_arguments():
    with pytest.raises(ValueError, match="rnn_type must be 'RNN', 'LSTM' or 'GRU'; got 'TCN'"):
        squim_objective_model(**dict(SMALL, rnn_type="TCN"))
    with pytest.raises(ValueError, match=r"chunk_stride must be in 1 .. chunk_size - 1 = 4; got chunk_stride=5"):
        squim_objective_model(**dict(SMALL, chunk_stride=5))
    with pytest.raises(ValueError, match=r"RangeSigmoid: val_range must be a \(low, high\) tuple; got \[0, 1\]"):
        ours_objective.RangeSigmoid([0, 1])


def test_foreign_state_dicts_rejected():
    from torchsound.models import ConvTasNet

    other_arch = ConvTasNet(num_sources=2, enc_kernel_size=4, enc_num_feats=8, msk_num_feats=4,
                            msk_num_hidden_feats=4, msk_num_layers=1, msk_num_stacks=1)
    other_size = squim_objective_model(**dict(SMALL, hidden_dim=7))
    assert_foreign_state_dicts_rejected(squim_objective_model(**SMALL), other_arch, other_size)


# ---------------------------------------------------------------------------------------------- subjective


# A reference shorter than the waveform (looped: 3 and 1.x times), equal, and longer (cut).
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("ref_length", [130, 300, 400, 650])
def test_subjective_outputs_match_torchaudio(torchaudio28, dtype, ref_length):
    ours, theirs = _subjective_pair(torchaudio28)
    waveform, reference = torch.randn(2, 400), torch.randn(2, ref_length)
    score = assert_same_outputs(ours, theirs, [waveform, reference], dtype)
    assert score.shape == (2,) and score.dtype == dtype
    # The predictor's expected class value lies in 0 .. 4, so the MOS lies in 1 .. 5.
    assert bool(((score >= 1) & (score <= 5)).all())


def test_subjective_gradients_match_torchaudio(torchaudio28):
    ours, theirs = _subjective_pair(torchaudio28)
    assert_same_gradients(ours, theirs, [torch.randn(2, 300), torch.randn(2, 170)])


def test_subjective_reference_loops():
    # A reference looped by the model scores like the same reference looped by hand.
    ours = _randomize(SquimSubjective(wav2vec2_model(**W2V), torch.nn.Linear(16, 4), ours_subjective.Predictor(8, 5)))
    ours = ours.double().eval()
    waveform, reference = torch.randn(2, 350, dtype=torch.float64), torch.randn(2, 100, dtype=torch.float64)
    looped = torch.cat([reference] * 4, dim=1)[:, :350]
    with torch.no_grad():
        torch.testing.assert_close(ours(waveform, reference), ours(waveform, looped), rtol=0, atol=0)


def test_predictor_matches_direct_formula():
    # Expected value of att_dim classes evenly spread on 0 .. 4, from an attention-pooled softmax, in float64.
    predictor = _randomize(ours_subjective.Predictor(6, 7)).double()
    x = torch.randn(2, 9, 6, dtype=torch.float64)
    pool = predictor.att_pool_layer
    att = torch.softmax(x @ pool.linear1.weight.T + pool.linear1.bias, dim=1)
    pooled = (att * x).sum(dim=1) @ pool.linear2.weight.T + pool.linear2.bias
    probs = torch.softmax(pooled, dim=1)
    values = torch.linspace(0, 4, 7, dtype=torch.float32).double()  # torchaudio's class values (float32 linspace)
    with torch.no_grad():
        torch.testing.assert_close(predictor(x), (probs * values).sum(dim=1), **tolerance_for(torch.float64))


def test_subjective_script_and_round_trips(torchaudio28):
    _, theirs = _subjective_pair(torchaudio28)
    torch.jit.script(theirs)  # torchaudio's scripts, so ours must
    ours, _ = _subjective_pair(torchaudio28)
    ours = _randomize(ours).eval()
    scripted = torch.jit.script(ours)
    waveform, reference = torch.randn(2, 300), torch.randn(2, 120)
    with torch.no_grad():
        torch.testing.assert_close(scripted(waveform, reference), ours(waveform, reference), **tolerance_for(torch.float32))  # eager may take fused oneDNN kernels
    assert_round_trips(ours, [waveform, reference])


@pytest.mark.parametrize("shapes", [((300,), (2, 100)), ((2, 300), (3, 100)), ((2, 1, 300), (2, 1, 100))])
def test_subjective_bad_input_shapes(shapes):
    model = SquimSubjective(wav2vec2_model(**W2V), torch.nn.Linear(16, 4), ours_subjective.Predictor(8, 5))
    shown = r" and ".join(str(list(s)).replace("[", r"\[").replace("]", r"\]") for s in shapes)
    with pytest.raises(ValueError, match=rf"SquimSubjective: expected waveform \(batch, time\) .* got {shown}"):
        model(torch.randn(shapes[0]), torch.randn(shapes[1]))
    with pytest.raises(ValueError, match=r"SquimSubjective: the reference is empty"):
        model(torch.randn(2, 300), torch.randn(2, 0))


def test_subjective_bad_ssl_type():
    with pytest.raises(ValueError, match="ssl_type must name a model factory of torchsound.models .*got 'wav2vec3'"):
        squim_subjective_model("wav2vec3", 768, 32, 5)


def test_subjective_other_ssl_factory(torchaudio28):
    # torchaudio looks the SSL factory up by name among its models; any of them works, e.g. HuBERT.
    with torch.device("meta"):
        ours = squim_subjective_model("hubert_base", 768, 16, 5)
        theirs = torchaudio28.models.squim_subjective_model("hubert_base", 768, 16, 5)
    assert_same_layout(ours, theirs)
    assert math.isclose(ours.predictor.att_dim, 5)


def test_torchaudio_alias_names(tmp_path):
    # Code written for torchaudio finds the SQUIM names through the alias (in a subprocess: the alias must not reach
    # this process, which imports the torchaudio 2.8 oracle).
    import subprocess
    import sys

    code = (
        "import torchsound, torchsound.compat\n"
        "torchsound.compat.install()\n"
        "import torch, torchaudio\n"
        "from torchaudio.models import SquimObjective, squim_objective_model\n"
        "from torchaudio.models.squim.subjective import SquimSubjective\n"
        "m = squim_objective_model(8, 8, 8, 2, 6, 1, 'GRU', 5)\n"
        "assert isinstance(m, torchsound.models.squim.objective.SquimObjective) and SquimObjective is type(m)\n"
        "assert SquimSubjective is torchsound.models.SquimSubjective\n"
        "print([tuple(s.shape) for s in m(torch.randn(2, 64))])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[(2,), (2,), (2,)]"
