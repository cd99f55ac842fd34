"""Pieces shared by the wav2vec2-family bundles: architectures, label sets, weight quirks, the output wrapper."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from .. import _assets

# ----------------------------------------------------------------------------- architectures

_CONV_STACK = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2

# width, layers, heads, feed-forward size
_SIZES = {
    "base": (768, 12, 12, 3072),
    "large": (1024, 24, 16, 4096),
    "xlarge": (1280, 48, 16, 5120),
    "2b": (1920, 48, 16, 7680),
}


def params(
    size: str,
    *,
    mode: str,
    conv_bias: bool,
    norm_first: bool,
    dropouts: Tuple[float, float, float, float, float],
    aux: Optional[int],
    wavlm: bool = False,
) -> Dict[str, Any]:
    """The ``_params`` of a published model, as torchaudio writes them.

    ``dropouts`` = (projection, attention, feed-forward inner, residual, layer drop).
    """
    dim, layers, heads, ffn = _SIZES[size]
    projection, attention, ff_inner, residual, layer_drop = dropouts
    out: Dict[str, Any] = {
        "extractor_mode": mode,
        "extractor_conv_layer_config": list(_CONV_STACK),
        "extractor_conv_bias": conv_bias,
        "encoder_embed_dim": dim,
        "encoder_projection_dropout": projection,
        "encoder_pos_conv_kernel": 128,
        "encoder_pos_conv_groups": 16,
        "encoder_num_layers": layers,
        "encoder_num_heads": heads,
    }
    if wavlm:  # relative position buckets of WavLM's gated attention
        out.update(encoder_max_distance=800, encoder_num_buckets=320)
    out.update(
        encoder_attention_dropout=attention,
        encoder_ff_interm_features=ffn,
        encoder_ff_interm_dropout=ff_inner,
        encoder_dropout=residual,
        encoder_layer_norm_first=norm_first,
        encoder_layer_drop=layer_drop,
        aux_num_out=aux,
    )
    return out


def build_model(model_type: str, model_params: Dict[str, Any]) -> nn.Module:
    """A fresh (untrained) model: ``"Wav2Vec2"`` -> ``wav2vec2_model``, ``"WavLM"`` -> ``wavlm_model``."""
    from ...models import wav2vec2_model, wavlm_model

    factories = {"Wav2Vec2": wav2vec2_model, "WavLM": wavlm_model}
    if model_type not in factories:
        raise ValueError(f"`_model_type` must be one of {tuple(factories)}, got {model_type!r}")
    return factories[model_type](**model_params)


# ----------------------------------------------------------------------------- weights

MODELS_URL = f"{_assets.TORCHAUDIO_URL}/models"


def weights_url(path: str) -> str:
    """A bundle's ``_path`` is a file name under torchaudio's models folder, or a full https URL."""
    return path if path.startswith("https") else f"{MODELS_URL}/{path}"


def drop_aux_rows(state_dict: Dict[str, Tensor], rows: Sequence[int]) -> None:
    """Remove output rows ``rows`` of the ``aux`` head, in place.

    fairseq's ASR dictionaries reserve rows for symbols the CTC head never predicts (<pad>, </s>, <unk>: rows
    1-3); some VoxPopuli files carry one more unused row. The bundles' models do not have them.
    """
    for key in ("aux.weight", "aux.bias"):
        table = state_dict[key]
        keep = [i for i in range(table.size(0)) if i not in set(rows)]
        state_dict[key] = table[keep]


def load_weights(path: str, dl_kwargs: Optional[Dict[str, Any]], aux_rows: Sequence[int] = ()) -> Dict[str, Tensor]:
    """The bundle's state_dict from the cache (or a download), with the unused ``aux`` rows dropped."""
    url = weights_url(path)
    state_dict = _assets.load_state_dict_with_dl_kwargs(url, dl_kwargs)
    if aux_rows:
        if not isinstance(state_dict, dict) or "aux.weight" not in state_dict or "aux.bias" not in state_dict:
            raise RuntimeError(f"the checkpoint for {url} has no CTC head (aux.weight, aux.bias): "
                               "not the file published for this bundle")
        drop_aux_rows(state_dict, aux_rows)
    return state_dict


# ----------------------------------------------------------------------------- output wrapper


class _Wav2Vec2Model(nn.Module):
    """A wav2vec2-family model with what some bundles add around it.

    ``normalize_waveform``: each waveform (the whole input tensor, as torchaudio does) is layer-normalised first,
    as the large/XLS-R models were trained; ``apply_log_softmax``: outputs are log probabilities (MMS_FA);
    ``append_star``: a zero log-probability column is appended for the "star" token of MMS_FA.
    The wrapped model is ``self.model`` (state_dict keys ``model.*``, as torchaudio's).

    Shape:
        - waveforms: ``(batch, time)``; lengths: ``(batch,)``
        - output: ``(batch, frames, classes)`` (``classes + 1`` with the star column); lengths ``(batch,)``
    """

    def __init__(self, model: nn.Module, normalize_waveform: bool, apply_log_softmax: bool, append_star: bool):
        super().__init__()
        self.model = model
        self.normalize_waveform = normalize_waveform
        self.apply_log_softmax = apply_log_softmax
        self.append_star = append_star

    def forward(self, waveforms: Tensor, lengths: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
        if self.normalize_waveform:
            waveforms = nn.functional.layer_norm(waveforms, waveforms.shape)
        output, output_lengths = self.model(waveforms, lengths)
        if self.apply_log_softmax:
            output = nn.functional.log_softmax(output, dim=-1)
        if self.append_star:
            # log-probability 0 for "star" (it stands for any unknown token); one column for every item
            star = output.new_zeros(output.shape[:-1] + (1,))
            output = torch.cat([output, star], dim=-1)
        return output, output_lengths

    @torch.jit.export
    def extract_features(
        self, waveforms: Tensor, lengths: Optional[Tensor] = None, num_layers: Optional[int] = None
    ) -> Tuple[List[Tensor], Optional[Tensor]]:
        if self.normalize_waveform:
            waveforms = nn.functional.layer_norm(waveforms, waveforms.shape)
        return self.model.extract_features(waveforms, lengths, num_layers)


def wrap(model: nn.Module, *, normalize_waveform: bool, apply_log_softmax: bool = False, append_star: bool = False) -> nn.Module:
    return _Wav2Vec2Model(model, normalize_waveform, apply_log_softmax, append_star)


# ----------------------------------------------------------------------------- label sets (blank excluded)

# Output classes of the fine-tuned heads after the unused rows are dropped, in row order ("|" is the word gap).
EN_LABELS = tuple("|ETAONIHSRDLUMWCFGYPBVK'XJQZ")
VOXPOPULI_LABELS = {
    "de": tuple("|enirstadhulgcmobwfkzpvüäöjßyxq"),
    "en": tuple("|etoiansrhldcumpfgwybvkxjqz"),
    "es": tuple("|eaosnrildctupmbqygvhófíájzñéxúkwü"),
    "fr": tuple("|esnitraouldcpmévqfgbhxàjèyêzôkçœûùîâwïëüæ"),
    "it": tuple("|eiaontrlscdupmgvhzfbqàèùéòìkyxwjóíï"),
}
# MMS_FA: romanised (uroman) characters, no word gap
MMS_LABELS = tuple("aienoutsrmkldghybpwcvjzf'qx")
