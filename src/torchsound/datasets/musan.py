"""MUSAN (``torchsound.prototype.datasets.Musan``): ``<root>/{music,noise,speech}/<source>/<file>.wav`` (16 kHz)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import List, Tuple, Union

import torch
from torch.utils.data import Dataset

from ._common import Corpus, check_choice, load_audio

_SUBSETS = ["music", "noise", "speech"]
_SAMPLE_RATE = 16_000

CORPUS = Corpus(
    "Musan",
    {s: () for s in _SUBSETS},
    open=lambda root, subset, download: _open_subset(root, subset),
    manual="download musan.tar.gz from https://www.openslr.org/17/ (about 11 GB), extract it and pass the musan/ folder as root",
)


def _open_subset(root, subset: str) -> "Musan":
    # the catalog (CLI, loaders) asks for one subset: its absence is an error there, not an empty dataset
    path = Path(root) / subset
    if not path.is_dir():
        raise CORPUS.not_found(path, root=root, subset=subset, present=[s for s in _SUBSETS if (Path(root) / s).is_dir()])
    return Musan(root, subset)


class Musan(Dataset):
    """*MUSAN* music, noise and speech corpus.

    Args:
        root (str or Path): the ``musan`` folder (holding ``music``, ``noise``, ``speech``).
        subset (str or list of str): among ``"music"``, ``"noise"``, ``"speech"``; an absent subset folder
            yields nothing (with a warning), as in torchaudio. A missing ``root`` raises.

    Items are ``(waveform, sample_rate, file_name)``.

    Shape:
        waveform: ``(1, time)``.
    """

    def __init__(self, root: Union[str, Path], subset: Union[str, List[str]]):
        subsets = [subset] if isinstance(subset, str) else list(subset)
        for name in subsets:
            check_choice("subset", name, _SUBSETS)
        if not Path(root).is_dir():
            raise CORPUS.not_found(root, root=root, subset=subsets[0] if subsets else None)
        self._walker = []
        for name in subsets:
            subset_path = Path(root) / name
            if not subset_path.is_dir():
                # torchaudio yields what exists (nothing for an absent subset); say so
                warnings.warn(f"Musan: {subset_path} not found; subset {name!r} yields nothing", stacklevel=2)
                continue
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
