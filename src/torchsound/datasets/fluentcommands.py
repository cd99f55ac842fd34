"""Fluent Speech Commands: ``<root>/fluent_speech_commands_dataset/data/<subset>_data.csv``
(``,path,speakerId,transcription,action,object,location``) and ``wavs/speakers/<speaker>/<id>.wav``."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, bad_line, check_choice, load_audio

SAMPLE_RATE = 16000

CORPUS = Corpus(
    "FluentSpeechCommands",
    {s: () for s in ["train", "valid", "test"]},
    open=lambda root, subset, download: FluentSpeechCommands(root, subset),
    manual="request it from https://fluent.ai/fluent-speech-commands-a-dataset-for-spoken-language-understanding-research/ "
    "and pass the folder holding fluent_speech_commands_dataset/ as root",
)


class FluentSpeechCommands(Dataset):
    """*Fluent Speech Commands* spoken-language-understanding dataset.

    Args:
        root (str or Path): folder holding ``fluent_speech_commands_dataset``.
        subset (str): ``"train"``, ``"valid"`` or ``"test"``.

    Items are ``(waveform, sample_rate, file_name, speaker_id, transcription, action, object, location)``.

    Shape:
        waveform: ``(1, time)``.
    """

    def __init__(self, root: Union[str, Path], subset: str = "train"):
        check_choice("subset", subset, ["train", "valid", "test"])
        root = os.fspath(root)
        self._path = os.path.join(root, "fluent_speech_commands_dataset")
        if not os.path.isdir(self._path):
            raise CORPUS.not_found(self._path, root=root, subset=subset)
        subset_path = os.path.join(self._path, "data", f"{subset}_data.csv")
        with open(subset_path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            self.header = next(reader, None)
            if not self.header or "path" not in self.header or len(self.header) != 7:
                raise bad_line(subset_path, 1, ",".join(self.header or []), "the header ',path,speakerId,transcription,action,object,location'")
            self.data = []
            for row in reader:
                if len(row) != len(self.header):
                    raise bad_line(subset_path, reader.line_num, ",".join(row), f"{len(self.header)} comma-separated fields")
                self.data.append(row)

    def get_metadata(self, n: int) -> Tuple[str, int, str, str, str, str, str, str]:
        """Like ``__getitem__`` but with the audio path (relative to the dataset folder) instead of the waveform."""
        sample = self.data[n]
        file_name = sample[self.header.index("path")].split("/")[-1].split(".")[0]
        speaker_id, transcription, action, obj, location = sample[2:]
        file_path = os.path.join("wavs", "speakers", speaker_id, f"{file_name}.wav")
        return file_path, SAMPLE_RATE, file_name, speaker_id, transcription, action, obj, location

    def __getitem__(self, n: int) -> Tuple[Tensor, int, str, str, str, str, str, str]:
        metadata = self.get_metadata(n)
        waveform, _ = load_audio(os.path.join(self._path, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self.data)
