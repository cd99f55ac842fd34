"""LJSpeech-1.1: ``<root>/LJSpeech-1.1/metadata.csv`` (``id|transcript|normalized``) and ``wavs/<id>.wav``."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import List, Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, Resource, bad_line, load_audio
from ._download import download_and_extract

_URL = "https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2"
_CHECKSUM = "be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5"

CORPUS = Corpus(
    "LJSPEECH",
    {"LJSpeech-1.1": (Resource(_URL, _CHECKSUM, "2.6 GB"),)},
    open=lambda root, subset, download: LJSPEECH(root, download=download),
)


def read_pipe_csv(path, fields: int, expected: str) -> List[List[str]]:
    """Rows of a ``|``-separated file without quoting; a row with the wrong field count names file and line."""
    with open(path, "r", newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE)
        rows = []
        for row in reader:
            if len(row) != fields:
                raise bad_line(path, reader.line_num, "|".join(row), expected)
            rows.append(row)
    return rows


class LJSPEECH(Dataset):
    """*LJSpeech-1.1* single-speaker dataset.

    Args:
        root (str or Path): folder holding ``LJSpeech-1.1``.
        url (str): archive URL. folder_in_archive (str): audio folder (``"wavs"``).
        download (bool): download (verified) and extract when missing.

    Items are ``(waveform, sample_rate, transcript, normalized_transcript)``.

    Shape:
        waveform: ``(1, time)``.
    """

    def __init__(self, root: Union[str, Path], url: str = _URL, folder_in_archive: str = "wavs", download: bool = False) -> None:
        root = Path(root)
        basename = os.path.basename(url).split(".tar.bz2")[0]
        self._path = root / basename / folder_in_archive
        self._metadata_path = root / basename / "metadata.csv"
        if not self._path.is_dir():
            if not download:
                raise CORPUS.not_found(self._path, root=root)
            download_and_extract(url, root, checksum=CORPUS.checksum_for(url))
        self._flist = read_pipe_csv(self._metadata_path, 3, "'<id>|<transcript>|<normalized transcript>'")

    def __getitem__(self, n: int) -> Tuple[Tensor, int, str, str]:
        fileid, transcript, normalized = self._flist[n]
        waveform, sample_rate = load_audio(self._path / f"{fileid}.wav")
        return waveform, sample_rate, transcript, normalized

    def __len__(self) -> int:
        return len(self._flist)
