"""MUSDB18-HQ: ``<root>/musdb18hq/<train|test>/<track>/{bass,drums,other,vocals,mixture}.wav`` (44.1 kHz stereo)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional, Tuple, Union

import torch
from torch.utils.data import Dataset

from ._common import Corpus, Resource, check_choice, load_audio

_URL = "https://zenodo.org/record/3338373/files/musdb18hq.zip"
_CHECKSUM = "baac80d0483c61d74b2e5f3be75fa557eec52898339e6aa45c1fa48833c5d21d"
_EXT = ".wav"
_SAMPLE_RATE = 44100
_VALIDATION_SET = [
    "Actions - One Minute Smile",
    "Clara Berry And Wooldog - Waltz For My Victims",
    "Johnny Lokke - Promises & Lies",
    "Patrick Talbot - A Reason To Leave",
    "Triviul - Angelsaint",
    "Alexander Ross - Goodbye Bolero",
    "Fergessen - Nos Palpitants",
    "Leaf - Summerghost",
    "Skelpolu - Human Mistakes",
    "Young Griffo - Pennies",
    "ANiMAL - Rockshow",
    "James May - On The Line",
    "Meaxic - Take A Step",
    "Traffic Experiment - Sirens",
]

_ARCHIVE = (Resource(_URL, _CHECKSUM, "22.7 GB"),)
CORPUS = Corpus(
    "MUSDB_HQ",
    {"train": _ARCHIVE, "test": _ARCHIVE},
    open=lambda root, subset, download: MUSDB_HQ(root, subset, download=download),
)


class MUSDB_HQ(Dataset):
    """*MUSDB18-HQ* music source-separation dataset.

    Args:
        root (str or Path): folder holding ``musdb18hq``.
        subset (str): ``"train"`` or ``"test"``.
        sources (list of str or None): among ``"bass"``, ``"drums"``, ``"other"``, ``"mixture"``, ``"vocals"``
            (default: the four stems, without the mixture).
        split (str or None): ``"train"`` / ``"validation"`` split of the training set, or ``None``.
        download (bool): download (verified) and extract when missing.

    Items are ``(waveform, sample_rate, num_frames, track_name)``.

    Shape:
        waveform: ``(num_sources, channel, time)``.
    """

    def __init__(
        self,
        root: Union[str, Path],
        subset: str,
        sources: Optional[List[str]] = None,
        split: Optional[str] = None,
        download: bool = False,
    ) -> None:
        self.sources = ["bass", "drums", "other", "vocals"] if not sources else sources
        self.split = split
        check_choice("subset", subset, ["test", "train"])
        if split is not None:
            check_choice("split", split, ["train", "validation"])
        root = os.fspath(root)
        base = os.path.join(root, "musdb18hq")
        self._path = os.path.join(base, subset)
        archive = os.path.join(root, os.path.basename(_URL))
        CORPUS.ensure(self._path, root=root, subset=subset, download=download or os.path.isfile(archive), extract_to=base)
        self.names = self._collect_songs()

    def _collect_songs(self) -> List[str]:
        if self.split == "validation":
            return list(_VALIDATION_SET)
        names = []
        for folder, subfolders, _ in os.walk(self._path, followlinks=True):
            if subfolders or os.path.basename(folder).startswith(".") or os.path.samefile(folder, self._path):
                continue
            name = os.path.relpath(folder, self._path)
            if self.split and name in _VALIDATION_SET:
                continue
            names.append(name)
        return sorted(names)

    def __getitem__(self, n: int) -> Tuple[torch.Tensor, int, int, str]:
        name = self.names[n]
        waves = []
        for source in self.sources:
            wave, _ = load_audio(os.path.join(self._path, name, f"{source}{_EXT}"), _SAMPLE_RATE)
            if waves and wave.shape[-1] != waves[0].shape[-1]:
                raise ValueError(f"{name}: num_frames do not match across sources")
            waves.append(wave)
        return torch.stack(waves), _SAMPLE_RATE, waves[0].shape[-1], name

    def __len__(self) -> int:
        return len(self.names)
