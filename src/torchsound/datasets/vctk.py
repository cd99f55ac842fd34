"""VCTK 0.92: ``<root>/VCTK-Corpus-0.92/txt/<spk>/<spk>_<utt>.txt`` and
``wav48_silence_trimmed/<spk>/<spk>_<utt>_<mic>.flac``."""

from __future__ import annotations

import os
from typing import Tuple

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, Resource, check_choice, load_audio, present_dirs
from ._download import download_and_extract

URL = "https://datashare.is.ed.ac.uk/bitstream/handle/10283/3443/VCTK-Corpus-0.92.zip"
_CHECKSUM = "f96258be9fdc2cbff6559541aae7ea4f59df3fcaf5cf963aae5ca647357e359c"

CORPUS = Corpus(
    "VCTK_092",
    {"mic1": (Resource(URL, _CHECKSUM, "11 GB"),), "mic2": (Resource(URL, _CHECKSUM, "11 GB"),)},
    open=lambda root, subset, download: VCTK_092(root, mic_id=subset, download=download),
)


class VCTK_092(Dataset):
    """*VCTK 0.92* multi-speaker dataset.

    Args:
        root (str): folder holding ``VCTK-Corpus-0.92``.
        mic_id (str): ``"mic1"`` or ``"mic2"``.
        download (bool): download (verified) and extract when missing.
        url (str): archive URL.
        audio_ext (str): audio extension (``".flac"``), for converted copies.

    Speaker p315 has no transcripts; p280 has no ``mic2`` audio (skipped); missing p362 files are skipped.
    Items are ``(waveform, sample_rate, transcript, speaker_id, utterance_id)``.

    Shape:
        waveform: ``(1, time)``.
    """

    def __init__(self, root: str, mic_id: str = "mic2", download: bool = False, url: str = URL, audio_ext=".flac"):
        check_choice("mic_id", mic_id, ["mic1", "mic2"], exc=RuntimeError)
        root = os.fspath(root)
        self._path = os.path.join(root, "VCTK-Corpus-0.92")
        self._txt_dir = os.path.join(self._path, "txt")
        self._audio_dir = os.path.join(self._path, "wav48_silence_trimmed")
        self._mic_id = mic_id
        self._audio_ext = audio_ext
        if not os.path.isdir(self._path):
            if not download:
                raise CORPUS.not_found(self._path, root=root, subset=mic_id)
            download_and_extract(url, root, checksum=CORPUS.checksum_for(url), extract_to=self._path)

        self._sample_ids = []
        for speaker in present_dirs(self._txt_dir):
            if speaker == "p280" and mic_id == "mic2":
                continue
            folder = os.path.join(self._txt_dir, speaker)
            for name in sorted(f for f in os.listdir(folder) if f.endswith(".txt")):
                utterance = os.path.splitext(name)[0]
                audio = os.path.join(self._audio_dir, speaker, f"{utterance}_{mic_id}{audio_ext}")
                if speaker == "p362" and not os.path.isfile(audio):
                    continue
                self._sample_ids.append(utterance.split("_"))

    def _load_text(self, file_path) -> str:
        with open(file_path) as f:
            return f.readlines()[0]

    def _load_audio(self, file_path) -> Tuple[Tensor, int]:
        return load_audio(file_path)

    def _load_sample(self, speaker_id: str, utterance_id: str, mic_id: str) -> Tuple[Tensor, int, str, str, str]:
        transcript = self._load_text(os.path.join(self._txt_dir, speaker_id, f"{speaker_id}_{utterance_id}.txt"))
        audio = os.path.join(self._audio_dir, speaker_id, f"{speaker_id}_{utterance_id}_{mic_id}{self._audio_ext}")
        waveform, sample_rate = self._load_audio(audio)
        return waveform, sample_rate, transcript, speaker_id, utterance_id

    def __getitem__(self, n: int) -> Tuple[Tensor, int, str, str, str]:
        speaker_id, utterance_id = self._sample_ids[n]
        return self._load_sample(speaker_id, utterance_id, self._mic_id)

    def __len__(self) -> int:
        return len(self._sample_ids)
