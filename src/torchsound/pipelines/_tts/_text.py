"""Text front ends of the Tacotron2 bundles: English characters, and English phonemes through DeepPhonemizer."""

from __future__ import annotations

import logging
import pickle
import re
from typing import List, Sequence, Tuple, Union

import torch
from torch import Tensor

from .interface import Tacotron2TTSBundle

# Symbol tables of torchaudio's LJSpeech models (index = position): padding, punctuation and space come
# first, then lower-case letters or CMUdict phonemes (ARPAbet, with and without stress digits).
_PUNCTUATION = ("_", "-", "!", "'", "(", ")", ",", ".", ":", ";", "?", " ")
_CHARS = _PUNCTUATION + tuple("abcdefghijklmnopqrstuvwxyz")
_VOWELS = ("AA", "AE", "AH", "AO", "AW", "AY")
_PHONES = (
    _PUNCTUATION
    + tuple(p + s for p in _VOWELS for s in ("", "0", "1", "2"))
    + ("B", "CH", "D", "DH")
    + tuple(p + s for p in ("EH", "ER", "EY") for s in ("", "0", "1", "2"))
    + ("F", "G", "HH")
    + tuple(p + s for p in ("IH", "IY") for s in ("", "0", "1", "2"))
    + ("JH", "K", "L", "M", "N", "NG")
    + tuple(p + s for p in ("OW", "OY") for s in ("", "0", "1", "2"))
    + ("P", "R", "S", "SH", "T", "TH")
    + tuple(p + s for p in ("UH", "UW") for s in ("", "0", "1", "2"))
    + ("V", "W", "Y", "Z", "ZH")
)

DEEP_PHONEMIZER_URL = "https://public-asai-dl-models.s3.eu-central-1.amazonaws.com/DeepPhonemizer/en_us_cmudict_forward.pt"

# DeepPhonemizer writes each phoneme in brackets ("[HH][AH][L][OW]") and punctuation and spaces bare.
_PHONE_PATTERN = re.compile(r"\[([A-Z]+?)\]|([_!'(),.:;? -])")


def _pad_indices(indices: Sequence[List[int]]) -> Tuple[Tensor, Tensor]:
    """Right-pad index lists with 0 into ``(batch, max_length)`` int64, with int32 lengths ``(batch,)``."""
    lengths = torch.tensor([len(i) for i in indices], dtype=torch.int32)
    values = torch.zeros(len(indices), int(lengths.max()) if len(indices) else 0, dtype=torch.int64)
    for row, ids in enumerate(indices):
        values[row, : len(ids)] = torch.tensor(ids, dtype=torch.int64)
    return values, lengths


def _as_list(texts: Union[str, List[str]], fn: str) -> List[str]:
    if isinstance(texts, str):
        return [texts]
    if not isinstance(texts, (list, tuple)) or not all(isinstance(t, str) for t in texts):
        raise TypeError(f"{fn}: `texts` must be a str or a list of str, got {type(texts).__name__}")
    return list(texts)


class _EnglishCharProcessor(Tacotron2TTSBundle.TextProcessor):
    """Lower-cases the text and keeps the characters of the symbol table (others are dropped).

    Shape:
        - output: ``(batch, max_length)`` int64 indices padded with 0, and ``(batch,)`` int32 lengths.
    """

    def __init__(self):
        self._tokens = _CHARS
        self._index = {c: i for i, c in enumerate(_CHARS)}

    @property
    def tokens(self):
        return self._tokens

    def __call__(self, texts: Union[str, List[str]]) -> Tuple[Tensor, Tensor]:
        texts = _as_list(texts, "TextProcessor")
        return _pad_indices([[self._index[c] for c in t.lower() if c in self._index] for t in texts])


def _load_phonemizer(*, progress: bool = True, sha256=None):
    """DeepPhonemizer's English (CMUdict) phonemizer, from torch.hub's checkpoint folder or downloaded there.

    DeepPhonemizer's own loader unpickles the whole file. Here it is read with ``weights_only=True``, allowing
    only DeepPhonemizer's three tokenizer/preprocessor classes, as torchaudio does (the file pickles a
    ``Preprocessor`` next to the config and state dict). The unpickler may create them, call their constructors
    (which only build symbol dictionaries) and set their attributes; anything else in the file is refused. The
    model is then built from the checkpoint's config and state dict.
    """
    try:
        import dp  # noqa: F401
    except ImportError as err:
        raise ImportError(
            "The phoneme-based Tacotron2 text processor needs DeepPhonemizer (module `dp`); "
            "install it with: pip install 'torchsound[pipelines]'"
        ) from err
    from dp.model.model import ModelType, create_model
    from dp.model.predictor import Predictor
    from dp.phonemizer import Phonemizer
    from dp.preprocessing.text import LanguageTokenizer, Preprocessor, SequenceTokenizer

    from .. import _assets

    path = _assets.fetch_checkpoint(DEEP_PHONEMIZER_URL, sha256=sha256, progress=progress)
    try:
        with torch.serialization.safe_globals([Preprocessor, LanguageTokenizer, SequenceTokenizer]):
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:  # weights_only refused an object: loading it would run code
        raise _assets.UnsafeCheckpointError(
            f"{path}: refused to load: the file holds objects that torch.load(weights_only=True) does not allow "
            f"beyond DeepPhonemizer's tokenizers (loading it would run code from the file). ({err})"
        ) from None
    except (RuntimeError, EOFError, ValueError, OSError) as err:
        raise RuntimeError(f"{path}: not a readable checkpoint ({type(err).__name__}: {err})") from err
    if not isinstance(checkpoint, dict) or not {"config", "model", "preprocessor"} <= set(checkpoint):
        raise ValueError(f"{path}: not a DeepPhonemizer checkpoint (expected a dict with config, model, preprocessor)")

    # dp logs at DEBUG level while it builds its model; keep that quiet as torchaudio does.
    logger = logging.getLogger("dp")
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        config = checkpoint["config"]
        model = create_model(ModelType(config["model"]["type"]), config=config)
        model.load_state_dict(checkpoint["model"])
        model.eval()
        predictor = Predictor(model=model, preprocessor=checkpoint["preprocessor"])
        return Phonemizer(predictor=predictor, lang_phoneme_dict=checkpoint.get("phoneme_dict"))
    finally:
        logger.setLevel(level)


class _EnglishPhoneProcessor(Tacotron2TTSBundle.TextProcessor):
    """Converts English text to CMUdict phonemes with DeepPhonemizer, then to indices.

    Shape:
        - output: ``(batch, max_length)`` int64 indices padded with 0, and ``(batch,)`` int32 lengths.
    """

    def __init__(self, *, dl_kwargs=None):
        self._tokens = _PHONES
        self._index = {p: i for i, p in enumerate(_PHONES)}
        self._phonemizer = _load_phonemizer(**_download_options(dl_kwargs))

    @property
    def tokens(self):
        return self._tokens

    def __call__(self, texts: Union[str, List[str]]) -> Tuple[Tensor, Tensor]:
        texts = _as_list(texts, "TextProcessor")
        indices = []
        for phonemes in self._phonemizer(texts, lang="en_us"):
            # "[F][UW][B][AA][R]!" -> F UW B AA R !
            symbols = [bracketed or bare for bracketed, bare in _PHONE_PATTERN.findall(phonemes)]
            indices.append([self._index[s] for s in symbols])
        return _pad_indices(indices)


def _check_dl_kwargs(dl_kwargs) -> dict:
    if dl_kwargs is None:
        return {}
    if not isinstance(dl_kwargs, dict):
        raise TypeError(f"`dl_kwargs` must be a dict or None, got {type(dl_kwargs).__name__}")
    return dl_kwargs


def _download_options(dl_kwargs) -> dict:
    """torch.hub.download_url_to_file's keywords (``progress``, ``hash_prefix``) as fetch_checkpoint's."""
    kwargs = _check_dl_kwargs(dl_kwargs)
    unknown = sorted(set(kwargs) - {"progress", "hash_prefix"})
    if unknown:
        raise TypeError(f"`dl_kwargs` accepts progress, hash_prefix; got unexpected {', '.join(unknown)}")
    return {"progress": bool(kwargs.get("progress", True)), "sha256": kwargs.get("hash_prefix") or None}
