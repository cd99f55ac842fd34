"""``load``/``save``/``info`` of a deprecated torchaudio backend module, forwarding to torchsound's I/O."""

from __future__ import annotations

import os
import warnings
from typing import BinaryIO, Optional, Tuple, Union

import torch


def deprecated(module: str) -> None:
    warnings.warn(
        f"torchaudio.backend.{module} is deprecated (as in torchaudio 2.8): call torchaudio.load/save/info, "
        "with the backend keyword if you need one.",
        stacklevel=3,
    )


def make(module: str, backend: Optional[str]):
    """The three functions of ``torchaudio.backend.<module>``, each with that backend module's signature."""

    def info(filepath: Union[BinaryIO, str, os.PathLike], format: Optional[str] = None):
        """Metadata of an audio file (see :func:`torchsound.info`)."""
        from ...io import _dispatch

        deprecated(module)
        return _dispatch.info(filepath, format=format, backend=backend)

    def load(filepath: Union[BinaryIO, str, os.PathLike], frame_offset: int = 0, num_frames: int = -1,
             normalize: bool = True, channels_first: bool = True, format: Optional[str] = None) -> Tuple[torch.Tensor, int]:
        """Load audio (see :func:`torchsound.load`).

        Shape:
            waveform: ``(channel, time)`` if ``channels_first`` else ``(time, channel)``.
        """
        from ...io import _dispatch

        deprecated(module)
        return _dispatch.load(filepath, frame_offset, num_frames, normalize, channels_first, format, backend=backend)

    def save(filepath: Union[BinaryIO, str, os.PathLike], src: torch.Tensor, sample_rate: int, channels_first: bool = True,
             compression: Optional[float] = None, format: Optional[str] = None, encoding: Optional[str] = None,
             bits_per_sample: Optional[int] = None) -> None:
        """Save audio (see :func:`torchsound.save`).

        Shape:
            src: ``(channel, time)`` if ``channels_first`` else ``(time, channel)``.
        """
        from ...io import _dispatch

        deprecated(module)
        _dispatch.save(filepath, src, sample_rate, channels_first, format=format, encoding=encoding,
                       bits_per_sample=bits_per_sample, backend=backend, compression=compression)

    return info, load, save
