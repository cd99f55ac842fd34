"""torchsound.data and ``torchsound features --engine ray`` on a local Ray with 2 CPUs (one session for the file).

References: the local engine / in-process path (bit for bit), torchsound.compliance.kaldi called directly, and the
LIBRISPEECH dataset class for metadata. No GPU here: the GPU stage is checked for its arguments and run on CPU.
"""

import os
import signal
import sys
import threading
import time

import numpy as np
import pytest
import soundfile
import torch

ray = pytest.importorskip("ray", reason="the scale-out tests need the ray extra (pip install 'torchsound[ray]')")

import _scale_fixtures  # noqa: E402
from _scale_fixtures import random_chain, write_corpus, write_librispeech  # noqa: E402

import torchsound  # noqa: E402
from torchsound import cli, data  # noqa: E402
from torchsound._commands import features as features_cmd  # noqa: E402
from torchsound.compliance import kaldi  # noqa: E402
from torchsound.datasets import LIBRISPEECH  # noqa: E402


@pytest.fixture(scope="session")
def local_ray():
    os.environ["RAY_DEDUP_LOGS"] = "0"
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    # Test-local steps and fixtures travel by value (the workers cannot import tests/).
    ray.cloudpickle.register_pickle_by_value(_scale_fixtures)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray
    ray.shutdown()


def _load(path):
    x, sr = soundfile.read(path, dtype="float32", always_2d=True)
    return torch.from_numpy(x.T.copy()), sr


def _where_is_torchsound():
    import torchsound as ts

    return ts.__file__


def test_command_starts_a_local_ray_on_the_fly(tmp_path):
    """No Ray running in that process: ``--engine ray --num-cpus 1`` starts one, uses it and shuts it down."""
    import subprocess

    paths = write_corpus(tmp_path / "c", lengths=(4000, 6000), corrupt=1)
    outs = {}
    for engine in ("local", "ray"):
        out = tmp_path / f"{engine}.ark"
        env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_DEDUP_LOGS="0")
        env.pop("RAY_ADDRESS", None)
        done = subprocess.run([sys.executable, "-m", "torchsound", "features", *paths, "--kind", "fbank", "-o", str(out),
                               "--no-progress", "--engine", engine, "--num-cpus", "1"],
                              capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 1, done.stderr[-2000:]  # 1: the broken file was reported, the rest written
        outs[engine] = (out.read_bytes(), [x for x in done.stderr.splitlines() if x.startswith("FAILED ")],
                        done.stdout.replace(str(out), "OUT"))
    assert outs["ray"] == outs["local"]
    assert outs["ray"][1][0].startswith(f"FAILED {paths[1]}: AudioFileError")


def test_workers_import_torchsound_from_this_checkout(local_ray):
    assert ray.get(ray.remote(_where_is_torchsound).remote()) == torchsound.__file__


def test_features_ray_equals_local_bit_for_bit(local_ray, tmp_path, capsys):
    paths = write_corpus(tmp_path / "c", corrupt=3)
    for kind in ("fbank", "kaldi-mfcc", "log-mel"):
        local_failures, ray_failures = [], []
        local = features_cmd.extract(paths, kind, show_progress=False, failures=local_failures, num_cpus=1)
        remote = features_cmd.extract(paths, kind, show_progress=False, failures=ray_failures, engine="ray")
        assert list(remote) == list(local) == ["utt00", "utt01", "utt02", "utt03", "utt04", "utt05"]
        for key in local:
            assert remote[key].dtype == local[key].dtype and torch.equal(remote[key], local[key]), (kind, key)
        assert [(p, type(e).__name__, str(e)) for p, e in ray_failures] == \
               [(p, type(e).__name__, str(e)) for p, e in local_failures]
        assert ray_failures[0][0] == paths[3]
    # The command: same archive bytes, same report, on either engine.
    outs = {}
    for engine in ("local", "ray"):
        out = tmp_path / f"{engine}.ark"
        assert cli.main(["features", *paths, "--kind", "fbank", "-o", str(out), "--no-progress", "--engine", engine]) == 1
        report = [line for line in capsys.readouterr().err.splitlines() if line.startswith("FAILED ")]
        outs[engine] = (out.read_bytes(), report)
    assert outs["ray"] == outs["local"] and outs["ray"][1][0].startswith("FAILED " + paths[3] + ": AudioFileError: ")


def test_shards_and_random_effects_same_on_ray_and_local_and_on_rerun(local_ray, tmp_path):
    paths = write_corpus(tmp_path / "c", corrupt=2)
    steps = [data.SoxEffects(random_chain, seed=3), data.KaldiFbank(num_mel_bins=23)]
    results = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        manifest, failures = data.run(paths, steps, engine=engine, out_dir=str(out), format="npz", shard_size=2,
                                      num_cpus=1 if engine == "local" else None, show_progress=False)
        arrays = {}
        for shard in sorted({m["shard"] for m in manifest if m["status"] == "ok"}):
            arrays.update(dict(np.load(out / f"{shard}.npz")))
        results[engine] = (manifest, failures, arrays)
    assert results["ray"][0] == results["local"][0]  # same manifest: same shards, shapes, failures
    assert results["ray"][1] == results["local"][1] and results["ray"][1][0][0] == paths[2]
    assert list(results["ray"][2]) == list(results["local"][2])
    for key, value in results["local"][2].items():
        np.testing.assert_array_equal(results["ray"][2][key], value)
    # Each row's features = fbank of the sox chain drawn for its key (applied directly).
    wave, sr = _load(paths[4])
    augmented, rate = torchsound.sox_effects.apply_effects_tensor(wave, sr, steps[0].chain_for("utt03"))
    np.testing.assert_array_equal(results["ray"][2]["utt03"],
                                  kaldi.fbank(augmented * 32768, num_mel_bins=23, sample_frequency=rate).numpy())
    # A rerun finds every shard complete: nothing is rewritten, the manifest is the same.
    stamps = {f: os.stat(tmp_path / "ray" / f).st_mtime_ns for f in os.listdir(tmp_path / "ray") if f.startswith("part-")}
    again, _ = data.run(paths, steps, engine="ray", out_dir=str(tmp_path / "ray"), format="npz", shard_size=2,
                        show_progress=False)
    assert again == results["ray"][0]
    assert {f: os.stat(tmp_path / "ray" / f).st_mtime_ns for f in stamps} == stamps


class _PidThenSleep:
    """Writes the worker's pid where the test can find it, then works slowly enough to be killed mid-shard."""

    def __init__(self, folder, seconds):
        self.folder, self.seconds = folder, seconds

    def __call__(self, batch):
        with open(os.path.join(self.folder, str(os.getpid())), "w") as f:
            f.write(",".join(str(k) for k in batch["key"]))
        time.sleep(self.seconds)
        return batch


def test_killed_worker_loses_and_duplicates_nothing(local_ray, tmp_path):
    paths = write_corpus(tmp_path / "c", lengths=(4000, 4500, 5000, 5500, 6000, 6500, 7000, 7500))
    pids = tmp_path / "pids"
    pids.mkdir()
    out = str(tmp_path / "o")
    steps = [_PidThenSleep(str(pids), 1.0), data.KaldiFbank(num_mel_bins=23)]
    outcome = {}

    def job():
        try:
            outcome["result"] = data.run(paths, steps, engine="ray", out_dir=out, shard_size=1, show_progress=False)
        except Exception as err:  # noqa: BLE001  the test accepts a failed job if a rerun completes it
            outcome["error"] = err

    thread = threading.Thread(target=job)
    thread.start()
    deadline = time.monotonic() + 120
    while not os.listdir(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    victim = int(os.listdir(pids)[0])
    os.kill(victim, signal.SIGKILL)  # a Ray worker dies in the middle of a shard
    thread.join(timeout=240)
    assert not thread.is_alive()
    with pytest.raises(ProcessLookupError):  # the worker really died (and was reaped by Ray)
        os.kill(victim, 0)
    print("killed worker", victim, "job", "failed, rerun" if "error" in outcome else "finished by itself")
    if "error" in outcome:  # the job may give up; then a rerun must complete it
        outcome["result"] = data.run(paths, steps[1:], engine="ray", out_dir=out, shard_size=1, show_progress=False)
    manifest, failures = outcome["result"]
    assert failures == []
    assert [m["index"] for m in manifest] == list(range(len(paths)))  # every input exactly once
    assert all(m["status"] == "ok" for m in manifest)
    assert sorted(m["shard"] for m in manifest) == sorted({m["shard"] for m in manifest})  # one shard each
    for m, path in zip(manifest, paths):
        wave, sr = _load(path)
        stored = dict(torchsound.kaldi_io.read_mat_ark(os.path.join(out, m["shard"] + ".ark")))
        assert list(stored) == [m["key"]]
        np.testing.assert_array_equal(stored[m["key"]].numpy(),
                                      kaldi.fbank(wave * 32768, num_mel_bins=23, sample_frequency=sr).numpy())


def test_read_audio_and_write_shards_from_librispeech(local_ray, tmp_path):
    write_librispeech(tmp_path)
    dataset = LIBRISPEECH(tmp_path, url="dev-clean")
    out = str(tmp_path / "o")
    ds = data.read_audio(dataset, rows_per_block=2)
    ds = ds.map_batches(data.KaldiFbank(num_mel_bins=23), batch_size=None, batch_format="numpy")
    manifest, failures = data.write_shards(ds, out, "parquet", source=dataset)
    assert failures == [] and len(manifest) == len(dataset)
    stored = {}
    for shard in {m["shard"] for m in manifest}:
        stored.update(data.read_parquet_shard(os.path.join(out, shard + ".parquet")))
    for n, m in enumerate(manifest):
        wave, rate, text, spk, chapter, utt = dataset[n]
        assert (m["transcript"], m["speaker_id"], m["chapter_id"], m["utterance_id"]) == (text, spk, chapter, utt)
        np.testing.assert_array_equal(stored[m["key"]],
                                      kaldi.fbank(wave * 32768, num_mel_bins=23, sample_frequency=rate).numpy())
    assert data.read_audio(dataset, skip_done_in=out).count() == 0  # everything done: nothing left to read


def test_gpu_actor_stage_runs_as_actors_without_a_gpu(local_ray, tmp_path):
    """No GPU here: the actor stage ray_stages builds for num_gpus runs with num_gpus removed, on CPU actors."""
    paths = write_corpus(tmp_path / "c", lengths=(4000, 6000, 5000))
    stages = data.ray_stages([data.KaldiFbank(num_mel_bins=23)], num_gpus=1, gpu_batch_size=2)
    ds = data.read_audio(paths)
    (actor_cls, kwargs) = stages[1]
    assert kwargs.pop("num_gpus") == 1
    rows = sorted(ds.map_batches(actor_cls, **kwargs).take_all(), key=lambda r: r["index"])
    for row, path in zip(rows, paths):
        wave, sr = _load(path)
        np.testing.assert_array_equal(row["features"], kaldi.fbank(wave * 32768, num_mel_bins=23, sample_frequency=sr).numpy())


def test_run_leaves_the_users_ray_data_settings_as_they_were(local_ray, tmp_path):
    import ray.data

    context = ray.data.DataContext.get_current()
    before = context.op_resource_reservation_enabled
    paths = write_corpus(tmp_path / "c", corrupt=1)  # a failing row must not skip the restore either
    for setting in (True, False):
        context.op_resource_reservation_enabled = setting
        rows = data.run(paths, [data.KaldiFbank(num_mel_bins=23)], engine="ray", shard_size=2, show_progress=False)
        assert len(rows) == len(paths) and rows[1]["error"]
        assert context.op_resource_reservation_enabled is setting
    context.op_resource_reservation_enabled = before
