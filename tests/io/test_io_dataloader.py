"""Concurrent loads from DataLoader workers, with fork and spawn start methods."""

import multiprocessing

import pytest
import soundfile
import torch

import torchsound
from conftest import make_noise, tol


class Files(torch.utils.data.Dataset):
    def __init__(self, paths):
        self.paths = paths

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return torchsound.load(self.paths[i])[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loader")
    paths = []
    for i in range(12):
        path = str(folder / f"{i}.{['wav', 'flac', 'mp3'][i % 3]}")
        torchsound.save(path, make_noise(1, 0.2, 16000, seed=i), 16000)
        paths.append(path)
    return paths


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_dataloader_workers_load_concurrently(files, method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.fail(f"start method {method} unavailable on this platform")
    loader = torch.utils.data.DataLoader(Files(files), batch_size=None, num_workers=2,
                                         multiprocessing_context=method)
    loaded = list(loader)
    assert len(loaded) == len(files)
    for path, waveform in zip(files, loaded):
        ref, _ = soundfile.read(path, dtype="float32", always_2d=True)
        torch.testing.assert_close(waveform, torch.from_numpy(ref.T.copy()), **tol("float32"))  # mpg123: last-bit noise
