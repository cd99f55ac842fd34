"""LibriSpeech: ``<root>/LibriSpeech/<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac``.

Each chapter folder has ``<speaker>-<chapter>.trans.txt`` with lines ``<speaker>-<chapter>-<utt> TEXT``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, Resource, bad_name, check_choice, load_audio, present_dirs, read_lines, scan_files, split_line, stem

URL = "train-clean-100"
FOLDER_IN_ARCHIVE = "LibriSpeech"
SAMPLE_RATE = 16000
_BASE = "http://www.openslr.org/resources/12/"
_SUBSETS = {  # subset -> (official sha256, approximate archive size)
    "dev-clean": ("76f87d090650617fca0cac8f88b9416e0ebf80350acb97b343a85fa903728ab3", "337 MB"),
    "dev-other": ("12661c48e8c3fe1de2c1caa4c3e135193bfb1811584f11f569dd12645aa84365", "314 MB"),
    "test-clean": ("39fde525e59672dc6d1551919b1478f724438a95aa55f874b576be21967e6c23", "346 MB"),
    "test-other": ("d09c181bba5cf717b3dee7d4d592af11a3ee3a09e08ae025c5506f6ebe961c29", "328 MB"),
    "train-clean-100": ("d4ddd1d5a6ab303066f14971d768ee43278a5f2a0aa43dc716b0e64ecbbbf6e2", "6.3 GB"),
    "train-clean-360": ("146a56496217e96c14334a160df97fffedd6e0a04e66b9c5af0d40be3c792ecf", "23 GB"),
    "train-other-500": ("ddb22f27f96ec163645d53215559df6aa36515f26e01dd70798188350adcb6d2", "30 GB"),
}

CORPUS = Corpus(
    "LIBRISPEECH",
    {s: (Resource(f"{_BASE}{s}.tar.gz", h, size),) for s, (h, size) in _SUBSETS.items()},
    open=lambda root, subset, download: LIBRISPEECH(root, url=subset, download=download),
)


def list_utterances(path: str, ext_audio: str = ".flac") -> list:
    """Sorted utterance ids ``<speaker>-<chapter>-<utt>`` found two folders below ``path`` (audio is not read)."""
    return sorted(stem(p) for p in scan_files(path, 2, ext_audio))


def find_transcript(trans_file: str, fileid: str) -> str:
    """The text of ``fileid`` in a ``.trans.txt`` file; a malformed line names the file and line number."""
    for number, line in read_lines(trans_file):
        if not line.strip():
            continue
        key, text = split_line(trans_file, number, line.strip(), " ", 2, "'<utterance-id> <transcript>'")
        if key == fileid:
            return text
    raise FileNotFoundError(f"Translation not found for {fileid} in {trans_file}")


def librispeech_metadata(fileid: str, archive: str, folder: str, ext_audio: str, ext_txt: str) -> Tuple[str, int, str, int, int, int]:
    """``(path relative to archive, 16000, transcript, speaker, chapter, utterance)`` for ``fileid`` in ``archive/folder``."""
    parts = fileid.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise bad_name(os.path.join(archive, folder), fileid, "an audio file named <speaker>-<chapter>-<utt>")
    speaker, chapter, utterance = parts
    relpath = os.path.join(folder, speaker, chapter, f"{fileid}{ext_audio}")
    trans_file = os.path.join(archive, folder, speaker, chapter, f"{speaker}-{chapter}{ext_txt}")
    transcript = find_transcript(trans_file, fileid)
    return relpath, SAMPLE_RATE, transcript, int(speaker), int(chapter), int(utterance)


def locate(corpus: Corpus, root, url: str, folder_in_archive: str, download: bool) -> Tuple[str, str]:
    """``(archive folder, subset folder)`` of a LibriSpeech-layout corpus, downloading it when asked."""
    check_choice("url", url, list(_SUBSETS))
    root = os.fspath(root)
    archive = os.path.join(root, folder_in_archive)
    path = os.path.join(archive, url)
    if not os.path.isdir(path):
        if not download:
            raise corpus.not_found(path, root=root, subset=url, present=present_dirs(archive))
        corpus.fetch(url, root)
        if not os.path.isdir(path):
            raise RuntimeError(f"{corpus.name}: the downloaded archive did not create {path}")
    return archive, path


class LIBRISPEECH(Dataset):
    """*LibriSpeech* dataset.

    Args:
        root (str or Path): folder where ``LibriSpeech/<url>`` is found or downloaded to.
        url (str): the subset: ``"dev-clean"``, ``"dev-other"``, ``"test-clean"``, ``"test-other"``,
            ``"train-clean-100"``, ``"train-clean-360"`` or ``"train-other-500"``.
        folder_in_archive (str): top-level folder of the corpus (default ``"LibriSpeech"``).
        download (bool): download (verified) and extract the subset when it is missing.

    Items are ``(waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id)``.

    Shape:
        waveform: ``(1, time)``.
    """

    _ext_txt = ".trans.txt"
    _ext_audio = ".flac"

    def __init__(self, root: Union[str, Path], url: str = URL, folder_in_archive: str = FOLDER_IN_ARCHIVE, download: bool = False) -> None:
        self._url = url
        self._archive, self._path = locate(CORPUS, root, url, folder_in_archive, download)
        self._walker = list_utterances(self._path, self._ext_audio)

    def get_metadata(self, n: int) -> Tuple[str, int, str, int, int, int]:
        """Like ``__getitem__`` but with the audio path (relative to ``root/folder_in_archive``) instead of the waveform."""
        return librispeech_metadata(self._walker[n], self._archive, self._url, self._ext_audio, self._ext_txt)

    def __getitem__(self, n: int) -> Tuple[Tensor, int, str, int, int, int]:
        metadata = self.get_metadata(n)
        waveform, _ = load_audio(os.path.join(self._archive, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self._walker)
