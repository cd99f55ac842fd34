"""``torchsound align`` (MMS_FA word timings), ``torchsound transcribe`` (greedy CTC with a wav2vec2 ASR bundle)
and ``torchsound weights`` (where a bundle's files go, and whether they are there).

Weights come from the torch.hub / torchaudio cache (``$TORCH_HOME/hub``); when they are absent and cannot be
downloaded, the command prints one line naming the file, its URL and the path to put it at, and exits with 1.
"""

from __future__ import annotations

import os
import sys
from typing import List, Tuple

DEFAULT_ASR_BUNDLE = "WAV2VEC2_ASR_BASE_960H"


def register(sub) -> None:
    p = sub.add_parser("align", help="word timings of a transcript in an audio file (MMS_FA forced alignment)")
    p.add_argument("audio", help="audio file (any language, resampled to 16 kHz, channels averaged)")
    p.add_argument("transcript", help="the transcript, or a text file holding it; romanised text: characters "
                                      "other than a-z and ' are left out")
    p.set_defaults(handler=run_align)

    p = sub.add_parser("transcribe", help="speech to text with a wav2vec2-family ASR bundle (greedy CTC)")
    p.add_argument("audio", nargs="+", help="audio files")
    p.add_argument("--bundle", default=DEFAULT_ASR_BUNDLE,
                   help=f"ASR bundle name from torchsound.pipelines (default: {DEFAULT_ASR_BUNDLE})")
    p.set_defaults(handler=run_transcribe)

    p = sub.add_parser("weights", help="where a pretrained bundle's files go (to place them offline), and their URLs")
    p.add_argument("bundle", nargs="+", help="bundle names from torchsound.pipelines, e.g. MMS_FA")
    p.set_defaults(handler=run_weights)


def _fail(command: str, err: BaseException) -> int:
    print(f"torchsound {command}: {err}", file=sys.stderr)
    return 1


def _load_mono(path: str, sample_rate: int):
    """(1, time) float32 at ``sample_rate``: channels averaged, resampled."""
    import torchsound
    from torchsound.functional import resample

    waveform, rate = torchsound.load(path)
    waveform = waveform.mean(dim=0, keepdim=True)
    if rate != sample_rate:
        waveform = resample(waveform, rate, int(sample_rate))
    return waveform


# ----------------------------------------------------------------------------- align


def read_transcript(text_or_path: str) -> str:
    if os.path.isfile(text_or_path):
        with open(text_or_path, encoding="utf-8") as f:
            return f.read()
    return text_or_path


def normalize_words(text: str, dictionary) -> Tuple[List[str], List[str]]:
    """(words as written, words kept for alignment): lower case, only characters the model knows; empty words dropped."""
    shown, kept = [], []
    for word in text.split():
        clean = "".join(c for c in word.lower() if c in dictionary)
        if clean:
            shown.append(word)
            kept.append(clean)
    return shown, kept


def align(waveform, words: List[str], bundle=None):
    """Word spans: ``[(start_s, end_s, score)]`` for ``words`` (normalised) in ``waveform`` (1, time) at 16 kHz.

    ``score`` is the mean probability of the word's characters over their frames.
    """
    import torch

    from torchsound import pipelines

    bundle = bundle or pipelines.MMS_FA
    model = bundle.get_model()
    with torch.inference_mode():
        emission, _ = model(waveform)
    tokens = bundle.get_tokenizer()(words)
    spans = bundle.get_aligner()(emission[0], tokens)
    seconds_per_frame = waveform.size(1) / emission.size(1) / bundle.sample_rate
    out = []
    for word_spans in spans:
        frames = sum(s.end - s.start for s in word_spans)
        score = sum(s.score * (s.end - s.start) for s in word_spans) / frames
        out.append((word_spans[0].start * seconds_per_frame, word_spans[-1].end * seconds_per_frame, float(score)))
    return out


def run_align(args) -> int:
    from torchsound import pipelines

    try:
        bundle = pipelines.MMS_FA
        shown, words = normalize_words(read_transcript(args.transcript), bundle.get_dict(star=None))
        if not words:
            raise ValueError("the transcript has no word made of the model's characters (a-z and ')")
        waveform = _load_mono(args.audio, bundle.sample_rate)
        spans = align(waveform, words, bundle)
    except Exception as err:  # noqa: BLE001 - one line, exit code 1
        return _fail("align", err)
    print("start\tend\tscore\tword")
    for word, (start, end, score) in zip(shown, spans):
        print(f"{start:.3f}\t{end:.3f}\t{score:.3f}\t{word}")
    return 0


# ----------------------------------------------------------------------------- transcribe


def greedy_ctc(emission, labels) -> str:
    """Best label per frame, repeats merged, blanks (index 0) removed; ``|`` is the word gap.

    Shape:
        emission: ``(frames, classes)``
    """
    import torch

    best = torch.unique_consecutive(emission.argmax(dim=-1))
    text = "".join(labels[i] for i in best.tolist() if i != 0)
    return " ".join(text.replace("|", " ").split())


def _asr_bundle(name: str):
    from torchsound import pipelines
    from torchsound.pipelines import Wav2Vec2ASRBundle, Wav2Vec2FABundle

    bundle = getattr(pipelines, name, None) if name.isidentifier() else None
    if not isinstance(bundle, Wav2Vec2ASRBundle) or isinstance(bundle, Wav2Vec2FABundle):
        names = [n for n in pipelines.__all__ if n.isupper()
                 and isinstance(getattr(pipelines, n), Wav2Vec2ASRBundle) and not isinstance(getattr(pipelines, n), Wav2Vec2FABundle)]
        raise ValueError(f"--bundle must be a wav2vec2-family ASR bundle ({', '.join(names)}), got {name!r}")
    return bundle


def run_transcribe(args) -> int:
    import torch

    try:
        bundle = _asr_bundle(args.bundle)
        model = bundle.get_model()
        labels = bundle.get_labels()
        texts = []
        for path in args.audio:
            waveform = _load_mono(path, bundle.sample_rate)
            with torch.inference_mode():
                emission, _ = model(waveform)
            texts.append(greedy_ctc(emission[0], labels))
    except Exception as err:  # noqa: BLE001 - one line, exit code 1
        return _fail("transcribe", err)
    for path, text in zip(args.audio, texts):
        print(f"{path}\t{text}" if len(args.audio) > 1 else text)
    return 0


# ----------------------------------------------------------------------------- weights


def bundle_files(bundle) -> List[Tuple[str, "os.PathLike", bool]]:
    """``(url, path, cached)`` of every file the bundle's ``get_*`` methods read, found without fetching any."""
    import inspect

    from torchsound.pipelines import _assets

    found = []
    for name in sorted(dir(bundle)):
        method = getattr(bundle, name)
        if not name.startswith("get_") or not callable(method):
            continue
        required = [p for p in inspect.signature(method).parameters.values()
                    if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if required:
            continue
        with _assets.record_fetches() as seen:
            try:
                method()
            except Exception:  # noqa: BLE001 - the fetch stops the method once it has been noted
                pass
        found += [entry for entry in seen if entry not in found]
    return found


def find_bundle(name: str):
    """The bundle called ``name`` in torchsound.pipelines or torchsound.prototype.pipelines, else None."""
    import importlib

    if not name.isidentifier():
        return None
    for module in ("torchsound.pipelines", "torchsound.prototype.pipelines"):
        bundle = getattr(importlib.import_module(module), name, None)
        if bundle is not None and not isinstance(bundle, type) and not callable(bundle):
            return bundle
    return None


def run_weights(args) -> int:
    code = 0
    for name in args.bundle:
        bundle = find_bundle(name)
        if bundle is None:
            print(f"torchsound weights: {name!r} is not a bundle of torchsound.pipelines or its prototype", file=sys.stderr)
            code = 1
            continue
        print(name)
        for url, path, cached in bundle_files(bundle):
            print(f"  {'present' if cached else 'missing'}  {path}\n           from {url}")
    return code
