"""import_fairseq_model on modules built with fairseq's layout and names (fairseq does not install on current
Python): same weights as torchaudio 2.8's importer, and the same outputs as a direct forward written here."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from conftest import tol
from torchsound.models.wav2vec2.utils import import_fairseq_model

# fairseq builds its positional conv with the old weight_norm API (weight_g / weight_v keys), as done here.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated:FutureWarning")

CONV = [(16, 10, 5), (16, 3, 2), (16, 2, 2)]
DIM, HEADS, FFN, LAYERS, KERNEL, GROUPS = 32, 4, 48, 2, 8, 4


class TransposeLast(nn.Module):
    def forward(self, x):
        return x.transpose(-2, -1)


class Fp32GroupNorm(nn.GroupNorm):
    pass


class MultiheadAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.num_heads = HEADS
        self.dropout_module = nn.Dropout(0.0)
        for name in ("k_proj", "v_proj", "q_proj", "out_proj"):
            setattr(self, name, nn.Linear(DIM, DIM))


class TransformerSentenceEncoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.self_attn = MultiheadAttention()
        self.dropout1, self.dropout2, self.dropout3 = nn.Dropout(0.0), nn.Dropout(0.0), nn.Dropout(0.0)
        self.self_attn_layer_norm = nn.LayerNorm(DIM)
        self.fc1, self.fc2 = nn.Linear(DIM, FFN), nn.Linear(FFN, DIM)
        self.final_layer_norm = nn.LayerNorm(DIM)


class TransformerEncoder(nn.Module):
    def __init__(self, layer_norm_first):
        super().__init__()
        conv = nn.Conv1d(DIM, DIM, KERNEL, padding=KERNEL // 2, groups=GROUPS)
        self.pos_conv = nn.Sequential(nn.utils.weight_norm(conv, name="weight", dim=2), nn.Identity(), nn.GELU())
        self.layers = nn.ModuleList(TransformerSentenceEncoderLayer() for _ in range(LAYERS))
        self.layer_norm = nn.LayerNorm(DIM)
        self.layer_norm_first = layer_norm_first
        self.layerdrop = 0.0


def _feature_extractor(mode, bias):
    blocks = []
    in_ch = 1
    for i, (out, k, s) in enumerate(CONV):
        parts = [nn.Conv1d(in_ch, out, k, stride=s, bias=bias), nn.Dropout(0.0)]
        if mode == "group_norm" and i == 0:
            parts.append(Fp32GroupNorm(out, out, affine=True))
        elif mode == "layer_norm":
            parts.append(nn.Sequential(TransposeLast(), nn.LayerNorm(out), TransposeLast()))
        parts.append(nn.GELU())
        blocks.append(nn.Sequential(*parts))
        in_ch = out
    module = nn.Module()
    module.conv_layers = nn.ModuleList(blocks)
    return module


def _pretrained(kind, mode, bias, layer_norm_first):
    """fairseq's Wav2Vec2Model / HubertModel attribute layout, pre-training parts included."""
    model = type(kind, (nn.Module,), {})()
    model.feature_extractor = _feature_extractor(mode, bias)
    model.post_extract_proj = nn.Linear(CONV[-1][0], DIM)
    model.dropout_input = nn.Dropout(0.0)
    model.layer_norm = nn.LayerNorm(CONV[-1][0])
    model.mask_emb = nn.Parameter(torch.rand(DIM))
    model.encoder = TransformerEncoder(layer_norm_first)
    model.final_proj = nn.Linear(DIM, 8)
    if kind == "Wav2Vec2Model":
        model.quantizer = nn.Module()
        model.quantizer.vars = nn.Parameter(torch.rand(1, 6, 4))
        model.project_q = nn.Linear(4, 8)
    else:
        model.label_embs_concat = nn.Parameter(torch.rand(5, 8))
    return model


def _finetuned(kind, mode, bias, layer_norm_first):
    encoder = type(kind, (nn.Module,), {})()
    encoder.w2v_model = _pretrained("Wav2Vec2Model" if kind == "Wav2VecEncoder" else "HubertModel", mode, bias,
                                    layer_norm_first)
    encoder.proj = nn.Linear(DIM, 11)
    return encoder


def _randomise(model):
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model


CASES = [
    ("Wav2Vec2Model", "group_norm", False, False),
    ("HubertModel", "layer_norm", True, True),
    ("Wav2VecEncoder", "layer_norm", True, True),
    ("HubertEncoder", "group_norm", False, False),
]


@pytest.mark.parametrize("kind,mode,bias,layer_norm_first", CASES)
def test_weights_equal_torchaudio_importer(torchaudio28, kind, mode, bias, layer_norm_first):
    build = _finetuned if kind.endswith("Encoder") else _pretrained
    original = _randomise(build(kind, mode, bias, layer_norm_first))
    got = import_fairseq_model(original)
    want = torchaudio28.models.wav2vec2.utils.import_fairseq_model(original)
    assert list(got.state_dict()) == list(want.state_dict())
    torch.testing.assert_close(dict(got.state_dict()), dict(want.state_dict()), rtol=0, atol=0)
    assert (got.aux is None) == (not kind.endswith("Encoder"))


def _fairseq_forward(model, wave):
    """The pre-trained model's forward written directly from fairseq's modules (eval, no masking)."""
    x = wave.unsqueeze(1)
    for block in model.feature_extractor.conv_layers:
        x = block(x)
    x = model.layer_norm(x.transpose(1, 2))
    x = model.post_extract_proj(x)
    enc = model.encoder
    pos = enc.pos_conv(x.transpose(1, 2))[..., :-1].transpose(1, 2)  # even kernel: drop the extra frame
    x = x + pos
    if not enc.layer_norm_first:
        x = enc.layer_norm(x)
    for layer in enc.layers:
        att = layer.self_attn
        residual = x
        h = layer.self_attn_layer_norm(x) if enc.layer_norm_first else x
        q, k, v = (p(h).unflatten(-1, (HEADS, -1)).transpose(1, 2) for p in (att.q_proj, att.k_proj, att.v_proj))
        w = torch.softmax(q @ k.transpose(-1, -2) / (DIM // HEADS) ** 0.5, dim=-1)
        h = att.out_proj((w @ v).transpose(1, 2).flatten(2))
        x = residual + h
        if enc.layer_norm_first:
            x = x + layer.fc2(torch.nn.functional.gelu(layer.fc1(layer.final_layer_norm(x))))
        else:
            x = layer.self_attn_layer_norm(x)
            x = layer.final_layer_norm(x + layer.fc2(torch.nn.functional.gelu(layer.fc1(x))))
    if enc.layer_norm_first:
        x = enc.layer_norm(x)
    return x


@pytest.mark.parametrize("kind,mode,bias,layer_norm_first", [c for c in CASES if not c[0].endswith("Encoder")])
def test_outputs_equal_direct_forward(kind, mode, bias, layer_norm_first):
    original = _randomise(_pretrained(kind, mode, bias, layer_norm_first)).double().eval()
    imported = import_fairseq_model(original).double().eval()
    wave = torch.randn(2, 1600, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(imported(wave)[0], _fairseq_forward(original, wave), **tol("float64"))


def test_errors():
    with pytest.raises(ValueError, match="original must be a fairseq Wav2Vec2Model, .*; got Linear"):
        import_fairseq_model(nn.Linear(2, 2))
    original = _pretrained("Wav2Vec2Model", "group_norm", False, False)
    original.target_glu = nn.Linear(2, 2)
    with pytest.raises(ValueError, match=r"unexpected key 'target_glu.weight'"):
        import_fairseq_model(original)
