"""Fuzz the readers: mutated WAV, FLAC, Ogg/Vorbis, Opus, MP3 and M4A files through info, load, sliced load,
file-object load and StreamReader, each batch in a child process with a timeout and a memory cap.

A run fails on a crash (negative return code), a hang, an error that is not AudioFileError, a sliced load
longer than info says remains, info, load and StreamReader counting different lengths, or a file object
that decodes differently from the path. The seeds are
made here (soundfile, PyAV) and the mutator is seeded, so a failure names a file that reproduces it.
Also: Ogg files with a damaged early page whose CRC is recomputed (libsndfile's seek crashed on them).
"""

import io
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile

from test_io_sources import make_file

WORKER = Path(__file__).with_name("_fuzz_worker.py")
MEMORY_CAP = 2 << 30  # bytes the worker may map beyond what its imports took
BATCH_TIMEOUT = 150  # seconds for one batch: a hang shows as a timeout long before CI's

# ----------------------------------------------------------------------------- Ogg pages


def _crc_table():
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else r << 1
        table.append(r & 0xFFFFFFFF)
    return table


_CRC = _crc_table()


def ogg_crc(page: bytes) -> int:
    """The Ogg page checksum (CRC-32, polynomial 0x04C11DB7, no reflection, zero start), CRC field zeroed."""
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[((crc >> 24) ^ byte) & 0xFF]
    return crc


def ogg_pages(data: bytes):
    """(start, end) of each Ogg page, as far as the page headers chain."""
    pages, pos = [], 0
    while pos + 27 <= len(data) and data[pos : pos + 4] == b"OggS":
        count = data[pos + 26]
        end = pos + 27 + count + sum(data[pos + 27 : pos + 27 + count])
        if end > len(data):
            break
        pages.append((pos, end))
        pos = end
    return pages


def fix_ogg_crcs(data: bytearray) -> None:
    """Recompute every page's CRC, so a decoder sees damaged content rather than a bad checksum."""
    for start, end in ogg_pages(bytes(data)):
        data[start + 22 : start + 26] = b"\0\0\0\0"
        data[start + 22 : start + 26] = struct.pack("<I", ogg_crc(bytes(data[start:end])))


def test_ogg_crc_matches_what_the_encoder_wrote():
    data = make_file("ogg")
    for start, end in ogg_pages(data)[:4]:
        page = bytearray(data[start:end])
        stored = bytes(page[22:26])
        page[22:26] = b"\0\0\0\0"
        assert struct.pack("<I", ogg_crc(bytes(page))) == stored


# ----------------------------------------------------------------------------- mutator

_SPECIAL = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFF000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


def mutate(data: bytes, rng: np.random.Generator, ogg: bool) -> bytes:
    """One to four random edits: byte changes (half of them in the first 512 bytes, where headers are),
    32-bit special values, cut, deleted or duplicated ranges. Ogg mutants get valid CRCs half the time."""
    d = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        if len(d) < 16:
            break
        head = rng.random() < 0.5
        at = int(rng.integers(0, min(len(d), 512) if head else len(d)))
        kind = int(rng.integers(0, 6))
        if kind <= 1:
            d[at] = int(rng.integers(0, 256))
        elif kind == 2 and at + 4 <= len(d):
            value = _SPECIAL[int(rng.integers(0, len(_SPECIAL)))]
            d[at : at + 4] = struct.pack("<I" if rng.random() < 0.5 else ">I", value)
        elif kind == 3:
            del d[max(at, 1) :]
        elif kind == 4:
            del d[at : at + int(rng.integers(1, 400))]
        else:
            d[at:at] = d[at : at + int(rng.integers(1, 400))]
    if ogg and rng.random() < 0.5:
        fix_ogg_crcs(d)
    return bytes(d)


# ----------------------------------------------------------------------------- running a batch


def run_batch(paths, timeout=BATCH_TIMEOUT):
    """Run the worker on ``paths``: (results keyed by (index, op), failures as strings)."""
    proc = subprocess.Popen([sys.executable, str(WORKER), str(MEMORY_CAP)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(WORKER.parent))
    try:
        out, err = proc.communicate("\n".join(map(str, paths)) + "\n", timeout=timeout)
        hung = False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        hung = True
    results, last_start = {}, None
    for line in out.splitlines():
        if line.startswith("start "):
            _, index, op = line.split()
            last_start = (int(index), op)
        elif line.startswith("{"):
            item = json.loads(line)
            results[(item["index"], item["op"])] = item
    failures = []
    if hung or proc.returncode != 0:
        culprit = f"{paths[last_start[0]]} ({last_start[1]})" if last_start else "before the first file"
        what = "hung" if hung else f"died with return code {proc.returncode}"
        failures.append(f"worker {what} at {culprit}; stderr: {err[-500:]}")
    return results, failures


def check(paths, results):
    """Failures among the results of one batch (see the module docstring)."""
    failures = []
    for index, path in enumerate(paths):
        got = {op: results.get((index, op)) for op in ("info", "load", "slice", "fileobj", "stream")}
        for op, item in got.items():
            if item is not None and item.get("error") not in (None, "AudioFileError"):
                failures.append(f"{path} {op}: {item['error']}: {item['message']}")
        info, load, part, fobj = got["info"], got["load"], got["slice"], got["fileobj"]
        if load and fobj and (("ok" in load) != ("ok" in fobj) or ("ok" in load and load["ok"] != fobj["ok"])):
            failures.append(f"{path}: path and file object disagree: {load} vs {fobj}")
        if info and "ok" in info and part and "ok" in part:
            remain = max(info["ok"]["frames"] - 700, 0)
            if part["ok"]["shape"][1] > min(remain, 3000):
                failures.append(f"{path}: load(700, 3000) returned {part['ok']['shape'][1]} frames, info leaves {remain}")
        if info and "ok" in info and load and "ok" in load and info["ok"]["frames"] != load["ok"]["shape"][1]:
            failures.append(f"{path}: info says {info['ok']['frames']} frames, load returns {load['ok']['shape'][1]}")
        stream = got["stream"]
        if stream and "ok" in stream and load and "ok" in load and stream["ok"]["frames"] != load["ok"]["shape"][1]:
            failures.append(f"{path}: StreamReader reads {stream['ok']['frames']} frames, "
                            f"load returns {load['ok']['shape'][1]}")
    return failures


def _keep(failures, paths, tmp_path):
    """Copy the files behind failures next to the test output, so they can be replayed."""
    keep = Path(os.environ.get("TORCHSOUND_FUZZ_KEEP", tmp_path / "failing"))
    keep.mkdir(parents=True, exist_ok=True)
    for path in paths:
        if any(str(path) in f for f in failures):
            shutil.copy(path, keep / Path(path).name)
    return keep


# ----------------------------------------------------------------------------- tests

FORMATS = ["wav", "flac", "ogg", "opus", "mp3", "m4a"]
MUTANTS = int(os.environ.get("TORCHSOUND_FUZZ_MUTANTS", 100))  # per format: ~30 s for all six on 2 cores


def test_fuzz_every_reader_in_a_child_process(tmp_path):
    paths = []
    for k, fmt in enumerate(FORMATS):
        rng = np.random.default_rng(1000 + k)
        seed = make_file(fmt, 0.4, 2)
        (tmp_path / f"seed.{fmt}").write_bytes(seed)
        paths.append(tmp_path / f"seed.{fmt}")
        # (FLAC gets 150: mutant 148 broke the threaded path, which then disagreed with a file object)
        for i in range(max(MUTANTS, 150) if fmt == "flac" else MUTANTS):
            path = tmp_path / f"m{i:03d}.{fmt}"
            path.write_bytes(mutate(seed, rng, ogg=fmt in ("ogg", "opus")))
            paths.append(path)
    results, failures = run_batch(paths)
    failures += check(paths, results)
    # the seeds themselves decode everywhere (the harness can fail)
    for index, path in enumerate(paths):
        if path.name.startswith("seed."):
            assert all("ok" in results[(index, op)] for op in ("info", "load", "slice", "fileobj", "stream")), path
    assert not failures, f"{len(failures)} failures (files kept in {_keep(failures, paths, tmp_path)}):\n" + "\n".join(failures[:30])


def _damaged_ogg_early_page(seed: bytes, rng) -> bytes:
    """``seed`` with a few bytes of page 1 (Vorbis setup header) or 2-3 changed, CRCs recomputed."""
    d = bytearray(seed)
    start, end = ogg_pages(seed)[int(rng.integers(1, 4))]
    body = start + 27 + d[start + 26]
    for _ in range(3):
        d[int(rng.integers(body, end))] ^= int(rng.integers(1, 256))
    fix_ogg_crcs(d)
    return bytes(d)


def test_damaged_ogg_never_crashes_on_offset_or_threaded_reads(tmp_path):
    # libsndfile's Ogg seek dereferenced freed/invalid state on such files (SIGSEGV): load(frame_offset=N)
    # and the threaded read of a plain load both seeked. Now nothing seeks in Ogg; every read must end in
    # data or an AudioFileError, never a dead process.
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((44100 * 4, 2)) * 0.1).astype(np.float32)
    buf = io.BytesIO()
    soundfile.write(buf, x, 44100, format="OGG")
    seed = buf.getvalue()
    paths = []
    for i in range(40):
        path = tmp_path / f"early{i:02d}.ogg"
        path.write_bytes(_damaged_ogg_early_page(seed, rng))
        paths.append(path)
    script = (
        "import sys, torch, torchsound\n"
        "torch.set_num_threads(2)\n"
        "from torchsound.io._source import AudioFileError\n"
        "from torchsound.io import _soundfile\n"
        "_soundfile._PARALLEL_MIN_FRAMES = 1000\n"  # any threaded path would be taken even on these short files
        "for p in sys.argv[1:]:\n"
        "    for kw in ({'frame_offset': 50000}, {}, {'frame_offset': 100000, 'num_frames': 1000}):\n"
        "        print(p, kw, flush=True)\n"
        "        try:\n"
        "            torchsound.load(p, **kw)\n"
        "        except AudioFileError:\n"
        "            pass\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, *map(str, paths)], capture_output=True, text=True, timeout=BATCH_TIMEOUT)
    last = proc.stdout.strip().splitlines()[-1:] or ["before the first file"]
    assert proc.returncode == 0, f"died with {proc.returncode} at {last[0]}: {proc.stderr[-500:]}"
    assert proc.stdout.count("\n") == 3 * len(paths)
