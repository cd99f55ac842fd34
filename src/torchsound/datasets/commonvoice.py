"""Common Voice: ``<root>/<split>.tsv`` (header row, tab-separated) and ``<root>/clips/<path>.mp3``."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Dict, Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, bad_line, load_audio

CORPUS = Corpus(
    "COMMONVOICE",
    {t: () for t in ["train.tsv", "dev.tsv", "test.tsv", "validated.tsv", "invalidated.tsv", "other.tsv"]},
    open=lambda root, subset, download: COMMONVOICE(root, tsv=subset),
    manual="download a language from https://commonvoice.mozilla.org/datasets (accepting its terms) and pass the "
    "folder holding the .tsv files and clips/ as root",
)


class COMMONVOICE(Dataset):
    """*Common Voice* dataset (one language folder).

    Args:
        root (str or Path): folder holding the ``.tsv`` files and ``clips/``.
        tsv (str): the split file, e.g. ``"train.tsv"``, ``"dev.tsv"``, ``"test.tsv"``, ``"validated.tsv"``.

    Items are ``(waveform, sample_rate, row)`` where ``row`` maps the TSV header to the line's fields.

    Shape:
        waveform: ``(channel, time)``.
    """

    _ext_txt = ".txt"
    _ext_audio = ".mp3"
    _folder_audio = "clips"

    def __init__(self, root: Union[str, Path], tsv: str = "train.tsv") -> None:
        self._path = os.fspath(root)
        self._tsv = os.path.join(self._path, tsv)
        if not os.path.isfile(self._tsv):
            raise CORPUS.not_found(self._tsv, root=root, subset=tsv,
                                   present=sorted(f for f in os.listdir(self._path) if f.endswith(".tsv")) if os.path.isdir(self._path) else ())
        with open(self._tsv, "r", newline="", encoding="utf-8") as f:
            reader = csv.reader(f, delimiter="\t")
            self._header = next(reader, None)
            if not self._header or len(self._header) < 2 or self._header[1] != "path":
                raise bad_line(self._tsv, 1, "\t".join(self._header or []), "a header whose second column is 'path'")
            self._walker = []
            for row in reader:
                if len(row) != len(self._header):
                    raise bad_line(self._tsv, reader.line_num, "\t".join(row), f"{len(self._header)} tab-separated fields")
                self._walker.append(row)

    def __getitem__(self, n: int) -> Tuple[Tensor, int, Dict[str, str]]:
        line = self._walker[n]
        filename = os.path.join(self._path, self._folder_audio, line[1])
        if not filename.endswith(self._ext_audio):
            filename += self._ext_audio
        waveform, sample_rate = load_audio(filename)
        return waveform, sample_rate, dict(zip(self._header, line))

    def __len__(self) -> int:
        return len(self._walker)
