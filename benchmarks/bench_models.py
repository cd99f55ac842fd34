"""Models: torchsound.models against torchaudio 2.8's own models, same weights, same input.

    .venv/bin/python benchmarks/bench_models.py [--reps 3] [--threads 2] [--only wav2vec2_base,Conformer] [--no-memory]

Each row builds torchaudio 2.8's model (the oracle in .venv/oracles/torchaudio28), loads its state_dict into
ours with strict=True, and times both in eval mode under torch.inference_mode on 2 threads, alternately, after
a warm-up. It prints median times, the median of the per-repetition ratios ours / torchaudio (< 1 means
torchsound is faster; steadier than the ratio of the medians when the machine's load drifts) and the max
abs difference of the outputs, so that a speed-up never hides a wrong answer. A row whose model torchsound
does not provide yet is skipped with a note. Rows are printed as they finish.

On a machine loaded beyond its cores, 2 intra-op threads can run far slower than 1 (each small op waits on
a descheduled worker): both sides suffer alike, but the run gets long; compare ratios from one run only.

Peak memory: each model runs alone in a fresh subprocess (one per row and side). After a warm-up forward the
child returns freed heap to the OS (malloc_trim), resets the kernel's peak-RSS mark (``echo 5 >
/proc/self/clear_refs``), runs one forward and reports VmHWM - VmRSS from /proc/self/status: the forward's
peak resident memory above the model and input already loaded (activations, workspaces, allocator slack).
tracemalloc is not used: it does not see tensor storage. For torchsound the child also reports the packed weight
copies its fast path keeps across forwards (``+ N packed``): resident memory the model holds beyond its weights. Where clear_refs is not writable the child falls
back to resource.getrusage ru_maxrss deltas, which undercount when an earlier peak (model building) was higher.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import soundfile
import torch

ROOT = Path(__file__).resolve().parents[1]
ORACLE = ROOT / ".venv" / "oracles" / "torchaudio28"
THREADS = 2  # the setting; --threads changes it (children get it through TORCHSOUND_BENCH_THREADS)


def _speech(rate: int, seconds: float, batch: int) -> torch.Tensor:
    """The bundled 16 kHz speech sample tiled to ``seconds``; 8 kHz by taking every other sample.

    Shape: (batch, time), each row shifted so the batch items differ.
    """
    from torchsound.utils import sample_path

    speech, sr = soundfile.read(sample_path(), dtype="float32")
    assert sr == 16000
    speech = torch.from_numpy(speech)[:: 16000 // rate]  # aliasing is irrelevant for timing
    n = int(rate * seconds)
    tiled = speech.repeat(n // speech.numel() + 2)
    return torch.stack([tiled[i * 997 : i * 997 + n] for i in range(batch)])


# ---- the cases: build(models_module) -> model, inputs() -> tuple, run(model, inputs) -> output tensor ----


def _first(out):
    return out[0] if isinstance(out, tuple) else out


class Wav2Vec2Base:
    label = "wav2vec2_base, 2 x 10 s at 16 kHz"
    name = "wav2vec2_base"

    def build(self, m):
        return m.wav2vec2_base()

    def inputs(self):
        return (_speech(16000, 10, 2),)

    def run(self, model, x):
        return model(x)[0]


class ConvTasNetBase:
    label = "conv_tasnet_base, 1 x 10 s at 8 kHz"
    name = "conv_tasnet_base"

    def build(self, m):
        return m.conv_tasnet_base()

    def inputs(self):
        return (_speech(8000, 10, 1).unsqueeze(1),)

    def run(self, model, x):
        return model(x)


class WaveRNNForward:
    # torchaudio's pretrained WaveRNN configuration (WAVERNN_10k_EPOCHS_8BITS_LJSPEECH) on a training-style
    # batch of 2 x 8 mel frames (1100 samples each: the GRU runs one step per sample, so it stays short)
    label = "WaveRNN forward, 2 x 8 frames (hop 275)"
    name = "WaveRNN"
    frames = 8

    def build(self, m):
        return m.WaveRNN(upsample_scales=[5, 5, 11], n_classes=256, hop_length=275, n_freq=80)

    def inputs(self):
        g = torch.Generator().manual_seed(1)
        spec = torch.randn(2, 1, 80, self.frames, generator=g)
        wave = torch.rand(2, 1, (self.frames - 5 + 1) * 275, generator=g) * 2 - 1
        return wave, spec

    def run(self, model, wave, spec):
        return model(wave, spec)


class Conformer4:
    label = "Conformer 4 layers, 80-dim, 2 x 1000 frames"
    name = "Conformer"

    def build(self, m):
        return m.Conformer(input_dim=80, num_heads=4, ffn_dim=320, num_layers=4, depthwise_conv_kernel_size=31)

    def inputs(self):
        g = torch.Generator().manual_seed(2)
        return torch.randn(2, 1000, 80, generator=g), torch.tensor([1000, 800])

    def run(self, model, x, lengths):
        return model(x, lengths)[0]


class EmformerStreaming:
    # emformer_rnnt_base's transcriber Emformer (after its 4x time reduction: 10 s = 250 frames of 512),
    # fed chunk by chunk through infer with the states carried over, as streaming ASR runs it
    label = "Emformer streaming infer, 20 layers, 10 s (62 chunks)"
    name = "Emformer"
    segment, right = 4, 1

    def build(self, m):
        return m.Emformer(
            input_dim=512,
            num_heads=8,
            ffn_dim=2048,
            num_layers=20,
            segment_length=self.segment,
            activation="gelu",
            left_context_length=30,
            right_context_length=self.right,
            tanh_on_mem=True,
        )

    def inputs(self):
        return (torch.randn(1, 250, 512, generator=torch.Generator().manual_seed(3)),)

    def run(self, model, x):
        states, outs = None, []
        width = self.segment + self.right
        lengths = torch.tensor([width])
        for start in range(0, x.shape[1] - width + 1, self.segment):
            out, _, states = model.infer(x[:, start : start + width], lengths, states)
            outs.append(out)
        return torch.cat(outs, 1)


class HDemucsHigh:
    label = "hdemucs_high, 4 sources, 10 s stereo at 44.1 kHz"
    name = "hdemucs_high"

    def build(self, m):
        return m.hdemucs_high(sources=["drums", "bass", "other", "vocals"])

    def inputs(self):
        return (torch.randn(1, 2, 441000, generator=torch.Generator().manual_seed(4)) * 0.1,)

    def run(self, model, x):
        return model(x)


CASES = {c.name: c for c in (Wav2Vec2Base(), ConvTasNetBase(), WaveRNNForward(), Conformer4(), EmformerStreaming(), HDemucsHigh())}


def _libs():
    import torchsound.models as ours

    sys.path.insert(0, str(ORACLE))
    import torchaudio

    assert torchaudio.__version__.startswith("2.8"), torchaudio.__file__
    return ours, torchaudio.models


def _provided(models_module, name):
    try:
        getattr(models_module, name)
        return True
    except AttributeError:  # torchsound's NotProvidedError is an AttributeError
        return False


# ---- memory child ----


def _status_kib(field):
    return int(re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


def _memory_child(name, side):
    import resource

    torch.set_num_threads(int(os.environ.get("TORCHSOUND_BENCH_THREADS", THREADS)))
    ours, peer = _libs()
    case = CASES[name]
    torch.manual_seed(0)
    model = case.build(ours if side == "ours" else peer).eval()
    inputs = case.inputs()
    with torch.inference_mode():
        case.run(model, *inputs)  # warm-up: one-time caches are not the forward's working memory
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except OSError:
            pass
        try:
            Path("/proc/self/clear_refs").write_text("5")
            method = "VmHWM-VmRSS"
            before = _status_kib("VmRSS")
            case.run(model, *inputs)
            peak = _status_kib("VmHWM") - before
        except OSError:
            method = "maxrss delta"
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            case.run(model, *inputs)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    packed = 0
    if side == "ours":
        from torchsound.models import _onednn

        packed = _onednn._packed_bytes  # weight copies the warm-up packed and the model keeps using
    print(json.dumps({"mib": peak / 1024, "method": method, "packed_mib": packed / 2**20}))


def _memory(name, side):
    proc = subprocess.run(
        [sys.executable, __file__, "--memory", name, side], capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        return None, proc.stderr.strip().splitlines()[-1] if proc.stderr else f"exit {proc.returncode}"
    return json.loads(proc.stdout.strip().splitlines()[-1]), None


# ---- timing, in this process ----


def _time_pair(ours, peer, reps):
    """Median ms of each and the median of the per-repetition ratios ours / peer.

    The two run alternately (the order flipping each repetition) so that both see the same load on a shared
    machine; the ratio of one repetition compares two runs seconds apart, so its median is steadier under a
    load that drifts during the run than the ratio of the two medians. No warm-up here: the caller's agreement
    check has just run both once.
    """
    times = ([], [])
    for rep in range(reps):
        order = ((ours, times[0]), (peer, times[1]))
        for fn, bucket in order if rep % 2 == 0 else order[::-1]:
            t0 = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - t0)
    ratio = statistics.median(a / b for a, b in zip(*times))
    return statistics.median(times[0]) * 1e3, statistics.median(times[1]) * 1e3, ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated row names: " + ", ".join(CASES))
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--no-memory", action="store_true", help="skip the per-row memory subprocesses")
    parser.add_argument("--memory", nargs=2, metavar=("ROW", "SIDE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory:
        _memory_child(*args.memory)
        return

    torch.set_num_threads(args.threads)
    os.environ["TORCHSOUND_BENCH_THREADS"] = str(args.threads)
    ours_m, peer_m = _libs()
    names = [n for n in args.only.split(",") if n] or list(CASES)
    notes, methods = [], set()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, eval + inference_mode, median of {args.reps}\n")
    print("| case | torchsound (ms) | torchaudio 2.8 (ms) | ratio ours/ta (median of pairs) | max abs diff | peak MiB ours | peak MiB ta |")
    print("|---|---:|---:|---:|---:|---:|---:|", flush=True)
    for name in names:
        case = CASES[name]
        if not _provided(ours_m, name):
            notes.append(f"{case.label}: skipped, torchsound.models does not provide {name} yet")
            continue
        torch.manual_seed(0)
        peer = case.build(peer_m).eval()
        ours = case.build(ours_m).eval()
        try:
            ours.load_state_dict(peer.state_dict(), strict=True)
        except RuntimeError as err:
            notes.append(f"{case.label}: skipped, torchaudio's state_dict does not load into ours: {err}")
            continue
        inputs = case.inputs()
        with torch.inference_mode():
            # the agreement check doubles as the warm-up of both
            diff = (case.run(ours, *inputs) - case.run(peer, *inputs)).abs().max().item()
            t_ours, t_peer, ratio = _time_pair(partial(case.run, ours, *inputs), partial(case.run, peer, *inputs), args.reps)
        del ours, peer
        mem = []
        for side in ("ours", "peer"):
            if args.no_memory:
                mem.append("-")
                continue
            result, err = _memory(name, side)
            if result is None:
                mem.append("?")
                notes.append(f"{case.label}: memory child ({side}) failed: {err}")
            else:
                packed = f" + {result['packed_mib']:.0f} packed" if result.get("packed_mib") else ""
                mem.append(f"{result['mib']:.0f}{packed}")
                methods.add(result["method"])
        m_ours, m_peer = mem
        print(f"| {case.label} | {t_ours:.1f} | {t_peer:.1f} | {ratio:.2f} | {diff:.1e} | {m_ours} | {m_peer} |", flush=True)

    if methods:
        notes.append(f"peak MiB: the forward's peak RSS above the loaded model and input, own subprocess ({', '.join(sorted(methods))}); "
                     "'+ N packed': oneDNN copies of linear weights that the first forward made and later ones reuse "
                     "(models/_onednn.py; TORCHSOUND_PACKED_WEIGHTS_MB=0 turns them off)")
    for note in notes:
        print(f"\n- {note}", end="")
    if notes:
        print()


if __name__ == "__main__":
    main()
