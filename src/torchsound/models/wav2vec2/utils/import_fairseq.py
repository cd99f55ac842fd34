"""Turn a fairseq wav2vec 2.0 / HuBERT model (pre-trained or fine-tuned) into a :class:`Wav2Vec2Model`.

Reads the architecture from fairseq's modules (no fairseq import: it only needs their attribute names) and
renames the state_dict keys to torchaudio's layout.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from torch import Tensor
from torch.nn import Module

from ..model import Wav2Vec2Model, wav2vec2_model

# Pre-training-only parts with no counterpart in Wav2Vec2Model.
_DROPPED = re.compile(r"(mask_emb|quantizer\.|project_q\.|final_proj\.|label_embs_concat)")

# fairseq key (after "w2v_model." is stripped) -> torchaudio key.
_RENAMES: List[Tuple[re.Pattern, str]] = [
    (re.compile(p), r)
    for p, r in [
        (r"feature_extractor\.conv_layers\.0\.2\.(weight|bias)", r"feature_extractor.conv_layers.0.layer_norm.\1"),
        (r"feature_extractor\.conv_layers\.(\d+)\.0\.(weight|bias)", r"feature_extractor.conv_layers.\1.conv.\2"),
        (r"feature_extractor\.conv_layers\.(\d+)\.2\.1\.(weight|bias)", r"feature_extractor.conv_layers.\1.layer_norm.\2"),
        (r"post_extract_proj\.(weight|bias)", r"encoder.feature_projection.projection.\1"),
        (r"layer_norm\.(weight|bias)", r"encoder.feature_projection.layer_norm.\1"),
        (r"encoder\.pos_conv\.0\.(bias|weight_g|weight_v|parametrizations\.weight\.original[01])",
         r"encoder.transformer.pos_conv_embed.conv.\1"),
        (r"encoder\.layer_norm\.(weight|bias)", r"encoder.transformer.layer_norm.\1"),
        (r"encoder\.layers\.(\d+)\.self_attn\.((?:k|v|q|out)_proj\.(?:weight|bias))",
         r"encoder.transformer.layers.\1.attention.\2"),
        (r"encoder\.layers\.(\d+)\.self_attn_layer_norm\.(weight|bias)", r"encoder.transformer.layers.\1.layer_norm.\2"),
        (r"encoder\.layers\.(\d+)\.fc1\.(weight|bias)", r"encoder.transformer.layers.\1.feed_forward.intermediate_dense.\2"),
        (r"encoder\.layers\.(\d+)\.fc2\.(weight|bias)", r"encoder.transformer.layers.\1.feed_forward.output_dense.\2"),
        (r"encoder\.layers\.(\d+)\.final_layer_norm\.(weight|bias)",
         r"encoder.transformer.layers.\1.final_layer_norm.\2"),
        (r"proj\.(weight|bias)", r"aux.\1"),
    ]
]


def _rename(key: str) -> Optional[str]:
    short = key[len("w2v_model."):] if key.startswith("w2v_model.") else key
    if _DROPPED.match(short):
        return None
    for pattern, replacement in _RENAMES:
        if pattern.fullmatch(short):
            return pattern.sub(replacement, short)
    raise ValueError(f"import_fairseq_model: unexpected key {key!r} in the fairseq model's state_dict")


def _convert(state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    converted = {}
    for key, value in state.items():
        new = _rename(key)
        if new is not None:
            converted[new] = value
    return converted


def _architecture(w2v) -> dict:
    """wav2vec2_model's arguments from fairseq's modules (conv blocks are Sequential(conv, dropout, [norm,] GELU))."""
    blocks = w2v.feature_extractor.conv_layers
    convs = [block[0] for block in blocks]
    has_bias = [conv.bias is not None for conv in convs]
    if any(has_bias) and not all(has_bias):
        raise ValueError("import_fairseq_model: either all or none of the feature extractor's convolutions have a bias")
    encoder = w2v.encoder
    first = encoder.layers[0]
    return dict(
        extractor_mode="group_norm" if "GroupNorm" in type(blocks[0][2]).__name__ else "layer_norm",
        extractor_conv_layer_config=[(c.out_channels, c.kernel_size[0], c.stride[0]) for c in convs],
        extractor_conv_bias=all(has_bias),
        encoder_embed_dim=w2v.post_extract_proj.out_features,
        encoder_projection_dropout=w2v.dropout_input.p,
        encoder_pos_conv_kernel=encoder.pos_conv[0].kernel_size[0],
        encoder_pos_conv_groups=encoder.pos_conv[0].groups,
        encoder_num_layers=len(encoder.layers),
        encoder_num_heads=first.self_attn.num_heads,
        encoder_attention_dropout=first.self_attn.dropout_module.p,
        encoder_ff_interm_features=first.fc1.out_features,
        encoder_ff_interm_dropout=first.dropout2.p,
        encoder_dropout=first.dropout3.p,
        encoder_layer_norm_first=encoder.layer_norm_first,
        encoder_layer_drop=encoder.layerdrop,
    )


def import_fairseq_model(original: Module) -> Wav2Vec2Model:
    """Build a :class:`Wav2Vec2Model` holding the weights of a fairseq model.

    Supported: pre-trained ``Wav2Vec2Model`` and ``HubertModel`` (their pre-training heads, quantizer and mask
    embedding are left out) and fine-tuned ``Wav2VecEncoder`` and ``HubertEncoder`` (their ``proj`` becomes
    ``aux``).

    Args:
        original (torch.nn.Module): the fairseq model (e.g. ``models[0]`` of
            ``fairseq.checkpoint_utils.load_model_ensemble_and_task``; for a fine-tuned one, its ``.w2v_encoder``).

    Returns:
        Wav2Vec2Model
    """
    name = type(original).__name__
    if name in ("Wav2Vec2Model", "HubertModel"):
        w2v, aux_num_out = original, None
    elif name in ("Wav2VecEncoder", "HubertEncoder"):
        w2v, aux_num_out = original.w2v_model, original.proj.out_features
    else:
        raise ValueError(
            "import_fairseq_model: original must be a fairseq Wav2Vec2Model, Wav2VecEncoder, HubertModel or "
            f"HubertEncoder; got {name}"
        )
    model = wav2vec2_model(**_architecture(w2v), aux_num_out=aux_num_out)
    model.load_state_dict(_convert(original.state_dict()), strict=True)
    return model
