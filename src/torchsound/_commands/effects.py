"""``torchsound effects IN OUT -- gain -3 highpass 80 rate 16k``: a sox effect chain on a file.

The chain is written as on the ``sox`` command line: each effect name starts a new effect and the
words after it, up to the next effect name, are its arguments.
"""

from __future__ import annotations

import argparse
import os
from typing import List, Sequence


def register(sub) -> None:
    p = sub.add_parser("effects", help="apply a sox effect chain to an audio file (sox's command-line syntax)",
                       description="Apply effects, written as on the sox command line, e.g. "
                                   "`torchsound effects in.wav out.wav -- gain -3 highpass 80 rate 16k`.")
    p.add_argument("input", metavar="IN", nargs="?")
    p.add_argument("output", metavar="OUT", nargs="?")
    p.add_argument("effects", nargs=argparse.REMAINDER, metavar="EFFECT",
                   help="effect names and their arguments (optionally after --); this command's own options "
                        "(--bits) may come anywhere, as sox effects take no '--' options")
    p.add_argument("--bits", type=int, help="bits per sample of OUT (default: the writer's default for its format)")
    p.add_argument("--list", action="store_true", help="list the supported effects and exit")
    p.set_defaults(handler=run)


def split_options(words: Sequence[str], args) -> List[str]:
    """The chain words with this command's options (``--bits N``, ``--bits=N``, ``--list``) taken out into
    ``args``, and the ``--`` separator dropped: sox effects have no ``--`` options, so these are ours."""
    chain: List[str] = []
    words = list(words)
    while words:
        word = words.pop(0)
        name, eq, value = word.partition("=")
        if word == "--":
            continue
        if word == "--list":
            args.list = True
        elif name == "--bits":
            if not eq:
                if not words:
                    raise ValueError("--bits needs a value")
                value = words.pop(0)
            try:
                args.bits = int(value)
            except ValueError:
                raise ValueError(f"--bits must be an integer, got {value!r}") from None
        elif word.startswith("--"):
            raise ValueError(f"unknown option {word!r} (sox effects take no '--' options)")
        else:
            chain.append(word)
    return chain


def split_chain(words: Sequence[str]) -> List[List[str]]:
    """``["gain", "-3", "rate", "16k"]`` -> ``[["gain", "-3"], ["rate", "16k"]]`` (sox's rule)."""
    from torchsound.sox_effects._chain import _load_effects
    from torchsound.sox_effects._registry import EFFECTS, UNSUPPORTED

    _load_effects()
    names = set(EFFECTS) | set(UNSUPPORTED)
    chain: List[List[str]] = []
    for word in words:
        if word in names:
            chain.append([word])
        elif not chain:
            raise ValueError(f"{word!r} is not a sox effect name; the chain must start with an effect "
                             "(see `torchsound effects --list`)")
        else:
            chain[-1].append(word)
    return chain


def run(args) -> int:
    import sys

    import torchsound
    from torchsound._commands.io import check_options
    from torchsound.sox_effects import apply_effects_tensor, effect_names
    from torchsound.sox_effects._chain import _parse_chain

    try:
        words = split_options(args.effects, args)
    except ValueError as err:
        print(f"torchsound effects: {err}", file=sys.stderr)
        return 2
    if args.list:
        print(" ".join(effect_names()))
        return 0
    if not args.input or not args.output:
        print("torchsound effects: give IN and OUT files (or --list)", file=sys.stderr)
        return 2
    try:
        chain = split_chain(words)
        _parse_chain(chain)  # a bad chain or option fails before any file is read
        fmt = os.path.splitext(args.output)[1].lstrip(".").lower() or "wav"
        check_options({fmt}, bits=args.bits)
        if os.path.exists(args.output) and os.path.exists(args.input) and os.path.samefile(args.input, args.output):
            raise ValueError(f"OUT {args.output} is IN; refusing to overwrite the input: write to another file")
        waveform, rate = torchsound.load(args.input)
        out, out_rate = apply_effects_tensor(waveform, rate, chain)
        torchsound.save(args.output, out, out_rate, bits_per_sample=args.bits)
    except (ValueError, OSError, RuntimeError) as err:
        print(f"torchsound effects: {err}", file=sys.stderr)
        return 1
    seconds = out.shape[-1] / out_rate
    print(f"{args.output}: {out.shape[-2]} channel(s), {out_rate} Hz, {out.shape[-1]} samples ({seconds:.3f} s)")
    return 0
