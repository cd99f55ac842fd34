"""torchsound.data without Ray: rows, batch steps, shard writers, manifest/failures, resume, the local pool engine,
and the features command's local engine (pool output identical to the in-process path)."""

import json
import os
import subprocess
import sys

import kaldiio
import numpy as np
import pytest
import soundfile
import torch
from _scale_fixtures import random_chain, write_corpus, write_librispeech

import torchsound
import torchsound.functional as F
import torchsound.transforms as T
from torchsound import cli, data
from torchsound._commands import features as features_cmd
from torchsound.compliance import kaldi
from torchsound.datasets import LIBRISPEECH


def _load(path):
    x, sr = soundfile.read(path, dtype="float32", always_2d=True)
    return torch.from_numpy(x.T.copy()), sr


def _decoded(paths):
    return data.rows_to_batch(data.plan_rows(paths))


# ----------------------------------------------------------------------------- rows


def test_plan_rows_folder_glob_list(tmp_path):
    paths = write_corpus(tmp_path / "c", lengths=(4000, 5000, 6000))
    os.makedirs(tmp_path / "c" / "sub")
    soundfile.write(tmp_path / "c" / "sub" / "utt00.wav", np.zeros(100, np.float32), 16000)
    rows = data.plan_rows(str(tmp_path / "c"))
    assert [r["path"] for r in rows] == sorted(paths + [str(tmp_path / "c" / "sub" / "utt00.wav")])
    assert [r["index"] for r in rows] == [0, 1, 2, 3]
    # sub/utt00.wav sorts first; the second utt00 gets a suffix, so both are kept.
    assert [r["key"] for r in rows] == ["utt00", "utt00-2", "utt01", "utt02"]
    assert [r["path"] for r in data.plan_rows(str(tmp_path / "c" / "*.wav"))] == paths
    assert [r["path"] for r in data.plan_rows(paths[::-1])] == paths[::-1]  # a list keeps its order
    with pytest.raises(ValueError, match="matches no file"):
        data.plan_rows(str(tmp_path / "c" / "*.flac"))
    with pytest.raises(TypeError, match="source must be"):
        data.plan_rows(42)
    with pytest.raises(TypeError, match="list holding int"):
        data.plan_rows([1, 2])


def test_plan_rows_from_librispeech_carry_metadata_and_decode_like_the_dataset(tmp_path):
    expected = write_librispeech(tmp_path)
    ds = LIBRISPEECH(tmp_path, url="dev-clean")
    rows = data.plan_rows(ds)
    assert len(rows) == len(ds) == len(expected)
    batch = data.Decode()(data.rows_to_batch(rows))
    for n, row in enumerate(rows):
        wave, rate, text, spk, chapter, utt = ds[n]
        assert (row["transcript"], row["speaker_id"], row["chapter_id"], row["utterance_id"]) == (text, spk, chapter, utt)
        assert row["dataset_sample_rate"] == rate and row["key"] == f"{spk}-{chapter}-{utt:04d}"
        np.testing.assert_array_equal(batch["waveform"][n], wave.numpy())  # decoded in the step = the dataset's item
        assert batch["sample_rate"][n] == rate and batch["error"][n] == ""


# ----------------------------------------------------------------------------- steps against direct calls


def test_decode_and_kaldi_steps_equal_direct_calls(tmp_path):
    paths = write_corpus(tmp_path, lengths=(8000, 12345), corrupt=1)
    batch = data.Decode()(_decoded(paths))
    assert list(batch["error"][:1]) == [""] and "broken.wav" in batch["error"][1]
    assert batch["error_type"][1] == "AudioFileError" and batch["waveform"][1].shape == (0, 0)
    fb = data.KaldiFbank(num_mel_bins=40)(batch)
    mf = data.KaldiMFCC(num_ceps=13, use_energy=True)(batch)
    for i in (0, 2):
        wave, sr = _load(paths[i])
        np.testing.assert_array_equal(fb["features"][i], kaldi.fbank(wave * 32768, num_mel_bins=40, sample_frequency=sr).numpy())
        np.testing.assert_array_equal(mf["features"][i], kaldi.mfcc(wave * 32768, num_ceps=13, use_energy=True,
                                                                     sample_frequency=sr).numpy())
    assert fb["features"][1].shape == (0, 0) and "waveform" not in fb  # a failed row stays failed, 2-D placeholder
    assert fb["error"][1] == batch["error"][1]
    with pytest.raises(ValueError, match="sample_frequency comes from each row"):
        data.KaldiFbank(sample_frequency=8000)


def test_log_mel_resample_loudness_steps_equal_direct_calls(tmp_path):
    paths = write_corpus(tmp_path, lengths=(8000, 12345))
    batch = data.Decode()(_decoded(paths))
    mel = data.MelSpectrogram(log=True, n_fft=400, hop_length=160, n_mels=40)(batch)
    res = data.Resample(8000)(batch)
    loud = data.LoudnessNormalize(-20.0)(batch)
    for i, path in enumerate(paths):
        wave, sr = _load(path)
        ref = torch.log(T.MelSpectrogram(sr, n_fft=400, hop_length=160, n_mels=40)(wave) + 1e-6)
        np.testing.assert_array_equal(mel["features"][i], ref.numpy())
        np.testing.assert_array_equal(res["waveform"][i], F.resample(wave, sr, 8000).numpy())
        assert res["sample_rate"][i] == 8000 and res["num_frames"][i] == res["waveform"][i].shape[-1]
        # The normalised row measures at the target (BS.1770 loudness is scale-covariant: exact to rounding).
        assert float(F.loudness(torch.from_numpy(loud["waveform"][i]), sr)) == pytest.approx(-20.0, abs=1e-3)
    with pytest.raises(ValueError, match="new_freq must be a positive int"):
        data.Resample(0)


def test_transform_step_takes_any_module_and_sox_chain(tmp_path):
    paths = write_corpus(tmp_path, lengths=(8000, 12345))
    batch = data.Decode()(_decoded(paths))
    out = data.Transform(lambda sr: T.MFCC(sr, n_mfcc=13))(batch)
    fixed = data.SoxEffects([["gain", "-3"], ["reverse"]])(batch)
    for i, path in enumerate(paths):
        wave, sr = _load(path)
        np.testing.assert_array_equal(out["features"][i], T.MFCC(sr, n_mfcc=13)(wave).numpy())
        ref, _ = torchsound.sox_effects.apply_effects_tensor(wave, sr, [["gain", "-3"], ["reverse"]])
        np.testing.assert_array_equal(fixed["waveform"][i], ref.numpy())
    with pytest.raises(TypeError, match="module must be an nn.Module or a factory"):
        data.Transform(3)
    with pytest.raises(TypeError, match="effects must be a list of effects or a function"):
        data.SoxEffects("gain -3")


def test_sox_effects_random_parameters_are_per_row_seeded_and_batch_independent(tmp_path):
    paths = write_corpus(tmp_path, lengths=(8000, 9000, 10000))
    step = data.SoxEffects(random_chain, seed=7)
    chains = [step.chain_for(k) for k in ("utt00", "utt01", "utt02")]
    assert len({json.dumps(c) for c in chains}) == 3  # rows draw different parameters
    assert chains == [data.SoxEffects(random_chain, seed=7).chain_for(k) for k in ("utt00", "utt01", "utt02")]
    assert chains[0] != data.SoxEffects(random_chain, seed=8).chain_for("utt00")
    whole = step(data.Decode()(_decoded(paths)))
    alone = step(data.Decode()(data.rows_to_batch(data.plan_rows(paths)[2:])))  # another batch grouping
    np.testing.assert_array_equal(whole["waveform"][2], alone["waveform"][0])
    wave, sr = _load(paths[1])  # each row = the sox chain drawn for its key, applied directly
    ref, _ = torchsound.sox_effects.apply_effects_tensor(wave, sr, chains[1])
    np.testing.assert_array_equal(whole["waveform"][1], ref.numpy())


# ----------------------------------------------------------------------------- padding


def test_pad_batch_keeps_lengths_and_unpad_inverts():
    waves = [torch.randn(2, n) for n in (5, 9, 1)]
    padded, lengths = data.pad_batch(waves)
    assert padded.shape == (3, 2, 9) and lengths.tolist() == [5, 9, 1]
    assert torch.count_nonzero(padded[0, :, 5:]) == 0
    for a, b in zip(data.unpad(padded, lengths), waves):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="at least one tensor"):
        data.pad_batch([])
    with pytest.raises(ValueError, match="share their leading shape"):
        data.pad_batch([torch.randn(1, 4), torch.randn(2, 4)])


@pytest.mark.parametrize("center", [True, False])
def test_batched_transform_cuts_each_row_to_its_own_frames(tmp_path, center, tolerance):
    paths = write_corpus(tmp_path, lengths=(8000, 12345, 9999))
    batch = data.Decode()(_decoded(paths))
    make = lambda sr: T.MelSpectrogram(sr, n_fft=400, hop_length=160, n_mels=40, center=center)  # noqa: E731
    batched = data.Transform(make, batched=True)(batch)
    for i, path in enumerate(paths):
        wave, sr = _load(path)
        ref = make(sr)(wave)
        got = torch.from_numpy(batched["features"][i])
        assert got.shape == ref.shape  # frames_for gives each row its own frame count
        if not center:  # no frame sees the padding: the same numbers as the row alone
            torch.testing.assert_close(got, ref, **tolerance("float32_fft"))
        else:  # all but the last frames (which see padding instead of the reflected edge)
            torch.testing.assert_close(got[..., :-3], ref[..., :-3], **tolerance("float32_fft"))
    with pytest.raises(ValueError, match="batched=True needs a spectral module"):
        data.frames_for(torch.nn.Identity(), 100)


# ----------------------------------------------------------------------------- shards, manifest, resume


def test_local_engine_shards_manifest_failures_and_formats(tmp_path):
    paths = write_corpus(tmp_path / "c", corrupt=2)
    ref = {}
    for p in paths:
        if "broken" not in p:
            wave, sr = _load(p)
            ref[os.path.splitext(os.path.basename(p))[0]] = kaldi.fbank(wave * 32768, num_mel_bins=23, sample_frequency=sr).numpy()
    for fmt in ("ark", "npz", "pt", "parquet"):
        out = tmp_path / fmt
        manifest, failures = data.run(paths, [data.KaldiFbank(num_mel_bins=23)], out_dir=str(out), format=fmt,
                                      shard_size=3, num_cpus=1, show_progress=False)
        assert [m["index"] for m in manifest] == list(range(len(paths)))  # every input exactly once, in order
        assert [m["path"] for m in manifest] == paths
        assert failures == [(paths[2], failures[0][1])] and "AudioFileError" in failures[0][1]
        assert manifest[2]["status"] == "failed" and "broken.wav" in manifest[2]["error"]
        with open(out / data.FAILURES) as f:
            assert f.read().startswith(paths[2] + "\tAudioFileError: ")
        assert data.read_manifest(str(out)) == manifest
        got = {}
        for shard in sorted({m["shard"] for m in manifest if m["status"] == "ok"}):
            base = str(out / shard)
            if fmt == "ark":  # kaldiio reads what kaldi_io wrote: an independent reader
                got.update({k: v for k, v in kaldiio.load_ark(base + ".ark")})
                assert dict(kaldiio.load_scp(base + ".scp")).keys() <= ref.keys()
            elif fmt == "npz":
                got.update(dict(np.load(base + ".npz")))
            elif fmt == "pt":
                got.update({k: v.numpy() for k, v in torch.load(base + ".pt").items()})
            else:
                got.update(data.read_parquet_shard(base + ".parquet"))
        assert list(got) == list(ref)
        for key in ref:
            np.testing.assert_array_equal(got[key], ref[key])
    with pytest.raises(ValueError, match="format 'ark' holds matrices"):
        data.run(paths[:1], [data.MelSpectrogram()], out_dir=str(tmp_path / "bad"), num_cpus=1, show_progress=False)


def test_audio_shards_write_processed_audio(tmp_path):
    paths = write_corpus(tmp_path / "c", lengths=(8000, 9000))
    manifest, failures = data.run(paths, [data.Resample(8000)], out_dir=str(tmp_path / "o"), format="wav",
                                  num_cpus=1, show_progress=False)
    assert failures == []
    for m, p in zip(manifest, paths):
        wave, sr = _load(p)
        written, rate = soundfile.read(tmp_path / "o" / m["file"], dtype="float32", always_2d=True)
        assert rate == 8000
        # The file is the resampled audio, quantised to 16-bit PCM by the WAV writer (half a step at most).
        np.testing.assert_allclose(written.T, F.resample(wave, sr, 8000).numpy(), atol=0.5 / 32768 + 1e-7)


class _Record:
    """Records which inputs a run processed (a file per row under ``folder``)."""

    def __init__(self, folder):
        self.folder = folder

    def __call__(self, batch):
        for key in batch["key"]:
            with open(os.path.join(self.folder, str(key)), "a") as f:
                f.write("x")
        return batch


def test_rerun_skips_finished_shards_and_redoes_only_the_rest(tmp_path):
    paths = write_corpus(tmp_path / "c", lengths=(4000,) * 7)
    out = tmp_path / "o"
    seen = tmp_path / "seen"
    seen.mkdir()
    steps = [_Record(str(seen)), data.KaldiFbank(num_mel_bins=23)]
    first, _ = data.run(paths, steps, out_dir=str(out), shard_size=3, num_cpus=1, show_progress=False)
    shards = sorted(f for f in os.listdir(out) if f.startswith("part-"))
    stamps = {f: os.stat(out / f).st_mtime_ns for f in shards}
    # A crash while writing the middle shard: its sidecar (the completion mark) never made it, a temp file did.
    os.remove(out / "part-000000003-000000005.json")
    (out / ".part-000000003-000000005.ark.torchsound.tmp").write_bytes(b"half")
    for f in os.listdir(seen):
        os.remove(seen / f)
    second, _ = data.run(paths, steps, out_dir=str(out), shard_size=3, num_cpus=1, show_progress=False)
    assert sorted(os.listdir(seen)) == ["utt03", "utt04", "utt05"]  # only the unfinished shard ran again
    for f in shards:
        if "000000003" not in f:
            assert os.stat(out / f).st_mtime_ns == stamps[f]
    assert second == first
    assert [m["index"] for m in second] == list(range(7))
    assert not os.path.exists(out / ".part-000000003-000000005.ark.torchsound.tmp")  # reused and renamed
    # Another format in the same folder is another job: everything runs again, the manifest names npz shards.
    for f in os.listdir(seen):
        os.remove(seen / f)
    third, _ = data.run(paths, steps, out_dir=str(out), format="npz", shard_size=3, num_cpus=1, show_progress=False)
    assert len(os.listdir(seen)) == 7 and all(os.path.exists(out / (m["shard"] + ".npz")) for m in third)
    assert data.read_manifest(str(out)) == third


def test_run_argument_errors(tmp_path):
    paths = write_corpus(tmp_path, lengths=(4000,))
    with pytest.raises(ValueError, match="engine must be one of local, ray; got 'spark'"):
        data.run(paths, engine="spark")
    with pytest.raises(ValueError, match="shard_size must be a positive int, got 0"):
        data.run(paths, shard_size=0)
    with pytest.raises(ValueError, match="format must be one of .*; got 'csv'"):
        data.run(paths, format="csv")
    with pytest.raises(ValueError, match="num_workers must be a positive int"):
        data.LocalEngine(0)
    with pytest.raises(ValueError, match="num_gpus must be a positive number"):
        data.ray_stages([], num_gpus=-1)


def test_collect_mode_returns_rows_in_input_order(tmp_path):
    paths = write_corpus(tmp_path, lengths=(4000, 6000, 5000))
    rows = data.run(paths, [data.KaldiFbank(num_mel_bins=23)], num_cpus=1, shard_size=2, show_progress=False)
    assert [r["path"] for r in rows] == paths and [r["key"] for r in rows] == ["utt00", "utt01", "utt02"]
    assert [r["features"].shape[0] for r in rows] == [23, 36, 29]  # Kaldi frames: 1 + (n - 400) // 160


# ----------------------------------------------------------------------------- the local pool engine


def _square(x):
    return x * x


def test_local_engine_in_process_for_one_worker_or_item():
    # The pool itself (order, pickling, errors) is exercised by the features-command tests below.
    assert list(data.LocalEngine(1).map(_square, range(4))) == [0, 1, 4, 9]
    assert list(data.LocalEngine(8).map(_square, [3])) == [9]
    assert data.LocalEngine().num_workers == data.available_cpus() >= 1


@pytest.mark.parametrize("kind, ext", [("fbank", ".ark"), ("log-mel", ".pt")])  # kaldi-mfcc: test_ray_scale
def test_features_command_pool_output_is_byte_identical_to_in_process(tmp_path, monkeypatch, kind, ext):
    paths = write_corpus(tmp_path / "c", lengths=(4000, 5000, 6000, 7000, 8000), corrupt=1)
    monkeypatch.setattr(features_cmd, "POOL_MIN_FILES", 2)  # a pool for this small job
    one, two = tmp_path / f"one{ext}", tmp_path / f"two{ext}"
    assert cli.main(["features", *paths, "--kind", kind, "-o", str(one), "--no-progress", "--num-cpus", "1"]) == 1
    assert cli.main(["features", *paths, "--kind", kind, "-o", str(two), "--no-progress", "--num-cpus", "2"]) == 1
    assert one.read_bytes() == two.read_bytes()
    # The in-process path is today's: its values are the kind function on each file.
    saved = torch.load(one) if ext == ".pt" else dict(kaldiio.load_ark(str(one)))
    assert list(saved) == ["utt00", "utt01", "utt02", "utt03", "utt04"]
    wave, sr = _load(paths[0])
    np.testing.assert_array_equal(np.asarray(saved["utt00"]), features_cmd.FEATURE_KINDS[kind](wave, sr).numpy())


def test_features_command_pool_reports_failures_like_in_process(tmp_path, monkeypatch, capsys):
    paths = write_corpus(tmp_path / "c", lengths=(4000, 5000), corrupt=0)
    monkeypatch.setattr(features_cmd, "POOL_MIN_FILES", 2)
    outputs = []
    for n in ("1", "2"):
        assert cli.main(["features", *paths, "--kind", "fbank", "-o", str(tmp_path / f"{n}.npz"), "--no-progress",
                         "--num-cpus", n]) == 1
        outputs.append(capsys.readouterr())
    assert outputs[0].err == outputs[1].err and f"FAILED {paths[0]}: AudioFileError: " in outputs[0].err
    with pytest.raises(OSError, match="broken.wav"):  # without a failures list the first error is raised
        features_cmd.extract(paths, "fbank", show_progress=False, num_cpus=2)
    assert outputs[0].out.replace("1.npz", "2.npz") == outputs[1].out


def test_features_command_folder_output_and_argument_errors(tmp_path, capsys):
    paths = write_corpus(tmp_path / "c", lengths=(4000, 5000, 6000))
    out = str(tmp_path / "shards") + os.sep
    assert cli.main(["features", *paths, "--kind", "fbank", "-o", out, "--no-progress", "--num-cpus", "1",
                     "--shard-size", "2", "--format", "npz"]) == 0
    manifest = data.read_manifest(out)
    assert [m["key"] for m in manifest] == ["utt00", "utt01", "utt02"]
    got = dict(np.load(os.path.join(out, manifest[2]["shard"] + ".npz")))
    wave, sr = _load(paths[2])
    np.testing.assert_array_equal(got["utt02"], features_cmd.kaldi_fbank_kind(wave, sr).numpy())
    capsys.readouterr()
    assert cli.main(["features", paths[0], "-o", str(tmp_path / "x.pt"), "--address", "auto"]) == 2
    assert "--address needs --engine ray" in capsys.readouterr().err
    assert cli.main(["features", paths[0], "-o", str(tmp_path / "x.pt"), "--num-cpus", "0"]) == 2
    assert "--num-cpus must be >= 1; got 0" in capsys.readouterr().err
    assert cli.main(["features", paths[0], "--kind", "mel", "-o", out]) == 2
    assert "--format ark holds matrices" in capsys.readouterr().err
    assert cli.main(["features", paths[0], "-o", out, "--shard-size", "0"]) == 2
    assert "--shard-size must be >= 1; got 0" in capsys.readouterr().err
    with pytest.raises(ValueError, match="engine must be 'local' or 'ray'; got 'dask'"):
        features_cmd.extract(paths, "fbank", engine="dask")


# ----------------------------------------------------------------------------- ray stays optional


def test_import_torchsound_does_not_import_ray():
    code = "import sys, torchsound, torchsound.data; import torchsound._commands.features; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_ray_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'torchsound\[ray\]'"):
        data.run(write_corpus(tmp_path, lengths=(4000,)), engine="ray")


def test_features_command_without_ray_names_the_extra(monkeypatch, tmp_path, capsys):
    paths = write_corpus(tmp_path, lengths=(4000,))
    monkeypatch.setitem(sys.modules, "ray", None)
    for out in (str(tmp_path / "f.ark"), str(tmp_path / "shards") + os.sep):
        assert cli.main(["features", *paths, "--kind", "fbank", "-o", out, "--engine", "ray"]) == 2
        assert "pip install 'torchsound[ray]'" in capsys.readouterr().err


def test_ray_stages_gpu_plumbing_without_a_gpu(tmp_path):
    """No GPU here: checks the arguments handed to map_batches and that the actor runs the same chain."""
    step = data.KaldiFbank(num_mel_bins=23)
    (cpu_fn, cpu_kwargs), = data.ray_stages([step])
    assert cpu_kwargs == {"batch_size": None, "batch_format": "numpy", "num_cpus": 1}
    (decode, decode_kwargs), (actor_cls, gpu_kwargs) = data.ray_stages([step], num_gpus=0.5, concurrency=3,
                                                                       gpu_batch_size=128)
    assert isinstance(decode, data.Decode) and "num_gpus" not in decode_kwargs
    assert gpu_kwargs["num_gpus"] == 0.5 and gpu_kwargs["concurrency"] == 3 and gpu_kwargs["batch_size"] == 128
    assert isinstance(actor_cls, type)  # a class: Ray Data runs it as actors, built once each
    actor = actor_cls(*gpu_kwargs["fn_constructor_args"])
    batch = data.Decode()(_decoded(write_corpus(tmp_path, lengths=(4000, 6000))))
    for a, b in zip(actor(batch)["features"], cpu_fn(_decoded([str(p) for p in batch["path"]]))["features"]):
        np.testing.assert_array_equal(a, b)
    assert data.KaldiFbank(device="cpu").device == "cpu"
