"""QUESST 2014: ``<root>/quesst14Database/{Audio,dev_queries,eval_queries}/*.wav`` (8 kHz) and
``scoring/language_key_{utterances,dev,eval}.lst`` (``quesst14Database/<folder>/<file>.wav <language>``)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import List, Optional, Tuple, Union

import torch
from torch.utils.data import Dataset

from ._common import Corpus, Resource, check_choice, load_audio, read_lines, split_line

URL = "https://speech.fit.vutbr.cz/files/quesst14Database.tgz"
SAMPLE_RATE = 8000
_CHECKSUM = "4f869e06bc066bbe9c5dde31dbd3909a0870d70291110ebbb38878dcbc2fc5e4"
_LANGUAGES = ["albanian", "basque", "czech", "nnenglish", "romanian", "slovak"]
_LISTS = {"docs": "language_key_utterances.lst", "dev": "language_key_dev.lst", "eval": "language_key_eval.lst"}

_ARCHIVE = (Resource(URL, _CHECKSUM, "n/a"),)
CORPUS = Corpus(
    "QUESST14",
    {s: _ARCHIVE for s in _LISTS},
    open=lambda root, subset, download: QUESST14(root, subset, download=download),
)


def filter_audio_paths(path, language: Optional[str], lst_name: str) -> List[Path]:
    """Audio paths of ``language`` (all when None) listed in ``scoring/<lst_name>``."""
    path = Path(path)
    listing = path / "scoring" / lst_name
    paths = []
    for number, line in read_lines(listing):
        if not line.strip():
            continue
        audio, lang = split_line(listing, number, line.strip(), None, 2, "'<audio path> <language>'")
        if language is not None and lang != language:
            continue
        paths.append(path / re.sub(r"^.*?/", "", audio))  # drop the leading "quesst14Database/"
    return paths


class QUESST14(Dataset):
    """*QUESST 2014* query-by-example dataset.

    Args:
        root (str or Path): folder holding ``quesst14Database``.
        subset (str): ``"docs"``, ``"dev"`` or ``"eval"``.
        language (str or None): one of the six languages (default ``"nnenglish"``) or ``None`` for all.
        download (bool): download (verified) and extract when missing.

    Items are ``(waveform, sample_rate, file_name)``.

    Shape:
        waveform: ``(1, time)``.
    """

    def __init__(self, root: Union[str, Path], subset: str, language: Optional[str] = "nnenglish", download: bool = False) -> None:
        check_choice("subset", subset, list(_LISTS))
        if language is not None:
            check_choice("language", language, _LANGUAGES)
        root = os.fspath(root)
        self._path = os.path.join(root, "quesst14Database")
        archive = os.path.join(root, os.path.basename(URL))
        CORPUS.ensure(self._path, root=root, subset=subset, download=download or os.path.isfile(archive))
        self.data = filter_audio_paths(self._path, language, _LISTS[subset])

    def get_metadata(self, n: int) -> Tuple[str, int, str]:
        """``(path relative to root/quesst14Database, sample_rate, file_name)``."""
        audio_path = self.data[n]
        return os.path.relpath(audio_path, self._path), SAMPLE_RATE, audio_path.with_suffix("").name

    def __getitem__(self, n: int) -> Tuple[torch.Tensor, int, str]:
        metadata = self.get_metadata(n)
        waveform, _ = load_audio(os.path.join(self._path, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self.data)
