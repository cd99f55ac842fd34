"""Speech Commands: ``<root>/SpeechCommands/speech_commands_v0.0X/<label>/<speaker>_nohash_<n>.wav``,
with ``validation_list.txt`` and ``testing_list.txt`` (paths relative to that folder)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional, Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, Resource, bad_name, check_choice, load_audio, present_dirs, read_lines, scan_files
from ._download import download_and_extract

FOLDER_IN_ARCHIVE = "SpeechCommands"
URL = "speech_commands_v0.02"
HASH_DIVIDER = "_nohash_"
EXCEPT_FOLDER = "_background_noise_"
SAMPLE_RATE = 16000
_BASE = "http://download.tensorflow.org/data/"
_VERSIONS = {
    "speech_commands_v0.01": ("743935421bb51cccdb6bdd152e04c5c70274e935c82119ad7faeec31780d811d", "1.4 GB"),
    "speech_commands_v0.02": ("af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58", "2.3 GB"),
}

CORPUS = Corpus(
    "SPEECHCOMMANDS",
    {v: (Resource(f"{_BASE}{v}.tar.gz", h, size),) for v, (h, size) in _VERSIONS.items()},
    open=lambda root, subset, download: SPEECHCOMMANDS(root, url=subset, download=download),
)


def _load_list(root: str, *filenames: str) -> List[str]:
    paths = []
    for filename in filenames:
        listing = os.path.join(root, filename)
        paths += [os.path.normpath(os.path.join(root, line.strip())) for _, line in read_lines(listing) if line.strip()]
    return paths


def _metadata(filepath: str, archive: str) -> Tuple[str, int, str, str, int]:
    relpath = os.path.relpath(filepath, archive)
    reldir, filename = os.path.split(relpath)
    label = os.path.basename(reldir)
    # Some files of the separate test-set archives are named "x.wav.wav": strip twice.
    name = os.path.splitext(os.path.splitext(filename)[0])[0]
    speaker, sep, number = name.partition(HASH_DIVIDER)
    if not sep or not number.isdigit():
        raise bad_name(os.path.dirname(filepath), filename, f"an audio file named <speaker>{HASH_DIVIDER}<n>.wav")
    return relpath, SAMPLE_RATE, label, speaker, int(number)


class SPEECHCOMMANDS(Dataset):
    """*Speech Commands* keyword dataset (v0.01 / v0.02).

    Args:
        root (str or Path): folder where ``SpeechCommands/<version>`` is found or downloaded to.
        url (str): ``"speech_commands_v0.01"``, ``"speech_commands_v0.02"`` or an archive URL.
        folder_in_archive (str): top-level folder (``"SpeechCommands"``).
        download (bool): download (verified) and extract when missing.
        subset (str or None): ``"training"``, ``"validation"``, ``"testing"`` (from the official
            lists) or ``None`` for everything.

    Items are ``(waveform, sample_rate, label, speaker_id, utterance_number)``.

    Shape:
        waveform: ``(1, time)``.
    """

    def __init__(
        self,
        root: Union[str, Path],
        url: str = URL,
        folder_in_archive: str = FOLDER_IN_ARCHIVE,
        download: bool = False,
        subset: Optional[str] = None,
    ) -> None:
        if subset is not None:
            check_choice("subset", subset, ["training", "validation", "testing"])
        version = url if url in _VERSIONS else None
        if version:
            url = f"{_BASE}{url}.tar.gz"
        root = os.fspath(root)
        self._archive = os.path.join(root, folder_in_archive)
        basename = os.path.basename(url).rsplit(".", 2)[0]
        self._path = os.path.join(self._archive, basename)
        if not os.path.isdir(self._path):
            if not download:
                raise CORPUS.not_found(self._path, root=root, subset=version or basename, present=present_dirs(self._archive))
            download_and_extract(url, root, checksum=CORPUS.checksum_for(url), extract_to=self._path)

        if subset == "validation":
            self._walker = _load_list(self._path, "validation_list.txt")
        elif subset == "testing":
            self._walker = _load_list(self._path, "testing_list.txt")
        else:
            walker = sorted(scan_files(self._path, 1, ".wav"))
            walker = [w for w in walker if HASH_DIVIDER in w and EXCEPT_FOLDER not in w]
            if subset == "training":
                excluded = set(_load_list(self._path, "validation_list.txt", "testing_list.txt"))
                walker = [w for w in walker if os.path.normpath(w) not in excluded]
            self._walker = walker

    def get_metadata(self, n: int) -> Tuple[str, int, str, str, int]:
        """Like ``__getitem__`` but with the audio path (relative to ``root/folder_in_archive``) instead of the waveform."""
        return _metadata(self._walker[n], self._archive)

    def __getitem__(self, n: int) -> Tuple[Tensor, int, str, str, int]:
        metadata = self.get_metadata(n)
        waveform, _ = load_audio(os.path.join(self._archive, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self._walker)
