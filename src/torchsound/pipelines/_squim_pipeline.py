"""Speech quality bundles (torchaudio 2.8's ``SquimObjectiveBundle`` / ``SquimSubjectiveBundle``): reference-free
STOI, PESQ and SI-SDR estimates, and MOS estimates given a clean non-matching reference. Weights are found offline in
torchaudio's asset cache and loaded with ``weights_only=True``."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import SquimObjective, SquimSubjective, squim_objective_base, squim_subjective_base
from . import _assets

__all__ = ["SquimObjectiveBundle", "SquimSubjectiveBundle", "SQUIM_OBJECTIVE", "SQUIM_SUBJECTIVE"]


def _pretrained(model, path: str):
    """``model`` with the asset ``models/<path>`` loaded, in eval mode."""
    model.load_state_dict(_assets.load_asset_state_dict(f"models/{path}"))
    return model.eval()


@dataclass
class SquimObjectiveBundle:
    """A pretrained :class:`~torchsound.models.SquimObjective`: estimates STOI, PESQ and SI-SDR of speech without a
    reference.

    The weights are the torchaudio asset ``models/<_path>``, looked up in ``$TORCH_HOME/hub/torchaudio/`` and
    downloaded when missing; without network, ``WeightsNotFoundError`` names the file, its URL and where to put it.

    Shape:
        waveform ``(batch, time)`` at :attr:`sample_rate` -> three ``(batch,)`` tensors: STOI, PESQ, SI-SDR.

    Example:
        >>> from torchsound.pipelines import SQUIM_OBJECTIVE as bundle
        >>> model = bundle.get_model()
        >>> stoi, pesq, si_sdr = model(torchsound.functional.resample(waveform, sample_rate, bundle.sample_rate))
    """

    _path: str
    _sample_rate: float

    def get_model(self) -> SquimObjective:
        """Build :func:`~torchsound.models.squim_objective_base` and load the pretrained weights (eval mode)."""
        return _pretrained(squim_objective_base(), self._path)

    @property
    def sample_rate(self):
        """Sample rate (Hz) of the audio the model was trained on.

        :type: float
        """
        return self._sample_rate


SQUIM_OBJECTIVE = SquimObjectiveBundle("squim_objective_dns2020.pth", _sample_rate=16000)
SQUIM_OBJECTIVE.__doc__ = """:class:`SquimObjectiveBundle` trained on the DNS 2020 dataset (weights under CC BY 4.0).
Model: :func:`~torchsound.models.squim_objective_base`."""


@dataclass
class SquimSubjectiveBundle:
    """A pretrained :class:`~torchsound.models.SquimSubjective`: estimates the MOS of speech, given any clean speech
    as a reference (it need not match the input).

    The weights are the torchaudio asset ``models/<_path>``, looked up in ``$TORCH_HOME/hub/torchaudio/`` and
    downloaded when missing; without network, ``WeightsNotFoundError`` names the file, its URL and where to put it.

    Shape:
        waveform ``(batch, time)`` and reference ``(batch, time_ref)`` at :attr:`sample_rate` -> MOS ``(batch,)``.

    Example:
        >>> from torchsound.pipelines import SQUIM_SUBJECTIVE as bundle
        >>> model = bundle.get_model()
        >>> mos = model(waveform, clean_reference)
    """

    _path: str
    _sample_rate: float

    def get_model(self) -> SquimSubjective:
        """Build :func:`~torchsound.models.squim_subjective_base` and load the pretrained weights (eval mode)."""
        return _pretrained(squim_subjective_base(), self._path)

    @property
    def sample_rate(self):
        """Sample rate (Hz) of the audio the model was trained on.

        :type: float
        """
        return self._sample_rate


SQUIM_SUBJECTIVE = SquimSubjectiveBundle("squim_subjective_bvcc_daps.pth", _sample_rate=16000)
SQUIM_SUBJECTIVE.__doc__ = """:class:`SquimSubjectiveBundle` trained on the BVCC and DAPS datasets (weights under
CC BY-NC 4.0). Model: :func:`~torchsound.models.squim_subjective_base`."""
