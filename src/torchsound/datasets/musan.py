"""MUSAN (``torchsound.prototype.datasets.Musan``): ``<root>/{music,noise,speech}/<source>/<file>.wav`` (16 kHz)."""

from __future__ import annotations

from pathlib import Path
from typing import Tuple, Union

import torch
from torch.utils.data import Dataset

from ._common import Corpus, check_choice, load_audio

_SUBSETS = ["music", "noise", "speech"]
_SAMPLE_RATE = 16_000

CORPUS = Corpus(
    "Musan",
    {s: () for s in _SUBSETS},
    open=lambda root, subset, download: Musan(root, subset),
    manual="download musan.tar.gz from https://www.openslr.org/17/ (about 11 GB), extract it and pass the musan/ folder as root",
)


class Musan(Dataset):
    """*MUSAN* music, noise and speech corpus.

    Args:
        root (str or Path): the ``musan`` folder (holding ``music``, ``noise``, ``speech``).
        subsets (str or list of str): among ``"music"``, ``"noise"``, ``"speech"``.

    Items are ``(waveform, sample_rate, file_name)``.

    Shape:
        waveform: ``(1, time)``.
    """

    def __init__(self, root: Union[str, Path], subsets: Union[str, list]):
        if isinstance(subsets, str):
            subsets = [subsets]
        self._walker = []
        for subset in subsets:
            check_choice("subset", subset, _SUBSETS)
            subset_path = Path(root) / subset
            if not subset_path.is_dir():
                raise CORPUS.not_found(subset_path, root=root, subset=subset,
                                       present=[s for s in _SUBSETS if (Path(root) / s).is_dir()])
            # Sorted, so the order does not depend on the file system.
            self._walker += sorted(str(p) for p in subset_path.glob("*/*.*"))

    def get_metadata(self, n: int) -> Tuple[str, int, str]:
        """``(audio path, sample_rate, file_name)``."""
        audio_path = self._walker[n]
        return audio_path, _SAMPLE_RATE, Path(audio_path).name

    def __getitem__(self, n: int) -> Tuple[torch.Tensor, int, str]:
        audio_path, sample_rate, filename = self.get_metadata(n)
        waveform, _ = load_audio(audio_path, sample_rate)
        return waveform, sample_rate, filename

    def __len__(self) -> int:
        return len(self._walker)
