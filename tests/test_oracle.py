"""The torchaudio 2.8 oracle loads and is the real 2.8 code, not torchsound."""

import torch


def test_oracle_is_torchaudio_28(torchaudio28):
    assert torchaudio28.__version__.startswith("2.8.0")
    assert "torchsound" not in torchaudio28.__file__
    x = torch.linspace(-1, 1, 100)
    # A pure-Python definition we compare against elsewhere: runs without torchaudio's compiled libraries.
    assert torchaudio28.functional.deemphasis(x[None]).shape == (1, 100)
