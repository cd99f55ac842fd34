"""VoxCeleb1: ``<root>/wav/<speaker id>/<youtube id>/<utt>.wav`` plus the official meta lists
(``iden_split.txt``: ``<1|2|3> <path>``; ``veri_test.txt``: ``<label> <path1> <path2>``) in ``root``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, Resource, check_choice, load_audio, read_lines, split_line, to_int
from ._download import download_file, download_parts, extract_archive, verify_checksum

SAMPLE_RATE = 16000
_BASE = "https://thor.robots.ox.ac.uk/~vgg/data/voxceleb/vox1a/"
_DEV_PARTS = [
    (f"{_BASE}vox1_dev_wav_partaa", "21ec6ca843659ebc2fdbe04b530baa4f191ad4b0971912672d92c158f32226a0"),
    (f"{_BASE}vox1_dev_wav_partab", "311d21e0c8cbf33573a4fce6c80e5a279d80736274b381c394319fc557159a04"),
    (f"{_BASE}vox1_dev_wav_partac", "92b64465f2b2a3dc0e4196ae8dd6828cbe9ddd1f089419a11e4cbfe2e1750df0"),
    (f"{_BASE}vox1_dev_wav_partad", "00e6190c770b27f27d2a3dd26ee15596b17066b715ac111906861a7d09a211a5"),
]
_TEST = (f"{_BASE}vox1_test_wav.zip", "8de57f347fe22b2c24526e9f444f689ecf5096fc2a92018cf420ff6b5b15eaea")
_IDEN_SPLIT_URL = "https://www.robots.ox.ac.uk/~vgg/data/voxceleb/meta/iden_split.txt"
_VERI_TEST_URL = "https://www.robots.ox.ac.uk/~vgg/data/voxceleb/meta/veri_test.txt"

_WAVS = tuple(Resource(u, h, "~8 GB") for u, h in _DEV_PARTS) + (Resource(_TEST[0], _TEST[1], "~1 GB"),)
CORPUS = Corpus(
    "VoxCeleb1Identification",
    {"train": _WAVS, "dev": _WAVS, "test": _WAVS},
    open=lambda root, subset, download: VoxCeleb1Identification(root, subset=subset, download=download),
)
VERIFICATION = Corpus(
    "VoxCeleb1Verification",
    {"veri_test": _WAVS},
    open=lambda root, subset, download: VoxCeleb1Verification(root, download=download),
)


def _download_wavs(root: str) -> None:
    """The dev archive comes in four verified parts, joined before extraction; then the test archive."""
    dev = os.path.join(root, "vox1_dev_wav.zip")
    if not os.path.isfile(dev):
        download_parts([u for u, _ in _DEV_PARTS], [h for _, h in _DEV_PARTS], dev)
    test = os.path.join(root, "vox1_test_wav.zip")
    if os.path.isfile(test):
        verify_checksum(test, _TEST[1])
    else:
        download_file(_TEST[0], test, checksum=_TEST[1])
    for archive in (dev, test):
        extract_archive(archive, root)


def _file_id(path: str, ext: str) -> str:
    speaker, youtube, utterance = path.split("/")[-3:]
    return "-".join([speaker, youtube, utterance.replace(ext, "")])


class VoxCeleb1(Dataset):
    """Base class: finds (or downloads) ``root/wav`` and the meta list."""

    _ext_audio = ".wav"
    _corpus = CORPUS

    def __init__(self, root: Union[str, Path], download: bool = False) -> None:
        root = os.fspath(root)
        self._path = os.path.join(root, "wav")
        if not os.path.isdir(self._path):
            if not download:
                raise self._corpus.not_found(self._path, root=root)
            _download_wavs(root)

    def _meta_list(self, root, meta_url: str, download: bool) -> str:
        path = os.path.join(os.fspath(root), os.path.basename(meta_url))
        if not os.path.exists(path):
            if not download:
                raise self._corpus.not_found(path, root=root)
            download_file(meta_url, path)
        return path

    def get_metadata(self, n: int):
        raise NotImplementedError

    def __getitem__(self, n: int):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class VoxCeleb1Identification(VoxCeleb1):
    """*VoxCeleb1* speaker identification.

    Args:
        root (str or Path): folder holding ``wav/`` and ``iden_split.txt``.
        subset (str): ``"train"``, ``"dev"`` or ``"test"`` (labels 1, 2, 3 of the split file).
        meta_url (str): URL of the split file (fetched when missing and ``download`` is True).
        download (bool): download (verified), join and extract the audio when missing.

    Items are ``(waveform, sample_rate, speaker_id, file_id)``.

    Shape:
        waveform: ``(1, time)``.
    """

    def __init__(self, root: Union[str, Path], subset: str = "train", meta_url: str = _IDEN_SPLIT_URL, download: bool = False) -> None:
        check_choice("subset", subset, ["train", "dev", "test"])
        super().__init__(root, download)
        meta = self._meta_list(root, meta_url, download)
        index = {"train": 1, "dev": 2, "test": 3}[subset]
        flist = []
        for number, line in read_lines(meta):
            if not line.strip():
                continue
            label, path = split_line(meta, number, line.strip(), None, 2, "'<1|2|3> <speaker>/<video>/<utt>.wav'")
            if to_int(meta, number, line, label, "an integer subset label") == index:
                flist.append(path)
        self._flist = sorted(flist)

    def get_metadata(self, n: int) -> Tuple[str, int, int, str]:
        """``(path relative to root/wav, sample_rate, speaker_id, file_id)``."""
        path = self._flist[n]
        file_id = _file_id(path, self._ext_audio)
        return path, SAMPLE_RATE, int(file_id.split("-")[0][3:]), file_id

    def __getitem__(self, n: int) -> Tuple[Tensor, int, int, str]:
        metadata = self.get_metadata(n)
        waveform, _ = load_audio(os.path.join(self._path, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self._flist)


class VoxCeleb1Verification(VoxCeleb1):
    """*VoxCeleb1* speaker verification pairs.

    Args:
        root (str or Path): folder holding ``wav/`` and ``veri_test.txt``.
        meta_url (str): URL of the pair list (fetched when missing and ``download`` is True).
        download (bool): download (verified), join and extract the audio when missing.

    Items are ``(waveform_1, waveform_2, sample_rate, label, file_id_1, file_id_2)``.

    Shape:
        waveform_1, waveform_2: ``(1, time)`` each.
    """

    _corpus = VERIFICATION

    def __init__(self, root: Union[str, Path], meta_url: str = _VERI_TEST_URL, download: bool = False) -> None:
        super().__init__(root, download)
        meta = self._meta_list(root, meta_url, download)
        self._flist: List[Tuple[str, str, str]] = []
        for number, line in read_lines(meta):
            if not line.strip():
                continue
            label, first, second = split_line(meta, number, line.strip(), None, 3, "'<0|1> <path1> <path2>'")
            to_int(meta, number, line, label, "an integer label")
            self._flist.append((label, first, second))

    def get_metadata(self, n: int) -> Tuple[str, str, int, int, str, str]:
        """``(path_1, path_2, sample_rate, label, file_id_1, file_id_2)``, paths relative to ``root/wav``."""
        label, first, second = self._flist[n]
        return first, second, SAMPLE_RATE, int(label), _file_id(first, self._ext_audio), _file_id(second, self._ext_audio)

    def __getitem__(self, n: int) -> Tuple[Tensor, Tensor, int, int, str, str]:
        metadata = self.get_metadata(n)
        first, _ = load_audio(os.path.join(self._path, metadata[0]), metadata[2])
        second, _ = load_audio(os.path.join(self._path, metadata[1]), metadata[2])
        return (first, second) + metadata[2:]

    def __len__(self) -> int:
        return len(self._flist)
