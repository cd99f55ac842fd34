"""LibriTTS: ``<root>/LibriTTS/<subset>/<speaker>/<chapter>/<speaker>_<chapter>_<seg>_<utt>.wav``.

Next to each wav: ``<id>.original.txt`` and ``<id>.normalized.txt`` (one line each).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, Resource, bad_name, load_audio, present_dirs, scan_files, stem
from ._download import download_and_extract

URL = "train-clean-100"
FOLDER_IN_ARCHIVE = "LibriTTS"
_BASE = "http://www.openslr.org/resources/60/"
_SUBSETS = {
    "dev-clean": ("da0864e1bd26debed35da8a869dd5c04dfc27682921936de7cff9c8a254dbe1a", "1.2 GB"),
    "dev-other": ("d413eda26f3a152ac7c9cf3658ef85504dfb1b625296e5fa83727f5186cca79c", "924 MB"),
    "test-clean": ("234ea5b25859102a87024a4b9b86641f5b5aaaf1197335c95090cde04fe9a4f5", "1.2 GB"),
    "test-other": ("33a5342094f3bba7ccc2e0500b9e72d558f72eb99328ac8debe1d9080402f10d", "1.0 GB"),
    "train-clean-100": ("c5608bf1ef74bb621935382b8399c5cdd51cd3ee47cec51f00f885a64c6c7f6b", "7.7 GB"),
    "train-clean-360": ("ce7cff44dcac46009d18379f37ef36551123a1dc4e5c8e4eb73ae57260de4886", "27 GB"),
    "train-other-500": ("e35f7e34deeb2e2bdfe4403d88c8fdd5fbf64865cae41f027a185a6965f0a5df", "44 GB"),
}

CORPUS = Corpus(
    "LIBRITTS",
    {s: (Resource(f"{_BASE}{s}.tar.gz", h, size),) for s, (h, size) in _SUBSETS.items()},
    open=lambda root, subset, download: LIBRITTS(root, url=subset, download=download),
)


class LIBRITTS(Dataset):
    """*LibriTTS* dataset.

    Args:
        root (str or Path): folder where ``LibriTTS/<subset>`` is found or downloaded to.
        url (str): a subset name (``"dev-clean"`` ... ``"train-other-500"``) or an archive URL.
        folder_in_archive (str): top-level folder (default ``"LibriTTS"``).
        download (bool): download (verified) and extract when missing.

    Items are ``(waveform, sample_rate, original_text, normalized_text, speaker_id, chapter_id, utterance_id)``.

    Shape:
        waveform: ``(1, time)``.
    """

    _ext_original_txt = ".original.txt"
    _ext_normalized_txt = ".normalized.txt"
    _ext_audio = ".wav"

    def __init__(self, root: Union[str, Path], url: str = URL, folder_in_archive: str = FOLDER_IN_ARCHIVE, download: bool = False) -> None:
        subset = url if url in _SUBSETS else None
        if subset:
            url = f"{_BASE}{url}.tar.gz"
        root = os.fspath(root)
        basename = os.path.basename(url).split(".")[0]
        archive_dir = os.path.join(root, folder_in_archive)
        self._path = os.path.join(archive_dir, basename)
        if not os.path.isdir(self._path):
            if not download:
                raise CORPUS.not_found(self._path, root=root, subset=subset or basename, present=present_dirs(archive_dir))
            download_and_extract(url, root, checksum=CORPUS.checksum_for(url))
        self._walker = sorted(stem(p) for p in scan_files(self._path, 2, self._ext_audio))

    def __getitem__(self, n: int) -> Tuple[Tensor, int, str, str, int, int, str]:
        fileid = self._walker[n]
        parts = fileid.split("_")
        if len(parts) != 4:
            raise bad_name(self._path, fileid, "an audio file named <speaker>_<chapter>_<segment>_<utterance>")
        speaker, chapter = parts[0], parts[1]
        base = os.path.join(self._path, speaker, chapter, fileid)
        waveform, sample_rate = load_audio(base + self._ext_audio)
        with open(base + self._ext_original_txt) as f:
            original = f.readline()
        with open(base + self._ext_normalized_txt) as f:
            normalized = f.readline()
        return waveform, sample_rate, original, normalized, int(speaker), int(chapter), fileid

    def __len__(self) -> int:
        return len(self._walker)
