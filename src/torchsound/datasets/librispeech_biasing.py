"""LibriSpeech with a biasing word list: items add the list's words that occur in the transcript."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, load_audio
from .librispeech import CORPUS as _LIBRISPEECH, FOLDER_IN_ARCHIVE, URL, librispeech_metadata, list_utterances, locate

CORPUS = Corpus(
    "LibriSpeechBiasing",
    _LIBRISPEECH.subsets,
    open=lambda root, subset, download: LibriSpeechBiasing(root, url=subset, download=download),
)


class LibriSpeechBiasing(Dataset):
    """*LibriSpeech* with biasing lists (same layout and download as :class:`LIBRISPEECH`).

    Args:
        root, url, folder_in_archive, download: as for :class:`LIBRISPEECH`.
        blist (list of str, optional): biasing words.

    Items are ``(waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id, biasing_words)``,
    where ``biasing_words`` lists the words of ``blist`` found in the transcript, in transcript order.

    Shape:
        waveform: ``(1, time)``.
    """

    _ext_txt = ".trans.txt"
    _ext_audio = ".flac"

    def __init__(
        self,
        root: Union[str, Path],
        url: str = URL,
        folder_in_archive: str = FOLDER_IN_ARCHIVE,
        download: bool = False,
        blist: List[str] = None,
    ) -> None:
        self._url = url
        self._archive, self._path = locate(CORPUS, root, url, folder_in_archive, download)
        self._walker = list_utterances(self._path, self._ext_audio)
        self.blist = blist

    def get_metadata(self, n: int) -> Tuple[str, int, str, int, int, int, List[str]]:
        """Like ``__getitem__`` but with the audio path (relative to ``root/folder_in_archive``) instead of the waveform."""
        metadata = librispeech_metadata(self._walker[n], self._archive, self._url, self._ext_audio, self._ext_txt)
        words = set(self.blist or [])
        found: List[str] = []
        for word in metadata[2].split():
            if word in words and word not in found:
                found.append(word)
        return metadata + (found,)

    def __getitem__(self, n: int) -> Tuple[Tensor, int, str, int, int, int, List[str]]:
        metadata = self.get_metadata(n)
        waveform, _ = load_audio(os.path.join(self._archive, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self._walker)
