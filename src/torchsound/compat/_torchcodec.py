"""torchaudio 2.8's ``load_with_torchcodec``/``save_with_torchcodec``, served by torchsound's own I/O.

torchaudio 2.8 offered them as the TorchCodec-based successors of ``load``/``save``; here they need no
TorchCodec and forward to :func:`torchsound.load`/:func:`torchsound.save`. As with TorchCodec, loading
always gives float32 (``normalize`` has no effect), and ``buffer_size``/``backend`` are accepted and unused.
"""

from __future__ import annotations

import os
from typing import BinaryIO, Optional, Tuple, Union

import torch


def load_with_torchcodec(uri: Union[BinaryIO, str, os.PathLike], frame_offset: int = 0, num_frames: int = -1,
                         normalize: bool = True, channels_first: bool = True, format: Optional[str] = None,
                         buffer_size: int = 4096, backend: Optional[str] = None) -> Tuple[torch.Tensor, int]:
    """Load audio as float32, like torchaudio 2.8's ``load_with_torchcodec`` (see :func:`torchsound.load`).

    Shape:
        waveform: ``(channel, time)`` if ``channels_first`` else ``(time, channel)``.
    """
    from ..io._dispatch import load

    # TorchCodec decodes to float32 whatever normalize says; so do we.
    return load(uri, frame_offset, num_frames, True, channels_first, format)


def save_with_torchcodec(uri: Union[str, os.PathLike], src: torch.Tensor, sample_rate: int, channels_first: bool = True,
                         format: Optional[str] = None, encoding: Optional[str] = None,
                         bits_per_sample: Optional[int] = None, buffer_size: int = 4096, backend: Optional[str] = None,
                         compression: Optional[Union[float, int]] = None) -> None:
    """Save audio like torchaudio 2.8's ``save_with_torchcodec`` (see :func:`torchsound.save`).

    ``format``, ``encoding``, ``bits_per_sample`` and ``compression`` keep :func:`torchsound.save`'s meaning.

    Shape:
        src: ``(time,)``, or ``(channel, time)`` if ``channels_first`` else ``(time, channel)``.
    """
    from ..io._dispatch import save

    save(uri, src, sample_rate, channels_first, format, encoding, bits_per_sample, compression=compression)
