"""CMU ARCTIC: ``<root>/ARCTIC/cmu_us_<voice>_arctic/etc/txt.done.data`` and ``wav/arctic_<id>.wav``.

Each line of ``txt.done.data`` reads ``( arctic_a0001 "Transcript." )``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Tuple, Union

from torch import Tensor
from torch.utils.data import Dataset

from ._common import Corpus, Resource, bad_line, load_audio, read_lines
from ._download import download_and_extract

URL = "aew"
FOLDER_IN_ARCHIVE = "ARCTIC"
_BASE = "http://www.festvox.org/cmu_arctic/packed/"
_VOICES = {
    "aew": "645cb33c0f0b2ce41384fdd8d3db2c3f5fc15c1e688baeb74d2e08cab18ab406",
    "ahw": "024664adeb892809d646a3efd043625b46b5bfa3e6189b3500b2d0d59dfab06c",
    "aup": "2c55bc3050caa996758869126ad10cf42e1441212111db034b3a45189c18b6fc",
    "awb": "d74a950c9739a65f7bfc4dfa6187f2730fa03de5b8eb3f2da97a51b74df64d3c",
    "axb": "dd65c3d2907d1ee52f86e44f578319159e60f4bf722a9142be01161d84e330ff",
    "bdl": "26b91aaf48b2799b2956792b4632c2f926cd0542f402b5452d5adecb60942904",
    "clb": "3f16dc3f3b97955ea22623efb33b444341013fc660677b2e170efdcc959fa7c6",
    "eey": "8a0ee4e5acbd4b2f61a4fb947c1730ab3adcc9dc50b195981d99391d29928e8a",
    "fem": "3fcff629412b57233589cdb058f730594a62c4f3a75c20de14afe06621ef45e2",
    "gka": "dc82e7967cbd5eddbed33074b0699128dbd4482b41711916d58103707e38c67f",
    "jmk": "3a37c0e1dfc91e734fdbc88b562d9e2ebca621772402cdc693bbc9b09b211d73",
    "ksp": "8029cafce8296f9bed3022c44ef1e7953332b6bf6943c14b929f468122532717",
    "ljm": "b23993765cbf2b9e7bbc3c85b6c56eaf292ac81ee4bb887b638a24d104f921a0",
    "lnh": "4faf34d71aa7112813252fb20c5433e2fdd9a9de55a00701ffcbf05f24a5991a",
    "rms": "c6dc11235629c58441c071a7ba8a2d067903dfefbaabc4056d87da35b72ecda4",
    "rxr": "1fa4271c393e5998d200e56c102ff46fcfea169aaa2148ad9e9469616fbfdd9b",
    "slp": "54345ed55e45c23d419e9a823eef427f1cc93c83a710735ec667d068c916abf1",
    "slt": "7c173297916acf3cc7fcab2713be4c60b27312316765a90934651d367226b4ea",
}

CORPUS = Corpus(
    "CMUARCTIC",
    {v: (Resource(f"{_BASE}cmu_us_{v}_arctic.tar.bz2", h, "~100 MB"),) for v, h in _VOICES.items()},
    open=lambda root, subset, download: CMUARCTIC(root, url=subset, download=download),
)


def _parse_prompts(path: str) -> List[Tuple[str, str]]:
    """``(utterance_id, transcript)`` for each ``( id "text" )`` line."""
    entries = []
    for number, line in read_lines(path):
        text = line.strip()
        if not text:
            continue
        fields = text.split(" ", 2)
        if len(fields) != 3 or fields[0] != "(" or not fields[2].startswith('"') or not fields[2].endswith('" )'):
            raise bad_line(path, number, line, '\'( <utterance id> "<transcript>" )\'')
        entries.append((fields[1], fields[2][1:-3]))
    return entries


class CMUARCTIC(Dataset):
    """*CMU ARCTIC* single-speaker voices.

    Args:
        root (str or Path): folder where ``ARCTIC/cmu_us_<voice>_arctic`` is found or downloaded to.
        url (str): a voice (``"aew"``, ``"ahw"``, ... ``"slt"``) or an archive URL.
        folder_in_archive (str): ``"ARCTIC"``.
        download (bool): download (verified) and extract when missing.

    Items are ``(waveform, sample_rate, transcript, utterance_id)`` with ``utterance_id`` like ``"a0001"``.

    Shape:
        waveform: ``(1, time)``.
    """

    _file_text = "txt.done.data"
    _folder_text = "etc"
    _ext_audio = ".wav"
    _folder_audio = "wav"

    def __init__(self, root: Union[str, Path], url: str = URL, folder_in_archive: str = FOLDER_IN_ARCHIVE, download: bool = False) -> None:
        voice = url if url in _VOICES else None
        if voice:
            url = f"{_BASE}cmu_us_{voice}_arctic.tar.bz2"
        root = os.path.join(os.fspath(root), folder_in_archive)
        self._path = os.path.join(root, os.path.basename(url).split(".")[0])
        if not os.path.isdir(self._path):
            if not download:
                raise CORPUS.not_found(self._path, root=os.path.dirname(root), subset=voice)
            download_and_extract(url, root, checksum=CORPUS.checksum_for(url))
        self._text = os.path.join(self._path, self._folder_text, self._file_text)
        self._walker = _parse_prompts(self._text)

    def __getitem__(self, n: int) -> Tuple[Tensor, int, str, str]:
        utterance_id, transcript = self._walker[n]
        waveform, sample_rate = load_audio(os.path.join(self._path, self._folder_audio, utterance_id + self._ext_audio))
        return waveform, sample_rate, transcript, utterance_id.split("_")[1]

    def __len__(self) -> int:
        return len(self._walker)
