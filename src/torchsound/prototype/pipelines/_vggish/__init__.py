"""VGGish bundle (torchaudio 2.8's ``prototype.pipelines.VGGISH``)."""

from ._vggish_impl import VGGish, VGGishInputProcessor
from ._vggish_pipeline import VGGISH, VGGishBundle

__all__ = ["VGGISH", "VGGishBundle", "VGGish", "VGGishInputProcessor"]
