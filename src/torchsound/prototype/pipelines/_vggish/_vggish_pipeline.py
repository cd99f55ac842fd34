"""The VGGish bundle: the released AudioSet weights (converted by torchaudio) and the matching input processor."""

from dataclasses import dataclass
from typing import Callable, Dict

import torch

from ._vggish_impl import _SAMPLE_RATE
from ._vggish_impl import VGGish as _VGGish
from ._vggish_impl import VGGishInputProcessor as _VGGishInputProcessor

__all__ = ["VGGishBundle", "VGGISH"]

# torchaudio's asset key: found at $TORCH_HOME/hub/torchaudio/models/vggish.pt (torchaudio.utils.download_asset's cache)
_ASSET_KEY = "models/vggish.pt"


def _load_vggish_weights() -> Dict:
    from ....pipelines._assets import load_asset_state_dict

    return load_asset_state_dict(_ASSET_KEY)


@dataclass
class VGGishBundle:
    """VGGish inference pipeline (Hershey et al., 2017), ported from torchvggish and the TensorFlow AudioSet models.

    Example:
        >>> from torchsound.prototype.pipelines import VGGISH
        >>> processor, model = VGGISH.get_input_processor(), VGGISH.get_model()
        >>> waveform = torchsound.functional.resample(waveform, sample_rate, VGGISH.sample_rate)  # (time,)
        >>> embeddings = model(processor(waveform))  # (n_example, 128), one per 0.96 s
    """

    class VGGish(_VGGish):
        __doc__ = _VGGish.__doc__

    class VGGishInputProcessor(_VGGishInputProcessor):
        __doc__ = _VGGishInputProcessor.__doc__

    _state_dict_func: Callable[[], Dict]

    @property
    def sample_rate(self) -> int:
        """Sample rate (Hz) of the waveform the input processor expects: 16000."""
        return _SAMPLE_RATE

    def get_model(self) -> "VGGishBundle.VGGish":
        """The VGGish network with the pretrained weights, in eval mode.

        The weights are read from torchaudio's cache (``$TORCH_HOME/hub/torchaudio/models/vggish.pt``), downloaded
        there when absent and the network allows; otherwise a ``WeightsNotFoundError`` names the file, URL and path.
        """
        state_dict = self._state_dict_func()  # first: a missing file fails before any model is built
        with torch.device("meta"):  # no initialisation of 72M parameters that the weights replace
            model = self.VGGish()
        model.load_state_dict(state_dict, assign=True)
        return model.eval()

    def get_input_processor(self) -> "VGGishBundle.VGGishInputProcessor":
        """The log-mel front end that turns a 16 kHz waveform into VGGish's examples."""
        return self.VGGishInputProcessor()


VGGISH = VGGishBundle(_load_vggish_weights)
VGGISH.__doc__ = """Pretrained VGGish: 128-dimensional embeddings of 0.96 s of 16 kHz audio, trained by Google on a
    preliminary version of YouTube-8M; weights ported from torchvggish by torchaudio. See :class:`VGGishBundle`."""
