"""DR-VCTK: ``<root>/DR-VCTK/DR-VCTK/{clean,device-recorded}_<subset>set_wav_16k/<spk>_<utt>.wav`` and
``configurations/<subset>_ch_log.txt`` (tab-separated ``file source channel``)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, Resource, check_choice, load_audio, read_lines, split_line, to_int
from ._download import download_and_extract

_URL = "https://datashare.ed.ac.uk/bitstream/handle/10283/3038/DR-VCTK.zip"
_CHECKSUM = "781f12f4406ed36ed27ae3bce55da47ba176e2d8bae67319e389e07b2c9bd769"
_SUPPORTED_SUBSETS = {"train", "test"}

_ARCHIVE = (Resource(_URL, _CHECKSUM, "n/a"),)
CORPUS = Corpus(
    "DR_VCTK",
    {"train": _ARCHIVE, "test": _ARCHIVE},
    open=lambda root, subset, download: DR_VCTK(root, subset, download=download),
)


class DR_VCTK(Dataset):
    """*Device Recorded VCTK* (small subset): clean and device-recorded pairs.

    Args:
        root (str or Path): folder holding ``DR-VCTK``.
        subset (str): ``"train"`` or ``"test"``.
        download (bool): download (verified) and extract when missing.
        url (str): archive URL.

    Items are ``(clean, clean_rate, noisy, noisy_rate, speaker_id, utterance_id, source, channel_id)``.

    Shape:
        clean, noisy: ``(1, time)``.
    """

    def __init__(self, root: Union[str, Path], subset: str = "train", *, download: bool = False, url: str = _URL) -> None:
        check_choice("subset", subset, sorted(_SUPPORTED_SUBSETS), exc=RuntimeError)
        root = Path(root).expanduser()
        self._subset = subset
        self._path = root / "DR-VCTK" / "DR-VCTK"
        self._clean_audio_dir = self._path / f"clean_{subset}set_wav_16k"
        self._noisy_audio_dir = self._path / f"device-recorded_{subset}set_wav_16k"
        self._config_filepath = self._path / "configurations" / f"{subset}_ch_log.txt"
        if not self._path.is_dir():
            archive = root / "DR-VCTK.zip"
            if not download and not archive.is_file():
                raise CORPUS.not_found(self._path, root=root, subset=subset)
            download_and_extract(url, root, checksum=CORPUS.checksum_for(url))
        self._config = self._load_config(self._config_filepath)
        self._filename_list = sorted(self._config)

    def _load_config(self, filepath) -> Dict[str, Tuple[str, int]]:
        skip_rows = 2 if self._subset == "train" else 1  # header lines
        config = {}
        for number, line in read_lines(filepath):
            if number <= skip_rows or not line.strip():
                continue
            filename, source, channel = split_line(filepath, number, line.strip(), "\t", 3, "'file<TAB>source<TAB>channel'")
            config[filename] = (source, to_int(filepath, number, line, channel, "an integer channel id"))
        return config

    def _load_dr_vctk_item(self, filename: str) -> Tuple[Tensor, int, Tensor, int, str, str, str, int]:
        speaker_id, utterance_id = filename.split(".")[0].split("_")
        source, channel_id = self._config[filename]
        clean, clean_rate = load_audio(self._clean_audio_dir / filename)
        noisy, noisy_rate = load_audio(self._noisy_audio_dir / filename)
        return clean, clean_rate, noisy, noisy_rate, speaker_id, utterance_id, source, channel_id

    def __getitem__(self, n: int) -> Tuple[Tensor, int, Tensor, int, str, str, str, int]:
        return self._load_dr_vctk_item(self._filename_list[n])

    def __len__(self) -> int:
        return len(self._filename_list)
