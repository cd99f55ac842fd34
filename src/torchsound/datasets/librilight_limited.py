"""Libri-light limited supervision (HuBERT fine-tuning subsets).

Layout: ``<root>/librispeech_finetuning/1h/<0-5>/<clean|other>/<speaker>/<chapter>/*.flac`` and
``.../9h/<clean|other>/<speaker>/<chapter>/*.flac``, with LibriSpeech ``.trans.txt`` files.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import List, Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, Resource, check_choice, load_audio, present_dirs, scan_files, stem
from .librispeech import librispeech_metadata

_ARCHIVE_NAME = "librispeech_finetuning"
_URL = "https://dl.fbaipublicfiles.com/librilight/data/librispeech_finetuning.tgz"
_CHECKSUM = "5d1efdc777b548194d7e09ba89126e2188026df9fd57aa57eb14408d2b2342af"
_SUBSET_MAP = {"10min": ["1h/0"], "1h": ["1h/*"], "10h": ["1h/*", "9h"]}

_ARCHIVE = (Resource(_URL, _CHECKSUM, "0.6 GB"),)
CORPUS = Corpus(
    "LibriLightLimited",
    {s: _ARCHIVE for s in _SUBSET_MAP},
    open=lambda root, subset, download: LibriLightLimited(root, subset=subset, download=download),
)


def _fileids_paths(path: str, folders: List[str], ext_audio: str) -> List[Tuple[str, str]]:
    """``(subset folder relative to path, utterance id)`` for each audio file, sorted like torchaudio."""
    found = []
    for pattern in folders:
        for folder in sorted(glob.glob(os.path.join(path, pattern))):
            for kind in sorted(present_dirs(folder)):  # "clean", "other"
                sub = os.path.join(folder, kind)
                rel = os.path.relpath(sub, path)
                found += [(rel, stem(p)) for p in scan_files(sub, 2, ext_audio)]
    found.sort(key=lambda x: x[0] + x[1])
    return found


class LibriLightLimited(Dataset):
    """Libri-light limited-supervision subsets (``"10min"``, ``"1h"``, ``"10h"``).

    Items are ``(waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id)``.

    Shape:
        waveform: ``(1, time)``.
    """

    _ext_txt = ".trans.txt"
    _ext_audio = ".flac"

    def __init__(self, root: Union[str, Path], subset: str = "10min", download: bool = False) -> None:
        check_choice("subset", subset, list(_SUBSET_MAP))
        root = os.fspath(root)
        self._path = os.path.join(root, _ARCHIVE_NAME)
        if not os.path.isdir(self._path):
            if not download:
                raise CORPUS.not_found(self._path, root=root, subset=subset)
            CORPUS.fetch(subset, root)
        self._fileids_paths = _fileids_paths(self._path, _SUBSET_MAP[subset], self._ext_audio)

    def __getitem__(self, n: int) -> Tuple[Tensor, int, str, int, int, int]:
        folder, fileid = self._fileids_paths[n]
        metadata = librispeech_metadata(fileid, self._path, folder, self._ext_audio, self._ext_txt)
        waveform, _ = load_audio(os.path.join(self._path, metadata[0]))
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self._fileids_paths)
