"""IEMOCAP: ``<root>/IEMOCAP/Session<k>/sentences/wav/<dialog>/<utt>.wav`` and emotion labels in
``Session<k>/dialog/EmoEvaluation/<dialog>.txt`` (lines ``[start - end]\\t<utt>\\t<label>\\t[v, a, d]``)."""

from __future__ import annotations

import glob
import os
import warnings
from pathlib import Path
from typing import Optional, Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, bad_line, check_choice, load_audio, read_lines

_SAMPLE_RATE = 16000
_LABELS = {"neu", "hap", "ang", "sad", "exc", "fru"}

CORPUS = Corpus(
    "IEMOCAP",
    {f"Session{i}": () for i in range(1, 6)},
    open=lambda root, subset, download: _open_session(root, subset),
    manual="request it from https://sail.usc.edu/iemocap/ and pass the folder holding IEMOCAP/ as root",
)


def _open_session(root, subset: str) -> "IEMOCAP":
    # the catalog (CLI, loaders) asks for one session: its absence is an error there, not an empty dataset
    path = Path(root) / "IEMOCAP" / subset
    if (Path(root) / "IEMOCAP").is_dir() and not path.is_dir():
        raise CORPUS.not_found(path, root=root, subset=subset)
    return IEMOCAP(root, sessions=(int(subset[-1]),))


class IEMOCAP(Dataset):
    """*IEMOCAP* emotion dataset (utterances labelled neu, hap, ang, sad, exc or fru).

    Args:
        root (str or Path): folder holding ``IEMOCAP``.
        sessions (tuple of int): sessions 1-5 to use; a session whose folder is absent yields nothing
            (with a warning), as in torchaudio.
        utterance_type (str or None): ``"scripted"``, ``"improvised"`` or ``None`` (both).

    Items are ``(waveform, sample_rate, file_name, label, speaker)``.

    Shape:
        waveform: ``(1, time)``.
    """

    def __init__(self, root: Union[str, Path], sessions: Tuple[str] = (1, 2, 3, 4, 5), utterance_type: Optional[str] = None):
        root = Path(root)
        self._path = root / "IEMOCAP"
        if not self._path.is_dir():
            raise CORPUS.not_found(self._path, root=root)
        check_choice("utterance_type", utterance_type, ["scripted", "improvised", None])
        pattern = {"scripted": "*script*.txt", "improvised": "*impro*.txt"}.get(utterance_type, "*.txt")
        self.data = []
        self.mapping = {}
        for session in sessions:
            session_dir = self._path / f"Session{session}"
            if not session_dir.is_dir():
                # torchaudio yields the sessions that exist; say which one is skipped
                warnings.warn(f"IEMOCAP: {session_dir} not found; Session{session} is skipped", stacklevel=2)
                continue
            wav_paths = sorted(glob.glob(os.path.join(session_dir, "sentences", "wav", "*", "*.wav")))
            relative = {Path(p).stem: os.path.relpath(p, self._path) for p in wav_paths}
            for label_path in sorted(glob.glob(os.path.join(session_dir, "dialog", "EmoEvaluation", pattern))):
                for number, line in read_lines(label_path):
                    if not line.startswith("["):
                        continue
                    fields = line.split("\t")
                    if len(fields) < 3:
                        raise bad_line(label_path, number, line, "'[start - end]<TAB>utterance<TAB>label<TAB>[v, a, d]'")
                    stem, label = fields[1], fields[2]
                    if stem in relative and label in _LABELS:
                        self.mapping[stem] = {"label": label}
            for stem, rel in relative.items():
                if stem in self.mapping:
                    self.data.append(stem)
                    self.mapping[stem]["path"] = rel

    def get_metadata(self, n: int) -> Tuple[str, int, str, str, str]:
        """``(path relative to root/IEMOCAP, sample_rate, file_name, label, speaker)``."""
        stem = self.data[n]
        return self.mapping[stem]["path"], _SAMPLE_RATE, stem, self.mapping[stem]["label"], stem.split("_")[0]

    def __getitem__(self, n: int) -> Tuple[Tensor, int, str, str, str]:
        metadata = self.get_metadata(n)
        waveform, _ = load_audio(self._path / metadata[0], metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self.data)
