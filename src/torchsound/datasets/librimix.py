"""LibriMix (generated locally with the LibriMix scripts).

Layout: ``<root>/Libri<N>Mix/wav<8k|16k>/<min|max>/<subset>/{mix_clean,mix_single,mix_both,s1..sN,noise}/<id>.wav``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Tuple, Union

import torch
from torch.utils.data import Dataset

from ._common import Corpus, check_choice, load_audio, scan_files

_TASKS_TO_MIXTURE = {"sep_clean": "mix_clean", "enh_single": "mix_single", "enh_both": "mix_both", "sep_noisy": "mix_both"}

CORPUS = Corpus(
    "LibriMix",
    {"train-360": (), "train-100": (), "dev": (), "test": ()},
    open=lambda root, subset, download: LibriMix(root, subset=subset),
    manual="generate it with the scripts of https://github.com/JorisCos/LibriMix and pass the folder holding Libri2Mix/Libri3Mix as root",
)


class LibriMix(Dataset):
    """*LibriMix* source-separation dataset.

    Args:
        root (str or Path): folder that holds ``Libri2Mix`` / ``Libri3Mix``.
        subset (str): ``"train-360"``, ``"train-100"``, ``"dev"`` or ``"test"``.
        num_speakers (int): number of sources ``s1..sN``.
        sample_rate (int): 8000 or 16000 (selects ``wav8k`` / ``wav16k``).
        task (str): ``"sep_clean"``, ``"enh_single"``, ``"enh_both"`` or ``"sep_noisy"``.
        mode (str): ``"min"`` or ``"max"``.

    Items are ``(sample_rate, mixture, [source_1, ...])``.

    Shape:
        mixture and each source: ``(1, time)``.
    """

    def __init__(
        self,
        root: Union[str, Path],
        subset: str = "train-360",
        num_speakers: int = 2,
        sample_rate: int = 8000,
        task: str = "sep_clean",
        mode: str = "min",
    ):
        self.root = Path(root) / f"Libri{num_speakers}Mix"
        if not os.path.exists(self.root):
            raise CORPUS.not_found(self.root, root=root, subset=subset)
        check_choice("mode", mode, ["min", "max"])
        check_choice("sample_rate", sample_rate, [8000, 16000])
        check_choice("task", task, list(_TASKS_TO_MIXTURE))
        mix_dir = self.root / f"wav{sample_rate // 1000}k" / mode / subset
        if not mix_dir.is_dir():
            raise CORPUS.not_found(mix_dir, root=root, subset=subset)
        self.sample_rate = sample_rate
        self.task = task
        self.mix_dir = mix_dir / _TASKS_TO_MIXTURE[task]
        if task == "enh_both":
            self.src_dirs = [mix_dir / "mix_clean"]
        else:
            self.src_dirs = [mix_dir / f"s{i + 1}" for i in range(num_speakers)]
        self.files = sorted(os.path.basename(p) for p in scan_files(self.mix_dir, 0, ".wav"))

    def get_metadata(self, key: int) -> Tuple[int, str, List[str]]:
        """``(sample_rate, mixture path, [source paths])``, paths relative to ``root/Libri<N>Mix``."""
        filename = self.files[key]
        mixed = os.path.relpath(self.mix_dir / filename, self.root)
        sources = [os.path.relpath(d / filename, self.root) for d in self.src_dirs]
        return self.sample_rate, mixed, sources

    def __getitem__(self, key: int) -> Tuple[int, torch.Tensor, List[torch.Tensor]]:
        rate, mixed_path, source_paths = self.get_metadata(key)
        mixed, _ = load_audio(self.root / mixed_path, rate)
        sources = []
        for i, path in enumerate(source_paths):
            src, _ = load_audio(self.root / path, rate)
            if src.shape != mixed.shape:
                raise ValueError(f"Different waveform shapes. mixed: {mixed.shape}, src[{i}]: {src.shape}")
            sources.append(src)
        return rate, mixed, sources

    def __len__(self) -> int:
        return len(self.files)
