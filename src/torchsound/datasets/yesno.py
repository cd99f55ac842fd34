"""YesNo: ``<root>/waves_yesno/<l1>_<l2>_..._<l8>.wav`` (8 kHz), labels 0/1 in the file name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, Resource, bad_name, load_audio, scan_files, stem
from ._download import download_and_extract

_URL = "http://www.openslr.org/resources/1/waves_yesno.tar.gz"
_CHECKSUM = "c3f49e0cca421f96b75b41640749167b52118f232498667ca7a5f9416aef8e73"

CORPUS = Corpus(
    "YESNO",
    {"waves_yesno": (Resource(_URL, _CHECKSUM, "4.5 MB"),)},
    open=lambda root, subset, download: YESNO(root, download=download),
)


class YESNO(Dataset):
    """*YesNo* dataset: 60 recordings of eight yes/no words.

    Args:
        root (str or Path): folder holding ``waves_yesno``.
        url (str): archive URL. folder_in_archive (str): ``"waves_yesno"``.
        download (bool): download (verified) and extract when missing.

    Items are ``(waveform, sample_rate, labels)``.

    Shape:
        waveform: ``(1, time)``.
    """

    def __init__(self, root: Union[str, Path], url: str = _URL, folder_in_archive: str = "waves_yesno", download: bool = False) -> None:
        root = Path(root)
        self._path = root / folder_in_archive
        if not self._path.is_dir():
            if not download:
                raise CORPUS.not_found(self._path, root=root)
            download_and_extract(url, root, checksum=CORPUS.checksum_for(url))
            if not self._path.is_dir():
                raise CORPUS.not_found(self._path, root=root)
        self._walker = sorted(stem(p) for p in scan_files(self._path, 0, ".wav"))

    def _load_item(self, fileid: str, path) -> Tuple[Tensor, int, List[int]]:
        parts = fileid.split("_")
        if not all(p in ("0", "1") for p in parts):
            raise bad_name(path, fileid, "an audio file named by 0/1 labels joined with '_'")
        waveform, sample_rate = load_audio(os.path.join(path, fileid + ".wav"))
        return waveform, sample_rate, [int(p) for p in parts]

    def __getitem__(self, n: int) -> Tuple[Tensor, int, List[int]]:
        return self._load_item(self._walker[n], self._path)

    def __len__(self) -> int:
        return len(self._walker)
