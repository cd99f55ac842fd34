"""LibriSpeech family on fixtures in the real layout: LIBRISPEECH, LibriSpeechBiasing, LIBRITTS, LibriLightLimited, LibriMix."""

import os
from pathlib import Path

import pytest
from _dataset_fixtures import assert_waveform, make_librispeech, write_audio, write_text

from torchsound.datasets import LIBRISPEECH, LIBRITTS, LibriLightLimited, LibriMix, LibriSpeechBiasing
from torchsound.datasets._common import DatasetNotFoundError, MetadataError


def test_librispeech_items_metadata_and_order(tmp_path):
    expected = make_librispeech(tmp_path, "test-clean")
    ds = LIBRISPEECH(tmp_path, url="test-clean")
    assert len(ds) == len(expected)
    for n, (fileid, (wave, text)) in enumerate(expected.items()):
        spk, ch, utt = (int(x) for x in fileid.split("-"))
        meta = ds.get_metadata(n)
        assert meta == (os.path.join("test-clean", str(spk), str(ch), f"{fileid}.flac"), 16000, text, spk, ch, utt)
        item = ds[n]
        assert_waveform(item[0], wave)
        assert item[1:] == meta[1:]
    # Path works as root; folder_in_archive is honoured.
    make_librispeech(tmp_path / "other", "dev-other", folder="Libri")
    assert len(LIBRISPEECH(Path(tmp_path / "other"), url="dev-other", folder_in_archive="Libri")) == 3


def test_librispeech_missing_subset_names_path_subsets_and_download(tmp_path):
    make_librispeech(tmp_path, "dev-clean")
    with pytest.raises(DatasetNotFoundError) as err:
        LIBRISPEECH(tmp_path, url="test-other")
    msg = str(err.value)
    assert os.path.join(str(tmp_path), "LibriSpeech", "test-other") in msg
    assert "train-clean-100" in msg and "Found on disk: dev-clean" in msg
    assert "download=True" in msg and "torchsound datasets download LIBRISPEECH" in msg
    with pytest.raises(RuntimeError, match="dataset not found"):  # still a RuntimeError, like torchaudio
        LIBRISPEECH(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="`url` must be one of"):
        LIBRISPEECH(tmp_path, url="train-clean-99")


def test_librispeech_corrupt_transcript_names_file_and_line(tmp_path):
    make_librispeech(tmp_path, "dev-clean", layout={(7, 8): [0, 1, 2]})
    trans = tmp_path / "LibriSpeech" / "dev-clean" / "7" / "8" / "7-8.trans.txt"
    lines = trans.read_text().splitlines()
    lines[1] = "7-8-0001"  # no transcript field
    trans.write_text("\n".join(lines) + "\n")
    ds = LIBRISPEECH(tmp_path, url="dev-clean")
    assert ds[0][2].startswith("TEXT OF 7 8")
    with pytest.raises(MetadataError, match=r"7-8\.trans\.txt, line 2"):
        ds.get_metadata(2)


def test_librispeech_opening_does_not_read_audio(tmp_path, monkeypatch):
    """Listing uses names only: empty (invalid) audio files are fine until an item is loaded."""
    for i in range(50):
        chapter = tmp_path / "LibriSpeech" / "dev-clean" / str(i % 5) / "1"
        chapter.mkdir(parents=True, exist_ok=True)
        (chapter / f"{i % 5}-1-{i:04d}.flac").write_bytes(b"")
    import torchsound

    def no_load(*args, **kwargs):
        raise AssertionError("audio read while opening")

    monkeypatch.setattr(torchsound, "load", no_load)
    ds = LIBRISPEECH(tmp_path, url="dev-clean")
    assert len(ds) == 50 and ds._walker[0] == "0-1-0000"


def test_librispeech_biasing(tmp_path):
    expected = make_librispeech(tmp_path, "dev-clean")
    ds = LibriSpeechBiasing(tmp_path, url="dev-clean", blist=["WORLD", "HELLO", "ABSENT"])
    assert len(ds) == len(expected)
    for n, (fileid, (wave, text)) in enumerate(expected.items()):
        item = ds[n]
        assert_waveform(item[0], wave)
        assert item[2] == text and item[6] == ["HELLO", "WORLD"]  # transcript order, no duplicates
        assert ds.get_metadata(n)[0].endswith(f"{fileid}.flac")
    assert LibriSpeechBiasing(tmp_path, url="dev-clean")[0][6] == []


def _make_libritts(root, subset="dev-clean"):
    expected = {}
    for spk, ch, seg, utt in [(84, 121123, "000008", "000000"), (84, 121123, "000007", "000001"), (14, 208, "000001", "000000")]:
        fileid = f"{spk}_{ch}_{seg}_{utt}"
        folder = Path(root, "LibriTTS", subset, str(spk), str(ch))
        wave = write_audio(folder / f"{fileid}.wav", rate=24000)
        write_text(folder / f"{fileid}.original.txt", f"Original, {fileid}!")
        write_text(folder / f"{fileid}.normalized.txt", f"Normalized {fileid}")
        expected[fileid] = (wave, spk, ch)
    return dict(sorted(expected.items()))


def test_libritts(tmp_path):
    expected = _make_libritts(tmp_path)
    ds = LIBRITTS(tmp_path, url="dev-clean")
    assert len(ds) == 3
    for n, (fileid, (wave, spk, ch)) in enumerate(expected.items()):
        item = ds[n]
        assert_waveform(item[0], wave)
        assert item[1:] == (24000, f"Original, {fileid}!", f"Normalized {fileid}", spk, ch, fileid)
    with pytest.raises(DatasetNotFoundError, match="LIBRITTS.*test-clean"):
        LIBRITTS(tmp_path, url="test-clean")


def _make_librilight(root):
    base = Path(root, "librispeech_finetuning")
    made = {}
    for folder in ["1h/0/clean", "1h/0/other", "1h/1/clean", "9h/clean"]:
        spk = 100 + len(made)
        for utt in [3, 1]:
            fileid = f"{spk}-7-{utt:04d}"
            made[(folder, fileid)] = write_audio(base / folder / str(spk) / "7" / f"{fileid}.flac")
        write_text(base / folder / str(spk) / "7" / f"{spk}-7.trans.txt", f"{spk}-7-0001 ONE\n{spk}-7-0003 THREE\n")
    return made


def test_librilight_limited_subsets(tmp_path):
    made = _make_librilight(tmp_path)
    for subset, folders in [("10min", ["1h/0/clean", "1h/0/other"]), ("1h", ["1h/0/clean", "1h/0/other", "1h/1/clean"]),
                            ("10h", ["1h/0/clean", "1h/0/other", "1h/1/clean", "9h/clean"])]:
        ds = LibriLightLimited(tmp_path, subset=subset)
        keys = sorted([k for k in made if k[0] in folders], key=lambda k: k[0] + k[1])
        assert len(ds) == len(keys)
        for n, (folder, fileid) in enumerate(keys):
            item = ds[n]
            spk, _, utt = fileid.split("-")
            assert_waveform(item[0], made[(folder, fileid)])
            assert item[1:] == (16000, "ONE" if utt == "0001" else "THREE", int(spk), 7, int(utt))
    with pytest.raises(ValueError, match="`subset` must be one of"):
        LibriLightLimited(tmp_path, subset="2h")
    with pytest.raises(DatasetNotFoundError, match="librispeech_finetuning.*10min, 1h, 10h.*download=True"):
        LibriLightLimited(tmp_path / "empty")


def _make_librimix(root, rate=8000, mode="min", subset="dev", speakers=2):
    base = Path(root, f"Libri{speakers}Mix", f"wav{rate // 1000}k", mode, subset)
    made = {}
    for name in ["6241-61943-0013_6467-62797-0007.wav", "1272-128104-0000_2035-147961-0014.wav"]:
        frames = 64
        made[name] = {d: write_audio(base / d / name, rate=rate, frames=frames)
                      for d in ["mix_clean", "mix_both", "mix_single", "noise"] + [f"s{i + 1}" for i in range(speakers)]}
    return dict(sorted(made.items()))


@pytest.mark.parametrize("task, mix, sources", [("sep_clean", "mix_clean", ["s1", "s2"]), ("enh_both", "mix_both", ["mix_clean"]),
                                                ("sep_noisy", "mix_both", ["s1", "s2"]), ("enh_single", "mix_single", ["s1", "s2"])])
def test_librimix_tasks(tmp_path, task, mix, sources):
    made = _make_librimix(tmp_path)
    ds = LibriMix(tmp_path, subset="dev", task=task)
    assert len(ds) == 2
    for n, (name, waves) in enumerate(made.items()):
        rate, mixed, srcs = ds[n]
        assert rate == 8000
        assert_waveform(mixed, waves[mix])
        assert len(srcs) == len(sources)
        for s, d in zip(srcs, sources):
            assert_waveform(s, waves[d])
        meta = ds.get_metadata(n)
        assert meta == (8000, os.path.join("wav8k", "min", "dev", mix, name), [os.path.join("wav8k", "min", "dev", d, name) for d in sources])


def test_librimix_errors(tmp_path):
    _make_librimix(tmp_path)
    with pytest.raises(DatasetNotFoundError, match="Libri3Mix.*github.com/JorisCos/LibriMix"):
        LibriMix(tmp_path, subset="dev", num_speakers=3)
    with pytest.raises(ValueError, match="`sample_rate` must be one of"):
        LibriMix(tmp_path, subset="dev", sample_rate=44100)
    with pytest.raises(ValueError, match="`mode` must be one of"):
        LibriMix(tmp_path, subset="dev", mode="avg")
    with pytest.raises(DatasetNotFoundError, match="train-360"):
        LibriMix(tmp_path)


def test_badly_named_file_is_reported(tmp_path):
    make_librispeech(tmp_path, "dev-clean", layout={(7, 8): [0]})
    (tmp_path / "LibriSpeech" / "dev-clean" / "7" / "8" / "7-8-x.flac").write_bytes(b"")
    ds = LIBRISPEECH(tmp_path, url="dev-clean")
    with pytest.raises(MetadataError, match=r"dev-clean: file '7-8-x' does not follow the corpus naming"):
        ds.get_metadata(1)
