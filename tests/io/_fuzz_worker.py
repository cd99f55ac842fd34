"""Child process of test_io_fuzz: runs every read operation on a batch of (mutated) files.

Usage: python _fuzz_worker.py MEMORY_CAP_BYTES < list of paths (one a line)

Before each operation it prints ``start <index> <op>`` (flushed), so that the parent can name the file
and operation behind a crash or a hang; after it, one JSON line with the outcome. The address-space
cap (RLIMIT_AS) is set after the imports, so an allocation sized by a corrupt header fails here.
"""

import json
import resource
import sys

import torch

import torchsound
from torchsound.io import StreamReader
from torchsound.io._source import AudioFileError

OPS = ("info", "load", "slice", "fileobj", "stream")


def _run(op: str, path: str):
    if op == "info":
        meta = torchsound.info(path)
        return {"frames": meta.num_frames, "rate": meta.sample_rate, "channels": meta.num_channels}
    if op == "load":
        waveform, rate = torchsound.load(path)
        return {"shape": list(waveform.shape), "rate": rate, "sum": float(waveform.double().abs().sum())}
    if op == "slice":
        waveform, rate = torchsound.load(path, frame_offset=700, num_frames=3000)
        return {"shape": list(waveform.shape), "rate": rate}
    if op == "fileobj":
        with open(path, "rb") as f:
            waveform, rate = torchsound.load(f)
        return {"shape": list(waveform.shape), "rate": rate, "sum": float(waveform.double().abs().sum())}
    reader = StreamReader(path)
    reader.add_basic_audio_stream(frames_per_chunk=4096)
    frames = 0
    for (chunk,) in reader.stream():
        frames += 0 if chunk is None else chunk.shape[0]
    return {"frames": frames}


def main() -> None:
    cap = int(sys.argv[1])
    torch.set_num_threads(2)  # the threaded read path of load is part of what is tested,
    from torchsound.io import _soundfile

    _soundfile._PARALLEL_MIN_FRAMES = 1000  # also on these short files
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        used = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + cap, hard))
    for index, path in enumerate(line.strip() for line in sys.stdin if line.strip()):
        for op in OPS:
            print(f"start {index} {op}", flush=True)
            try:
                out = {"ok": _run(op, path)}
            except AudioFileError as err:
                out = {"error": "AudioFileError", "message": str(err)[:300]}
            except Exception as err:  # reported to the parent, which fails the test on it
                out = {"error": type(err).__name__, "message": str(err)[:300]}
            print(json.dumps({"index": index, "op": op, **out}), flush=True)


if __name__ == "__main__":
    main()
