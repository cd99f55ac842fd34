"""CMU Pronouncing Dictionary: ``<root>/cmudict-0.7b`` (latin-1, ``WORD  PH1 PH2 ...``) and ``cmudict-0.7b.symbols``."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, List, Tuple, Union

from torch.utils.data import Dataset

from ._common import Corpus, Resource, bad_line, read_lines
from ._download import download_file

_URL = "http://svn.code.sf.net/p/cmusphinx/code/trunk/cmudict/cmudict-0.7b"
_URL_SYMBOLS = "http://svn.code.sf.net/p/cmusphinx/code/trunk/cmudict/cmudict-0.7b.symbols"
_CHECKSUMS = {
    _URL: "209a8b4cd265013e96f4658632a9878103b0c5abf62b50d4ef3ae1be226b29e4",
    _URL_SYMBOLS: "408ccaae803641c6d7b626b6299949320c2dbca96b2220fd3fb17887b023b027",
}
# Punctuation entries of the dictionary ("!EXCLAMATION-POINT", ...): kept as the symbol itself
# ("!") when punctuation is not excluded.
_PUNCTUATIONS = {
    "!EXCLAMATION-POINT", '"CLOSE-QUOTE', '"DOUBLE-QUOTE', '"END-OF-QUOTE', '"END-QUOTE', '"IN-QUOTES', '"QUOTE',
    '"UNQUOTE', "#HASH-MARK", "#POUND-SIGN", "#SHARP-SIGN", "%PERCENT", "&AMPERSAND", "'END-INNER-QUOTE",
    "'END-QUOTE", "'INNER-QUOTE", "'QUOTE", "'SINGLE-QUOTE", "(BEGIN-PARENS", "(IN-PARENTHESES", "(LEFT-PAREN",
    "(OPEN-PARENTHESES", "(PAREN", "(PARENS", "(PARENTHESES", ")CLOSE-PAREN", ")CLOSE-PARENTHESES", ")END-PAREN",
    ")END-PARENS", ")END-PARENTHESES", ")END-THE-PAREN", ")PAREN", ")PARENS", ")RIGHT-PAREN", ")UN-PARENTHESES",
    "+PLUS", ",COMMA", "--DASH", "-DASH", "-HYPHEN", "...ELLIPSIS", ".DECIMAL", ".DOT", ".FULL-STOP", ".PERIOD",
    ".POINT", "/SLASH", ":COLON", ";SEMI-COLON", ";SEMI-COLON(1)", "?QUESTION-MARK", "{BRACE", "{LEFT-BRACE",
    "{OPEN-BRACE", "}CLOSE-BRACE", "}RIGHT-BRACE",
}
_ALTERNATIVE = re.compile(r"\([0-9]+\)")

CORPUS = Corpus(
    "CMUDict",
    {"cmudict-0.7b": (Resource(_URL, _CHECKSUMS[_URL], "3.7 MB"), Resource(_URL_SYMBOLS, _CHECKSUMS[_URL_SYMBOLS], "0.3 kB"))},
    open=lambda root, subset, download: CMUDict(root, download=download),
)


def _parse_dictionary(lines: Iterable[Tuple[int, str]], exclude_punctuations: bool, path: str) -> List[Tuple[str, List[str]]]:
    entries = []
    for number, line in lines:
        if not line or line.startswith(";;;"):
            continue
        fields = line.strip().split("  ")
        if len(fields) != 2 or not fields[0] or not fields[1]:
            raise bad_line(path, number, line, "'WORD  PHONE PHONE ...' (two spaces after the word)")
        word, phones = fields
        if word in _PUNCTUATIONS:
            if exclude_punctuations:
                continue
            word = "..." if word.startswith("...") else "--" if word.startswith("--") else word[0]
        entries.append((_ALTERNATIVE.sub("", word), phones.split(" ")))
    return entries


class CMUDict(Dataset):
    """*CMU Pronouncing Dictionary* (0.7b).

    Args:
        root (str or Path): existing folder holding (or receiving) the dictionary files.
        exclude_punctuations (bool): drop the punctuation entries (``!EXCLAMATION-POINT`` ...).
        download (bool): download (verified) the files when missing.
        url, url_symbols (str): where to download them from.

    Items are ``(word, [phonemes])``; ``symbols`` lists the phoneme set.
    """

    def __init__(
        self,
        root: Union[str, Path],
        exclude_punctuations: bool = True,
        *,
        download: bool = False,
        url: str = _URL,
        url_symbols: str = _URL_SYMBOLS,
    ) -> None:
        self.exclude_punctuations = exclude_punctuations
        self._root_path = Path(root)
        if not self._root_path.is_dir():
            raise CORPUS.not_found(self._root_path, root=root)
        dict_file = self._root_path / os.path.basename(url)
        symbol_file = self._root_path / os.path.basename(url_symbols)
        for target, source in [(dict_file, url), (symbol_file, url_symbols)]:
            if not target.exists():
                if not download:
                    raise CORPUS.not_found(target, root=root)
                download_file(source, target, checksum=CORPUS.checksum_for(source))
        self._symbols = [line.strip() for _, line in read_lines(symbol_file)]
        self._dictionary = _parse_dictionary(read_lines(dict_file, encoding="latin-1"), exclude_punctuations, os.fspath(dict_file))

    def __getitem__(self, n: int) -> Tuple[str, List[str]]:
        return self._dictionary[n]

    def __len__(self) -> int:
        return len(self._dictionary)

    @property
    def symbols(self) -> List[str]:
        """The phoneme symbols (``"AA"``, ``"AA0"``, ...)."""
        return self._symbols.copy()
