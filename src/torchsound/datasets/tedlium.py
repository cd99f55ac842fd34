"""TED-LIUM releases 1-3: ``<root>/<release folder>/<subset>/{sph/<talk>.sph, stm/<talk>.stm}``.

Release 3 keeps ``train`` at ``data/`` and ``dev``/``test`` under ``legacy/``. Each STM line is
``talk channel speaker start end <label> transcript``; an item is one STM line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, Resource, bad_line, check_choice, load_audio, read_lines, split_line

_RELEASE_CONFIGS = {
    "release1": {
        "folder_in_archive": "TEDLIUM_release1",
        "url": "http://www.openslr.org/resources/7/TEDLIUM_release1.tar.gz",
        "checksum": "30301975fd8c5cac4040c261c0852f57cfa8adbbad2ce78e77e4986957445f27",
        "size": "19 GB",
        "data_path": "",
        "dict": "TEDLIUM.150K.dic",
    },
    "release2": {
        "folder_in_archive": "TEDLIUM_release2",
        "url": "http://www.openslr.org/resources/19/TEDLIUM_release2.tar.gz",
        "checksum": "93281b5fcaaae5c88671c9d000b443cb3c7ea3499ad12010b3934ca41a7b9c58",
        "size": "35 GB",
        "data_path": "",
        "dict": "TEDLIUM.152k.dic",
    },
    "release3": {
        "folder_in_archive": "TEDLIUM_release-3",
        "url": "http://www.openslr.org/resources/51/TEDLIUM_release-3.tgz",
        "checksum": "ad1e454d14d1ad550bc2564c462d87c7a7ec83d4dc2b9210f22ab4973b9eccdb",
        "size": "51 GB",
        "data_path": "data/",
        "dict": "TEDLIUM.152k.dic",
    },
}
_SUBSETS = ["train", "test", "dev"]

CORPUS = Corpus(
    "TEDLIUM",
    {r: (Resource(c["url"], c["checksum"], c["size"]),) for r, c in _RELEASE_CONFIGS.items()},
    open=lambda root, subset, download: TEDLIUM(root, release=subset, download=download),
)


class TEDLIUM(Dataset):
    """*TED-LIUM* dataset, releases 1, 2 and 3.

    Args:
        root (str or Path): folder holding the release folder.
        release (str): ``"release1"``, ``"release2"`` or ``"release3"``.
        subset (str): ``"train"``, ``"dev"`` or ``"test"``.
        download (bool): download (verified) and extract when missing.
        audio_ext (str): audio extension (``".sph"``, NIST SPHERE).

    Items are ``(waveform, sample_rate, transcript, talk_id, speaker_id, identifier)``; the transcript
    keeps the STM line's newline, like torchaudio.

    Shape:
        waveform: ``(1, time)``, the segment between the STM start and end times.
    """

    def __init__(
        self,
        root: Union[str, Path],
        release: str = "release1",
        subset: str = "train",
        download: bool = False,
        audio_ext: str = ".sph",
    ) -> None:
        self._ext_audio = audio_ext
        check_choice("release", release, list(_RELEASE_CONFIGS), exc=RuntimeError)
        subset = subset or "train"
        check_choice("subset", subset, _SUBSETS, exc=RuntimeError)
        config = _RELEASE_CONFIGS[release]
        root = os.fspath(root)
        folder = os.path.join(root, config["folder_in_archive"])
        if release == "release3":
            self._path = os.path.join(folder, config["data_path"]) if subset == "train" else os.path.join(folder, "legacy", subset)
        else:
            self._path = os.path.join(folder, config["data_path"], subset)
        CORPUS.ensure(self._path, root=root, subset=release, download=download)

        self._filelist = []
        stm_dir = os.path.join(self._path, "stm")
        for name in sorted(os.listdir(stm_dir)):
            if name.endswith(".stm"):
                count = sum(1 for _ in read_lines(os.path.join(stm_dir, name)))
                self._filelist.extend((name[: -len(".stm")], line) for line in range(count))
        self._dict_path = os.path.join(folder, config["dict"])
        self._phoneme_dict = None

    def _load_tedlium_item(self, fileid: str, line: int, path: str) -> Tuple[Tensor, int, str, str, str, str]:
        stm = os.path.join(path, "stm", fileid + ".stm")
        with open(stm) as f:
            text = f.readlines()[line]
        talk_id, _, speaker_id, start, end, identifier, transcript = split_line(
            stm, line + 1, text, " ", 7, "'talk channel speaker start end label transcript'"
        )
        try:
            start_s, end_s = float(start), float(end)
        except ValueError:
            raise bad_line(stm, line + 1, text, "numeric start and end times") from None
        waveform, sample_rate = self._load_audio(os.path.join(path, "sph", fileid + self._ext_audio), start_s, end_s)
        return waveform, sample_rate, transcript, talk_id, speaker_id, identifier

    def _load_audio(self, path: str, start_time: float, end_time: float, sample_rate: int = 16000) -> Tuple[Tensor, int]:
        """Read ``[start_time, end_time)`` seconds of ``path`` (override to customise loading)."""
        first = int(float(start_time) * sample_rate)
        last = int(float(end_time) * sample_rate)
        return load_audio(path, frame_offset=first, num_frames=last - first)

    def __getitem__(self, n: int) -> Tuple[Tensor, int, str, str, str, str]:
        fileid, line = self._filelist[n]
        return self._load_tedlium_item(fileid, line, self._path)

    def __len__(self) -> int:
        return len(self._filelist)

    @property
    def phoneme_dict(self) -> Dict[str, Tuple[str, ...]]:
        """Word -> tuple of phonemes, from the release's dictionary (some words have none)."""
        if not self._phoneme_dict:
            self._phoneme_dict = {}
            for _, line in read_lines(self._dict_path):
                content = line.strip().split()
                if content:
                    self._phoneme_dict[content[0]] = tuple(content[1:])
        return self._phoneme_dict.copy()
