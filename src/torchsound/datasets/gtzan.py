"""GTZAN: ``<root>/genres/<genre>/<genre>.<5 digits>.wav`` (22,050 Hz)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, Resource, check_choice, load_audio
from ._download import download_and_extract

URL = "http://opihi.cs.uvic.ca/sound/genres.tar.gz"
FOLDER_IN_ARCHIVE = "genres"
_CHECKSUM = "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6"

gtzan_genres = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]

# The "filtered" split of Kereliuk et al. / jordipons (sklearn-audio-transfer-learning), as torchaudio
# ships it, written as track-number ranges per genre (inclusive).
_FILTERED: Dict[str, Dict[str, str]] = {
    "testing": {
        "blues": "12-28,61-72,98-99", "classical": "11-29,34-41,49,77-79",
        "country": "30-40,43-44,46-48,50-51,53-64", "disco": "1,21,58,62-66,69,76-88,91-94,96-97,99",
        "hiphop": "0,26-27,30,40,43-45,51-54,62-75,99", "jazz": "73-99",
        "metal": "12-15,22-23,25-33,38-39,67,70,73-75,78,83,85,87-88", "pop": "0-1,13-14,43,63-66,69-79,82,88-96",
        "reggae": "34-40,46-48,52-53,64-68,71,79,82-84,87-90", "rock": "10-15,27-37,39-48,86-90",
    },
    "training": {
        "blues": "29-49,73-97", "classical": "30-33,43-48,50-67,80-99", "country": "19-26,28-29,65-99",
        "disco": "5,15-20,22-37,39-45,47,49,53-54,56-57,59,61,70,73-74,89",
        "hiphop": "2-25,28-29,31-38,41-42,55-61,77-80", "jazz": "0-1,11-24,41,47-72",
        "metal": "2-3,5,21,24,35,46-57,59-66,69,71-72,79-80,84,86,89-99",
        "pop": "2-9,11-12,16-20,23-29,31-36,38-42,44,46,49-50,80,97-99",
        "reggae": "0-2,4,6,9,11-12,14-32,42-45,49-51,54-60,63,69", "rock": "0-9,16-26,57-70,91-99",
    },
    "validation": {
        "blues": "0-11,50-60", "classical": "0-10,68-76", "country": "0-7,9-18,27,41-42,45,49",
        "disco": "0,2-4,6-14,46,48,52,67-68,72,75,90,95", "hiphop": "81-98", "jazz": "2-10,25-32",
        "metal": "0-1,6-11,16-20,36-37,68,76-77,81-82", "pop": "10,53,55,58-62,81,83-86",
        "reggae": "61-62,70,72,74,76-78,85,92-99", "rock": "38,49-56,71-85",
    },
}


def _expand(split: str) -> List[str]:
    names = []
    for genre in gtzan_genres:
        for part in _FILTERED[split][genre].split(","):
            first, _, last = part.partition("-")
            names += [f"{genre}.{i:05d}" for i in range(int(first), int(last or first) + 1)]
    return names


CORPUS = Corpus(
    "GTZAN",
    {"genres": (Resource(URL, _CHECKSUM, "1.2 GB"),)},
    open=lambda root, subset, download: GTZAN(root, download=download),
)


class GTZAN(Dataset):
    """*GTZAN* music-genre dataset.

    Args:
        root (str or Path): folder holding ``genres``.
        url (str): archive URL. folder_in_archive (str): ``"genres"``.
        download (bool): download (verified) and extract when missing (the official host is often down).
        subset (str or None): ``"training"``, ``"validation"``, ``"testing"`` (the filtered split) or ``None``
            (every ``<genre>.<5 digits>.wav`` found).

    Items are ``(waveform, sample_rate, label)``.

    Shape:
        waveform: ``(1, time)``.
    """

    _ext_audio = ".wav"

    def __init__(
        self,
        root: Union[str, Path],
        url: str = URL,
        folder_in_archive: str = FOLDER_IN_ARCHIVE,
        download: bool = False,
        subset: Optional[str] = None,
    ) -> None:
        root = os.fspath(root)
        self.root, self.url, self.folder_in_archive, self.download, self.subset = root, url, folder_in_archive, download, subset
        if subset is not None:
            check_choice("subset", subset, ["training", "validation", "testing"])
        self._path = os.path.join(root, folder_in_archive)
        if not os.path.isdir(self._path):
            if not download:
                raise CORPUS.not_found(self._path, root=root)
            download_and_extract(url, root, checksum=CORPUS.checksum_for(url))
        if subset is not None:
            self._walker = _expand(subset)
            return
        self._walker = []
        for genre in gtzan_genres:
            folder = os.path.join(self._path, genre)
            if not os.path.isdir(folder):
                continue
            for fname in sorted(os.listdir(folder)):
                name, ext = os.path.splitext(fname)
                if ext.lower() != ".wav" or name.count(".") != 1:
                    continue
                label, number = name.split(".")
                if label in gtzan_genres and len(number) == 5 and number.isdigit():
                    self._walker.append(name)

    def __getitem__(self, n: int) -> Tuple[Tensor, int, str]:
        fileid = self._walker[n]
        label = fileid.split(".")[0]
        waveform, sample_rate = load_audio(os.path.join(self._path, label, fileid + self._ext_audio))
        return waveform, sample_rate, label

    def __len__(self) -> int:
        return len(self._walker)
