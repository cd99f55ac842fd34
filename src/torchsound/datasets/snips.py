"""SNIPS SLU (synthesised speech): ``<root>/SNIPS/<subset>/<Speaker>-snips-<subset>-<n>.<mp3|wav>`` and
``SNIPS/all.iob.snips.txt`` (``<id> BOS words EOS<TAB>O tags intent``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import torch
from torch.utils.data import Dataset

from ._common import Corpus, bad_line, check_choice, load_audio, read_lines

_SAMPLE_RATE = 16000
_SPEAKERS = ["Aditi", "Amy", "Brian", "Emma", "Geraint", "Ivy", "Joanna", "Joey", "Justin", "Kendra", "Kimberly",
             "Matthew", "Nicole", "Raveena", "Russell", "Salli"]

CORPUS = Corpus(
    "Snips",
    {s: () for s in ["train", "valid", "test"]},
    open=lambda root, subset, download: Snips(root, subset),
    manual="synthesise it with the SNIPS SLU recipe (e.g. https://github.com/aws-samples/aws-lex-noisy-spoken-language-understanding) "
    "and pass the folder holding SNIPS/ as root",
)


def _load_labels(path, subset: str) -> Dict[str, Tuple[str, str, str]]:
    """File id -> (transcript without BOS/EOS, IOB tags of the words, intent), for ids of ``subset``."""
    labels = {}
    for number, line in read_lines(path):
        if not line.strip():
            continue
        words = line.strip().split(" ")
        index = words[0]
        halves = " ".join(words[1:]).split("\t")
        if len(halves) != 2:
            raise bad_line(path, number, line, "'<id> BOS words EOS<TAB>O tags intent'")
        transcript = " ".join(halves[0].split(" ")[1:-1])
        tags = halves[1].split(" ")
        if subset in index:
            labels[index] = (transcript, " ".join(tags[1:-1]), tags[-1])
    return labels


class Snips(Dataset):
    """*Snips* spoken-language-understanding dataset.

    Args:
        root (str or Path): folder holding ``SNIPS``.
        subset (str): ``"train"``, ``"valid"`` or ``"test"``.
        speakers (list of str or None): voices to include (default all).
        audio_format (str): ``"mp3"`` or ``"wav"``.

    Items are ``(waveform, sample_rate, file_name, transcript, iob_tags, intent)``.

    Shape:
        waveform: ``(1, time)``.
    """

    _trans_file = "all.iob.snips.txt"

    def __init__(self, root: Union[str, Path], subset: str, speakers: Optional[List[str]] = None, audio_format: str = "mp3") -> None:
        check_choice("subset", subset, ["train", "valid", "test"])
        check_choice("audio_format", audio_format, ["mp3", "wav"])
        root = Path(root)
        self._path = root / "SNIPS"
        self.audio_path = self._path / subset
        speakers = _SPEAKERS if speakers is None else speakers
        if not self._path.is_dir():
            raise CORPUS.not_found(self._path, root=root, subset=subset)
        suffix = f".{audio_format}"
        names = sorted(e.name for e in os.scandir(self.audio_path) if e.name.endswith(suffix)) if self.audio_path.is_dir() else []
        self.data = [self.audio_path / name for name in names if name.split("-")[0] in speakers]
        self.labels = _load_labels(self._path / self._trans_file, subset)

    def get_metadata(self, n: int) -> Tuple[str, int, str, str, str, str]:
        """Like ``__getitem__`` but with the audio path (relative to ``root/SNIPS``) instead of the waveform."""
        audio_path = self.data[n]
        file_name = audio_path.with_suffix("").name
        if file_name not in self.labels:
            raise KeyError(f"{file_name} has no line in {self._path / self._trans_file}")
        transcript, iob, intent = self.labels[file_name]
        return os.path.relpath(audio_path, self._path), _SAMPLE_RATE, file_name, transcript, iob, intent

    def __getitem__(self, n: int) -> Tuple[torch.Tensor, int, str, str, str, str]:
        metadata = self.get_metadata(n)
        waveform, _ = load_audio(self._path / metadata[0], metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self.data)
