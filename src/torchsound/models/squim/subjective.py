"""SQUIM subjective: a Mean Opinion Score estimate from a waveform and any clean, non-matching reference
(NORESQA-MOS, Manocha and Kumar, 2022).

Both signals go through a self-supervised wav2vec 2.0 encoder; the last layer's features are projected, paired
frame by frame, and an attention pooling predicts how much worse than the reference the waveform sounds.
"""

from typing import Tuple

import torch
from torch import Tensor, nn

__all__ = ["SquimSubjective", "squim_subjective_model", "squim_subjective_base"]


class AttPool(nn.Module):
    """Attention pooling: one learned score per frame, softmax over frames, weighted mean, then a projection.

    Args:
        input_dim (int): Feature size of each frame.
        att_dim (int): Output size.

    Shape:
        ``(batch, frame, input_dim)`` -> ``(batch, att_dim)``.
    """

    def __init__(self, input_dim: int, att_dim: int):
        super().__init__()
        self.linear1 = nn.Linear(input_dim, 1)
        self.linear2 = nn.Linear(input_dim, att_dim)

    def forward(self, x: Tensor) -> Tensor:
        # Frame weights as a row (batch, 1, frame), so that pooling is one batched matrix product.
        weight = torch.softmax(self.linear1(x).transpose(1, 2), dim=2)
        pooled = torch.matmul(weight, x)[:, 0]  # (batch, input_dim)
        return self.linear2(pooled)


class Predictor(nn.Module):
    """Score head: attention pooling to ``att_dim`` classes spread evenly over 0 .. 4, and their expected value.

    Args:
        input_dim (int): Feature size of each frame.
        att_dim (int): Number of score classes.

    Shape:
        ``(batch, frame, input_dim)`` -> ``(batch,)``.
    """

    def __init__(self, input_dim: int, att_dim: int):
        super().__init__()
        self.att_pool_layer = AttPool(input_dim, att_dim)
        self.att_dim = att_dim

    def forward(self, x: Tensor) -> Tensor:
        probs = torch.softmax(self.att_pool_layer(x), dim=1)
        # The class values in the default dtype, as the published model computes them, then in the input's dtype.
        values = torch.linspace(0, 4, steps=self.att_dim, device=x.device).to(probs.dtype)
        return (probs * values).sum(dim=1)


class SquimSubjective(nn.Module):
    """Speech Quality and Intelligibility Measures (SQUIM) model predicting a **subjective** score (MOS, 1 to 5)
    of a waveform, given a clean reference that need not match it (NORESQA-MOS).

    Args:
        ssl_model (torch.nn.Module): Self-supervised feature extractor with ``extract_features`` (a
            :class:`~torchsound.models.Wav2Vec2Model`).
        projector (torch.nn.Module): Projects the last layer's features to a smaller size.
        predictor (torch.nn.Module): Maps the paired features to the score difference (:class:`Predictor`).

    Shape:
        waveform ``(batch, time)`` and reference ``(batch, time_ref)`` (16 kHz for the published weights) ->
        ``(batch,)``. The reference is repeated if shorter than the waveform, then cut to ``time``.
    """

    def __init__(self, ssl_model: nn.Module, projector: nn.Module, predictor: nn.Module):
        super().__init__()
        self.ssl_model = ssl_model
        self.projector = projector
        self.predictor = predictor

    def _align_shapes(self, waveform: Tensor, reference: Tensor) -> Tuple[Tensor, Tensor]:
        """Loop the reference until it is at least as long as the waveform, then cut it to the waveform's length."""
        length, ref_length = waveform.shape[-1], reference.shape[-1]
        if ref_length < length:
            reference = reference.repeat(1, length // ref_length + 1)
        return waveform, reference[:, :length]

    def _features(self, x: Tensor) -> Tensor:
        layers, _ = self.ssl_model.extract_features(x)
        return self.projector(layers[-1])

    def forward(self, waveform: Tensor, reference: Tensor) -> Tensor:
        """
        Args:
            waveform (Tensor): Speech to rate, ``(batch, time)``.
            reference (Tensor): Clean, non-matching speech, ``(batch, time_ref)``.

        Returns:
            Tensor: Estimated MOS, ``(batch,)``.
        """
        if waveform.ndim != 2 or reference.ndim != 2 or reference.shape[0] != waveform.shape[0]:
            raise ValueError(
                "SquimSubjective: expected waveform (batch, time) and reference (batch, time_ref) with the same batch, "
                f"got {list(waveform.shape)} and {list(reference.shape)}"
            )
        if reference.shape[1] == 0:
            raise ValueError("SquimSubjective: the reference is empty (time_ref = 0)")
        waveform, reference = self._align_shapes(waveform, reference)
        paired = torch.cat((self._features(reference), self._features(waveform)), dim=2)
        return 5 - self.predictor(paired)  # the predictor rates how far below the reference's quality


def squim_subjective_model(ssl_type: str, feat_dim: int, proj_dim: int, att_dim: int) -> SquimSubjective:
    """Build a custom :class:`SquimSubjective`.

    Args:
        ssl_type (str): Name of the factory in :mod:`torchsound.models` that builds the SSL model, e.g.
            ``"wav2vec2_base"`` or ``"wav2vec2_large"``.
        feat_dim (int): Feature size of the SSL model's last layer.
        proj_dim (int): Output size of the projection.
        att_dim (int): Number of score classes of the predictor.
    """
    from ... import models  # the package namespace, imported here to avoid an import cycle

    factory = getattr(models, ssl_type, None) if isinstance(ssl_type, str) else None
    if factory is None or not callable(factory):
        raise ValueError(
            f"ssl_type must name a model factory of torchsound.models such as 'wav2vec2_base'; got {ssl_type!r}"
        )
    return SquimSubjective(factory(), nn.Linear(feat_dim, proj_dim), Predictor(2 * proj_dim, att_dim))


def squim_subjective_base() -> SquimSubjective:
    """Build :class:`SquimSubjective` with the configuration of the published weights (wav2vec 2.0 base)."""
    return squim_subjective_model(ssl_type="wav2vec2_base", feat_dim=768, proj_dim=32, att_dim=5)
