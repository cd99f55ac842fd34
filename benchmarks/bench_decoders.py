"""CTC beam search decoders: torchsound's PyTorch search against flashlight-text, same emissions.

    .venv/bin/python benchmarks/bench_decoders.py [--reps 5] [--threads 1] [--frames 500] [--batch 2]

The issue's setting: lexicon-free beam search, beam 50, over 2 x 10 s of 29-token emissions (wav2vec2's
20 ms frames: 2 x 500 frames). Two inputs: "peaked" emissions shaped like a CTC model's output (mostly
confident blanks, confident tokens) and "uniform-ish" random log-softmax emissions (every token plausible
at every frame: the search's worst case). Rows:

- flashlight-text: torchaudio 2.8's ``ctc_decoder`` (the oracle in .venv/oracles/torchaudio28, which drives
  flashlight-text's C++ LexiconFreeDecoder); without the oracle, torchsound's flashlight backend (the same C++).
- torch ctc_decoder: ``ctc_decoder(..., backend="torch")``, the PyTorch search with flashlight's rules
  (same hypotheses: the script checks tokens and scores).
- torch cuda_ctc_decoder: the PyTorch prefix beam search (beam capped at the 29 tokens as torchaudio does), on CPU.

Each decoder runs alternately ``--reps`` times after a warm-up, in one process; the table prints medians and
ratios ours / flashlight-text (< 1: torchsound faster). flashlight-text is single-threaded; ``--threads``
sets torch's intra-op threads (1 by default: the search's tensors are small, and more threads mostly wait).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
ORACLE = ROOT / ".venv" / "oracles" / "torchaudio28"
TOKENS = ["-", "|"] + [chr(ord("a") + i) for i in range(26)] + ["'"]


def emissions(kind: str, batch: int, frames: int, seed: int = 0) -> torch.Tensor:
    """Log-probabilities, shape (batch, frames, 29)."""
    g = torch.Generator().manual_seed(seed)
    if kind == "peaked":  # about 60 % blank frames, the rest a confident token, plus noise
        labels = torch.randint(0, len(TOKENS), (batch, frames), generator=g)
        labels[torch.rand(batch, frames, generator=g) < 0.6] = 0
        logits = torch.randn(batch, frames, len(TOKENS), generator=g) + 6.0 * torch.nn.functional.one_hot(
            labels, len(TOKENS)
        )
    else:
        logits = 3.0 * torch.randn(batch, frames, len(TOKENS), generator=g)
    return logits.log_softmax(-1).contiguous()


def flashlight_decoder(beam: int):
    if (ORACLE / "torchaudio" / "__init__.py").is_file():
        sys.path.insert(0, str(ORACLE))
        oracle = importlib.import_module("torchaudio.models.decoder")
        return "flashlight-text (torchaudio 2.8)", oracle.ctc_decoder(None, TOKENS, beam_size=beam)
    from torchsound.models.decoder import ctc_decoder

    return "flashlight-text (torchsound)", ctc_decoder(None, TOKENS, beam_size=beam, backend="flashlight")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--frames", type=int, default=500)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--beam", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from torchsound.models.decoder import ctc_decoder, cuda_ctc_decoder

    peer_name, peer = flashlight_decoder(args.beam)
    ours = ctc_decoder(None, TOKENS, beam_size=args.beam, backend="torch")
    prefix = cuda_ctc_decoder(TOKENS, beam_size=args.beam, blank_skip_threshold=1.0)
    print(
        f"lexicon-free beam {args.beam}, {args.batch} x {args.frames} frames x {len(TOKENS)} tokens, "
        f"torch threads {args.threads}, {args.reps} reps (median)"
    )
    print(f"{'input':<8} {'decoder':<34} {'median s':>9} {'ratio':>7}  check")
    for kind in ("peaked", "uniform"):
        em = emissions(kind, args.batch, args.frames)
        lens = torch.full((args.batch,), args.frames, dtype=torch.int32)
        runs = {
            peer_name: lambda em=em: peer(em),
            "torch ctc_decoder": lambda em=em: ours(em),
            f"torch cuda_ctc_decoder (beam {prefix.beam_size})": lambda em=em, lens=lens: prefix(em, lens),
        }
        results = {name: fn() for name, fn in runs.items()}  # warm-up, and the outputs to check
        times = {name: [] for name in runs}
        for _ in range(args.reps):
            for name, fn in runs.items():
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        ref = results[peer_name]
        base = statistics.median(times[peer_name])
        for name in runs:
            med = statistics.median(times[name])
            check = ""
            if name == "torch ctc_decoder":
                same = all(
                    a[0].tokens.tolist() == b[0].tokens.tolist()
                    and abs(a[0].score - b[0].score) < 1e-6 * abs(b[0].score)
                    for a, b in zip(results[name], ref)
                )
                check = "same hypotheses" if same else "DIFFERENT hypotheses"
            elif name != peer_name:
                check = "prefix beam (sums alignments)"
            print(f"{kind:<8} {name:<34} {med:9.3f} {med / base:7.2f}  {check}", flush=True)


if __name__ == "__main__":
    main()
