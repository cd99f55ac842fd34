"""Scale-out: Kaldi fbank over a generated corpus, single process vs a local 2-CPU Ray (issue 15).

Every engine runs the ``torchsound features --kind fbank`` computation (80 bins, Kaldi scaling, no dither) on
the same ``--clips`` 5 s 16 kHz 16-bit WAV clips, and the results are checked equal bit for bit:

Two paths, each on both engines:

- collect: ``extract`` (what ``torchsound features IN... -o OUT.ark`` runs): features come back to this process;
- shards: ``torchsound.data.run(..., out_dir=..., format="ark", shard_size=256)``: workers write Kaldi ark+scp
  shards, only a summary comes back (the corpus-scale path); shard bytes checked identical across engines.

Engines:

1. local, single process (``extract(..., num_cpus=1)``: today's path), with one torch thread, as each Ray
   worker and pool process has (on a shared, oversubscribed machine torch's default thread pool spins and runs
   several times slower, which would flatter Ray);
2. local process pool of ``--cpus`` processes (the default engine for large jobs; includes starting the pool);
3. Ray Data on a local Ray of ``--cpus`` CPUs, features collected to the driver in input order (Ray started and
   its workers warmed up before timing; both costs are printed separately).

Then the inputs of the cost model in docs/scale.md: the per-clip cost ``c`` (decode + fbank, one CPU) and Ray's
per-task overhead ``o`` (CPU seconds of an empty ``map_batches`` task), and the projected wall time for
LibriSpeech 960 h on N CPU workers: ``T(N) = (A * c / 5 s + K * o) / N`` with A = 3,456,000 s of audio and
K = 281,241 utterances / shard size tasks.

Ray's overhead is reported as the CPU time Ray spends beyond the single-process run:
``overhead = (cpus * T_ray - T_local) / T_local`` (0 % = perfect scaling; the issue's target: < 25 %).

Run: ``.venv/bin/python benchmarks/bench_scale.py [--clips 2000] [--cpus 2]`` (use ``--clips 200`` for a trial).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

import numpy as np
import soundfile as sf

LIBRISPEECH_SECONDS = 960 * 3600  # 960 h of audio
LIBRISPEECH_UTTERANCES = 281_241  # train-clean-100 + train-clean-360 + train-other-500
CLIP_SECONDS = 5.0


def _make_clips(folder: str, n: int, rate: int = 16000) -> list:
    rng = np.random.default_rng(0)
    t = np.arange(int(CLIP_SECONDS * rate)) / rate
    paths = []
    for i in range(n):
        x = 0.3 * np.sin(2 * np.pi * (100 + i % 400) * t) + 0.05 * rng.standard_normal(t.size)
        path = os.path.join(folder, f"clip{i:05d}.wav")
        sf.write(path, x.astype(np.float32), rate, subtype="PCM_16")
        paths.append(path)
    return paths


def _tree_cpu() -> float:
    """CPU seconds used so far by this process and every live descendant (Ray's GCS, raylet and workers when
    Ray was started here), plus children already reaped (a finished process pool). Linux /proc only; elsewhere
    this process and its reaped children."""
    import resource

    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = time.process_time() + reaped.ru_utime + reaped.ru_stime
    try:
        tick = os.sysconf("SC_CLK_TCK")
        parent, cpu = {}, {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(entry)] = int(fields[1])
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    except (OSError, ValueError, AttributeError):
        return total
    me = os.getpid()
    for pid in cpu:
        p, seen = parent.get(pid), 0
        while p and p != me and seen < 64:
            p, seen = parent.get(p), seen + 1
        if p == me and pid != me:
            total += cpu[pid]
    return total


def _timed(fn):
    """(wall seconds, CPU seconds of this process tree, result)."""
    c0, t0 = _tree_cpu(), time.perf_counter()
    out = fn()
    t1 = time.perf_counter()
    return t1 - t0, _tree_cpu() - c0, out


def _flac_extra_cost(folder: str, wav_paths: list, count: int = 100) -> float:
    """CPU seconds a 5 s FLAC clip costs to decode beyond the same clip in WAV (LibriSpeech ships FLAC)."""
    import torchsound

    flac_paths = []
    for path in wav_paths[:count]:
        x, rate = sf.read(path, dtype="int16")
        flac = os.path.join(folder, os.path.basename(path)[:-4] + ".flac")
        sf.write(flac, x, rate, subtype="PCM_16")
        flac_paths.append(flac)
    decode = lambda paths: [torchsound.load(p) for p in paths]  # noqa: E731
    decode(flac_paths[:5] + wav_paths[:5])
    _, wav_cpu, _ = _timed(lambda: decode(wav_paths[:count]))
    _, flac_cpu, _ = _timed(lambda: decode(flac_paths))
    return (flac_cpu - wav_cpu) / len(flac_paths)


def _same(a: dict, b: dict) -> bool:
    import torch

    return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def _ray_task_overhead(ray, tasks: int) -> float:
    """CPU seconds (Ray's processes and this one) per ``map_batches`` task that does nothing: scheduling,
    (de)serialisation, bookkeeping."""
    run = lambda: ray.data.range(tasks, override_num_blocks=tasks).map_batches(lambda b: b, batch_size=None).materialize()  # noqa: E731
    run()  # warm-up: same pipeline once
    _, cpu, _ = _timed(run)
    return cpu / tasks


def _median_runs(fns: dict, repeats: int) -> dict:
    """Interleaved repetitions (a, b, a, b, ...) so that load drifting on a shared machine hits every engine;
    per name the run with the median wall time: (wall, cpu)."""
    runs = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            wall, cpu, _ = _timed(fn)
            runs[name].append((wall, cpu))
    return {name: sorted(r)[len(r) // 2] for name, r in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=2000)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pool", action="store_true", help="also time the local process pool (starts it each time)")
    parser.add_argument("--shard-size", type=int, default=256, help="inputs per shard on the shards path")
    args = parser.parse_args()

    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import logging

    import ray
    import torch

    from torchsound import data
    from torchsound._commands.features import extract

    torch.set_num_threads(1)  # one CPU for the single-process reference (see the module docstring)
    steps = [data.KaldiFbank(num_mel_bins=80, energy_floor=0.0, precise=True)]  # = the fbank kind

    with tempfile.TemporaryDirectory() as tmp:
        gen, _, paths = _timed(lambda: _make_clips(tmp, args.clips))
        n = len(paths)
        print(f"generated {n} clips of {CLIP_SECONDS:g} s in {gen:.1f} s")

        def shards(engine):
            out = os.path.join(tmp, engine)
            shutil.rmtree(out, ignore_errors=True)  # every run writes all shards (no resume)
            return data.run(paths, steps, engine=engine, out_dir=out, format="ark", shard_size=args.shard_size,
                            num_cpus=1 if engine == "local" else None, show_progress=False)

        t_init, _, _ = _timed(lambda: ray.init(num_cpus=args.cpus, include_dashboard=False, logging_level="WARNING"))
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        t_warm, _, _ = _timed(lambda: extract(paths[: 4 * args.cpus], "fbank", show_progress=False, engine="ray"))
        extract(paths[:8], "fbank", show_progress=False, num_cpus=1)  # warm-up here too: imports, kernels

        # Equality first (bit for bit, same keys and order), then the timings.
        local = extract(paths, "fbank", show_progress=False, num_cpus=1)
        remote = extract(paths, "fbank", show_progress=False, engine="ray")
        assert _same(remote, local), "ray features differ from the single process"
        shards("local")
        shards("ray")
        for name in sorted(os.listdir(os.path.join(tmp, "local"))):
            if name.endswith(".ark"):
                with open(os.path.join(tmp, "local", name), "rb") as a, open(os.path.join(tmp, "ray", name), "rb") as b:
                    assert a.read() == b.read(), f"shard {name} differs between engines"
        fns = {
            "collect_local": lambda: extract(paths, "fbank", show_progress=False, num_cpus=1),
            "collect_ray": lambda: extract(paths, "fbank", show_progress=False, engine="ray"),
            "shards_local": lambda: shards("local"),
            "shards_ray": lambda: shards("ray"),
        }
        if args.pool:
            fns["collect_pool"] = lambda: extract(paths, "fbank", show_progress=False, num_cpus=args.cpus)
        t = _median_runs(fns, args.repeats)
        overhead_task = _ray_task_overhead(ray, 64)
        ray.shutdown()
        flac_extra = _flac_extra_cost(tmp, paths)

    def row(label, name, ref):
        wall, cpu = t[name]
        line = f"| {label} | {wall:.2f} | {n / wall:.1f} | {t[ref][0] / wall:.2f}x | {cpu:.2f} |"
        if name.endswith("_ray"):
            line += f" {100 * (args.cpus * wall - t[ref][0]) / t[ref][0]:.1f} % | {100 * (cpu - t[ref][1]) / t[ref][1]:.1f} % |"
        else:
            line += " | |"
        print(line)

    print()
    print(f"| path, engine ({n} clips of 5 s, Kaldi fbank 80; median of {args.repeats}) | wall s | clips/s "
          f"| speed vs single | CPU s | Ray overhead (wall) | Ray overhead (CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    row("collect, local single process", "collect_local", "collect_local")
    if args.pool:
        row(f"collect, local pool of {args.cpus} (incl. start)", "collect_pool", "collect_local")
    row(f"collect, Ray Data {args.cpus} CPUs", "collect_ray", "collect_local")
    row("shards (ark), local single process", "shards_local", "shards_local")
    row(f"shards (ark), Ray Data {args.cpus} CPUs", "shards_ray", "shards_local")
    print()
    print(f"Ray overhead (wall) = ({args.cpus} x T_ray - T_local) / T_local; (CPU) = (CPU of Ray's processes and the "
          f"driver - CPU of the single process) / the latter. Target < 25 %. Features and shards bit-identical: yes.")
    print(f"Ray start: ray.init {t_init:.1f} s, first job (workers import torch) {t_warm:.1f} s")

    c = t["shards_local"][1] / n  # CPU seconds per clip, single process
    print(f"per-clip cost c = {1000 * c:.2f} ms CPU (5 s clip: decode + fbank + ark write) = "
          f"{1000 * c / CLIP_SECONDS:.3f} ms per audio second")
    print(f"Ray per-task overhead o = {1000 * overhead_task:.1f} ms CPU per task (empty map_batches task)")
    print(f"FLAC decoding costs {1000 * flac_extra:.2f} ms CPU more per 5 s clip than WAV (LibriSpeech is FLAC)")
    print()
    tasks = LIBRISPEECH_UTTERANCES / args.shard_size
    c_flac = c + flac_extra
    work = LIBRISPEECH_SECONDS * c_flac / CLIP_SECONDS + tasks * overhead_task
    print(f"LibriSpeech 960 h (FLAC), shards of {args.shard_size}: T(N) = (3,456,000 s x {c_flac / CLIP_SECONDS * 1000:.3f} ms/s "
          f"+ {tasks:,.0f} tasks x {1000 * overhead_task:.1f} ms) / N = {work / 3600:.2f} CPU-hours / N")
    print("| workers N | projected wall time |")
    print("|---:|---:|")
    for workers in (1, 2, 16, 64, 256):
        print(f"| {workers} | {work / workers / 60:.1f} min |")


if __name__ == "__main__":
    main()
