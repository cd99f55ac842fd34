"""The `torchsound datasets` command, DataLoader workers (fork and spawn), and the missing-root errors of every dataset."""

import dataclasses
import multiprocessing
import os

import pytest
import torch
from _dataset_fixtures import make_librispeech, overrides, server, sha256, tar_of_folder, write_audio  # noqa: F401

from torchsound import cli
from torchsound._commands import datasets as datasets_command
from torchsound.datasets import LIBRISPEECH, YESNO, librispeech
from torchsound.datasets._common import DatasetNotFoundError


def test_list_shows_every_dataset_with_subsets_and_sizes(capsys):
    assert cli.main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    import torchsound.datasets as D

    for name in [n for n in D.__all__ if n[0].isupper()] + ["Musan"]:
        assert f"\n{name}\n" in out, name
    assert "train-clean-100          6.3 GB" in out
    assert "release3" in out and "speech_commands_v0.02" in out
    assert "manual download:" in out  # e.g. COMMONVOICE, IEMOCAP


def test_download_command_fetches_with_the_catalog(tmp_path, server, overrides, monkeypatch, capsys):
    src = tmp_path / "src"
    make_librispeech(src, "dev-clean")
    archive = tar_of_folder(tmp_path / "dev-clean.tar.gz", src / "LibriSpeech", "LibriSpeech")
    res = librispeech.CORPUS.subsets["dev-clean"][0]
    overrides.set_url_override(res.url, server.add("dev-clean.tar.gz", archive.read_bytes()))
    patched = dataclasses.replace(librispeech.CORPUS, subsets=dict(librispeech.CORPUS.subsets, **{"dev-clean": (dataclasses.replace(res, checksum=sha256(archive)),)}))
    monkeypatch.setattr(librispeech, "CORPUS", patched)
    monkeypatch.setattr(datasets_command, "_CATALOG", [("librispeech", "CORPUS"), ("iemocap", "CORPUS")])
    root = tmp_path / "data"
    assert cli.main(["datasets", "download", "librispeech", "--root", str(root), "--subset", "dev-clean"]) == 0
    assert "LIBRISPEECH dev-clean: 3 items" in capsys.readouterr().out
    assert len(LIBRISPEECH(root, "dev-clean")) == 3
    assert cli.main(["datasets", "download", "LIBRISPEECH", "--root", str(root), "--subset", "dev-clean"]) == 0
    assert len(server.requests_for("dev-clean.tar.gz")) == 1  # already there
    assert cli.main(["datasets", "download", "nope", "--root", str(root)]) == 2
    assert cli.main(["datasets", "download", "LIBRISPEECH", "--root", str(root), "--subset", "dev-dirty"]) == 2
    assert cli.main(["datasets", "download", "IEMOCAP", "--root", str(root)]) == 1
    assert "cannot be downloaded automatically" in capsys.readouterr().out
    server.httpd.files.clear()  # the server now answers 404: reported, not a traceback
    assert cli.main(["datasets", "download", "LIBRISPEECH", "--root", str(tmp_path / "other"), "--subset", "dev-clean"]) == 1
    assert "404" in capsys.readouterr().out


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_dataloader_workers(tmp_path, context):
    expected = make_librispeech(tmp_path, "dev-clean")
    yes = {n: write_audio(tmp_path / "waves_yesno" / f"{n}.wav", rate=8000) for n in ["0_1_0_1_0_1_0_1", "1_1_0_0_1_1_0_0"]}
    dataset = torch.utils.data.ConcatDataset([LIBRISPEECH(tmp_path, "dev-clean"), YESNO(tmp_path)])
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2, multiprocessing_context=multiprocessing.get_context(context))
    items = list(loader)
    assert len(items) == 5
    for item, (wave, text) in zip(items[:3], expected.values()):
        torch.testing.assert_close(item[0], wave, rtol=0, atol=1e-6)
        assert item[2] == text
    for item, (name, wave) in zip(items[3:], sorted(yes.items())):
        torch.testing.assert_close(item[0], wave, rtol=0, atol=1e-6)
        assert item[2] == [int(c) for c in name.split("_")]


@pytest.mark.parametrize("corpus", datasets_command.corpora(), ids=lambda c: c.name)
def test_missing_root_names_path_subsets_and_how_to_download(tmp_path, corpus):
    root = tmp_path / "nowhere"
    root.mkdir()  # CMUDict needs an existing root; everything else is still missing
    subset = next(iter(corpus.subsets))
    with pytest.raises(DatasetNotFoundError) as err:
        corpus.open(root, subset, False)
    msg = str(err.value)
    assert str(root) in msg and corpus.name in msg
    assert subset in msg
    if corpus.downloadable:
        assert "download=True" in msg and f"torchsound datasets download {corpus.name}" in msg
    else:
        assert "cannot be downloaded automatically" in msg
    assert not [p for p in os.listdir(root)], "a failed open must not create files"
