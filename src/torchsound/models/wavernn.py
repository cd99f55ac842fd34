"""WaveRNN vocoder (Kalchbrenner et al., 2018) in the variant of fatchord/WaveRNN, as torchaudio defines it.

A mel spectrogram is upsampled to the sample rate twice: by nearest-neighbour stretching plus smoothing
convolutions (the conditioning features), and through a residual network whose output is stretched (the
auxiliary features, split into four groups that enter the network at four places). Two GRUs and three linear
layers then predict a distribution over the ``n_classes`` sample values.
"""

import math
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn

__all__ = ["ResBlock", "MelResNet", "Stretch2d", "UpsampleNetwork", "WaveRNN"]


class ResBlock(nn.Module):
    r"""Residual block: two 1x1 convolutions with batch norm, ReLU between them, plus the input.

    Args:
        n_freq: Number of channels. (Default: ``128``)

    Shape:
        ``(batch, n_freq, time)`` -> ``(batch, n_freq, time)``.
    """

    def __init__(self, n_freq: int = 128) -> None:
        super().__init__()
        self.resblock_model = nn.Sequential(
            nn.Conv1d(n_freq, n_freq, kernel_size=1, bias=False),
            nn.BatchNorm1d(n_freq),
            nn.ReLU(inplace=True),
            nn.Conv1d(n_freq, n_freq, kernel_size=1, bias=False),
            nn.BatchNorm1d(n_freq),
        )

    def forward(self, specgram: Tensor) -> Tensor:
        return self.resblock_model(specgram) + specgram


class MelResNet(nn.Module):
    r"""A ``kernel_size`` convolution (no padding), a stack of :class:`ResBlock`, and a 1x1 output convolution.

    Args:
        n_res_block: Number of residual blocks. (Default: ``10``)
        n_freq: Number of input channels (spectrogram bins). (Default: ``128``)
        n_hidden: Channels of the residual blocks. (Default: ``128``)
        n_output: Number of output channels. (Default: ``128``)
        kernel_size: Kernel size of the first convolution. (Default: ``5``)

    Shape:
        ``(batch, n_freq, time)`` -> ``(batch, n_output, time - kernel_size + 1)``.
    """

    def __init__(
        self, n_res_block: int = 10, n_freq: int = 128, n_hidden: int = 128, n_output: int = 128, kernel_size: int = 5
    ) -> None:
        super().__init__()
        self.melresnet_model = nn.Sequential(
            nn.Conv1d(n_freq, n_hidden, kernel_size=kernel_size, bias=False),
            nn.BatchNorm1d(n_hidden),
            nn.ReLU(inplace=True),
            *[ResBlock(n_hidden) for _ in range(n_res_block)],
            nn.Conv1d(n_hidden, n_output, kernel_size=1),
        )

    def forward(self, specgram: Tensor) -> Tensor:
        return self.melresnet_model(specgram)


class Stretch2d(nn.Module):
    r"""Nearest-neighbour upsampling of the last two dimensions: each bin repeated ``freq_scale`` times, each
    frame ``time_scale`` times.

    Args:
        time_scale: Repetitions along time (last dim).
        freq_scale: Repetitions along frequency (second to last dim).

    Shape:
        ``(..., n_freq, n_time)`` -> ``(..., n_freq * freq_scale, n_time * time_scale)``.
    """

    def __init__(self, time_scale: int, freq_scale: int) -> None:
        super().__init__()
        self.freq_scale = freq_scale
        self.time_scale = time_scale

    def forward(self, specgram: Tensor) -> Tensor:
        return specgram.repeat_interleave(self.freq_scale, -2).repeat_interleave(self.time_scale, -1)


class UpsampleNetwork(nn.Module):
    r"""Upsamples a spectrogram to the sample rate, giving conditioning and auxiliary features.

    Each scale ``s`` in ``upsample_scales`` stretches time by ``s`` and smooths with a ``2 s + 1`` wide
    convolution along time (initialised as a moving average). The auxiliary path is a :class:`MelResNet`
    stretched by the product of the scales. Both drop the ``(kernel_size - 1) // 2`` frames at each end that
    the MelResNet's unpadded convolution cannot see.

    Args:
        upsample_scales: Upsampling factors; their product is ``total_scale``.
        n_res_block, n_freq, n_hidden, n_output, kernel_size: as in :class:`MelResNet`.

    Shape:
        ``(batch, n_freq, n_time)`` -> ``(batch, n_freq, L)`` and ``(batch, n_output, L)``, with
        ``L = (n_time - kernel_size + 1) * total_scale`` (for odd ``kernel_size``).
    """

    def __init__(
        self,
        upsample_scales: List[int],
        n_res_block: int = 10,
        n_freq: int = 128,
        n_hidden: int = 128,
        n_output: int = 128,
        kernel_size: int = 5,
    ) -> None:
        super().__init__()
        self.total_scale: int = math.prod(upsample_scales)
        self.indent = (kernel_size - 1) // 2 * self.total_scale
        self.resnet = MelResNet(n_res_block, n_freq, n_hidden, n_output, kernel_size)
        self.resnet_stretch = Stretch2d(self.total_scale, 1)

        layers: List[nn.Module] = []
        for scale in upsample_scales:
            smooth = nn.Conv2d(1, 1, kernel_size=(1, 2 * scale + 1), padding=(0, scale), bias=False)
            nn.init.constant_(smooth.weight, 1.0 / (2 * scale + 1))
            layers += [Stretch2d(scale, 1), smooth]
        self.upsample_layers = nn.Sequential(*layers)

    def forward(self, specgram: Tensor) -> Tuple[Tensor, Tensor]:
        """
        Args:
            specgram (Tensor): ``(batch, n_freq, n_time)``.

        Returns:
            (Tensor, Tensor): upsampled spectrogram ``(batch, n_freq, L)`` and auxiliary features
            ``(batch, n_output, L)``.
        """
        aux = self.resnet_stretch(self.resnet(specgram))
        upsampled = self.upsample_layers(specgram.unsqueeze(1)).squeeze(1)
        # An explicit end index: a zero indent keeps everything.
        upsampled = upsampled[:, :, self.indent : upsampled.size(-1) - self.indent]
        return upsampled, aux


class WaveRNN(nn.Module):
    r"""WaveRNN vocoder from *Efficient Neural Audio Synthesis*, following fatchord/WaveRNN.

    Args:
        upsample_scales: Upsampling factors; their product must equal ``hop_length``.
        n_classes: Number of output classes (sample values, ``2 ** n_bits``).
        hop_length: Samples between consecutive spectrogram frames.
        n_res_block: Number of residual blocks of the MelResNet. (Default: ``10``)
        n_rnn: Size of the GRUs. (Default: ``512``)
        n_fc: Size of the fully connected layers. (Default: ``512``)
        kernel_size: Kernel size of the MelResNet's first convolution. (Default: ``5``)
        n_freq: Number of spectrogram bins. (Default: ``128``)
        n_hidden: Channels of the residual blocks. (Default: ``128``)
        n_output: Channels of the auxiliary features, four groups of ``n_output // 4``. (Default: ``128``)

    Shape:
        - waveform: ``(batch, 1, L)`` with ``L = (n_time - kernel_size + 1) * hop_length``;
        - specgram: ``(batch, 1, n_freq, n_time)``;
        - output: ``(batch, 1, L, n_classes)``, unnormalised logits.
    """

    def __init__(
        self,
        upsample_scales: List[int],
        n_classes: int,
        hop_length: int,
        n_res_block: int = 10,
        n_rnn: int = 512,
        n_fc: int = 512,
        kernel_size: int = 5,
        n_freq: int = 128,
        n_hidden: int = 128,
        n_output: int = 128,
    ) -> None:
        super().__init__()
        total_scale = math.prod(upsample_scales)
        if total_scale != hop_length:
            raise ValueError(
                f"WaveRNN: the product of upsample_scales {list(upsample_scales)} is {total_scale}, "
                f"but hop_length is {hop_length}; they must be equal"
            )
        self.kernel_size = kernel_size
        # infer pads the spectrogram by this on both sides, so its output covers every frame.
        self._pad = (kernel_size - 1 if kernel_size % 2 else kernel_size) // 2
        self.n_rnn = n_rnn
        self.n_aux = n_output // 4
        self.hop_length = hop_length
        self.n_classes = n_classes
        self.n_bits: int = int(math.log2(n_classes))
        self.n_freq = n_freq

        self.upsample = UpsampleNetwork(upsample_scales, n_res_block, n_freq, n_hidden, n_output, kernel_size)
        self.fc = nn.Linear(n_freq + self.n_aux + 1, n_rnn)
        self.rnn1 = nn.GRU(n_rnn, n_rnn, batch_first=True)
        self.rnn2 = nn.GRU(n_rnn + self.n_aux, n_rnn, batch_first=True)
        self.relu1 = nn.ReLU(inplace=True)
        self.relu2 = nn.ReLU(inplace=True)
        self.fc1 = nn.Linear(n_rnn + self.n_aux, n_fc)
        self.fc2 = nn.Linear(n_fc + self.n_aux, n_fc)
        self.fc3 = nn.Linear(n_fc, n_classes)

    def _aux_groups(self, aux: Tensor) -> List[Tensor]:
        """The four auxiliary groups of ``n_aux`` channels along dim 1 (any further channels are unused)."""
        return [aux[:, self.n_aux * i : self.n_aux * (i + 1)] for i in range(4)]

    def forward(self, waveform: Tensor, specgram: Tensor) -> Tensor:
        r"""Logits of each sample given the previous samples (teacher forcing) and the spectrogram.

        Args:
            waveform (Tensor): ``(batch, 1, L)``, ``L = (n_time - kernel_size + 1) * hop_length``.
            specgram (Tensor): ``(batch, 1, n_freq, n_time)``.

        Returns:
            Tensor: ``(batch, 1, L, n_classes)``.
        """
        if waveform.dim() != 3 or waveform.size(1) != 1:
            raise ValueError(f"WaveRNN: expected waveform of shape (batch, 1, time), got {list(waveform.shape)}")
        if specgram.dim() != 4 or specgram.size(1) != 1 or specgram.size(2) != self.n_freq:
            raise ValueError(
                f"WaveRNN: expected specgram of shape (batch, 1, n_freq={self.n_freq}, n_time), "
                f"got {list(specgram.shape)}"
            )
        waveform_shape = list(waveform.shape)
        waveform, specgram = waveform.squeeze(1), specgram.squeeze(1)
        batch_size = waveform.size(0)

        cond, aux = self.upsample(specgram)
        if cond.size(0) != batch_size or cond.size(-1) != waveform.size(-1):
            raise ValueError(
                f"WaveRNN: waveform of shape {waveform_shape} does not match specgram: expected "
                f"(batch={cond.size(0)}, 1, (n_time - kernel_size + 1) * hop_length={cond.size(-1)})"
            )
        cond = cond.transpose(1, 2)  # (batch, L, n_freq)
        a1, a2, a3, a4 = [a.transpose(1, 2) for a in self._aux_groups(aux)]  # (batch, L, n_aux) each

        h1 = torch.zeros(1, batch_size, self.n_rnn, dtype=waveform.dtype, device=waveform.device)
        h2 = torch.zeros(1, batch_size, self.n_rnn, dtype=waveform.dtype, device=waveform.device)

        x = self.fc(torch.cat([waveform.unsqueeze(-1), cond, a1], dim=-1))
        y, _ = self.rnn1(x, h1)
        x = x + y
        y, _ = self.rnn2(torch.cat([x, a2], dim=-1), h2)
        x = x + y
        x = self.relu1(self.fc1(torch.cat([x, a3], dim=-1)))
        x = self.relu2(self.fc2(torch.cat([x, a4], dim=-1)))
        return self.fc3(x).unsqueeze(1)

    @torch.jit.export
    def infer(self, specgram: Tensor, lengths: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
        r"""Generate a waveform sample by sample, drawing each from the predicted distribution.

        Sampling is multinomial (for a model trained with cross entropy) and uses the global torch generator.

        Args:
            specgram (Tensor): ``(batch, n_freq, n_time)``.
            lengths (Tensor or None, optional): valid frames of each spectrogram, ``(batch,)``. (Default: ``None``)

        Returns:
            (Tensor, Optional[Tensor]):
                the waveform in [-1, 1], ``(batch, 1, n_time * hop_length)`` (for odd ``kernel_size``), and the
                valid lengths in samples, ``lengths * hop_length`` (``None`` when ``lengths`` is ``None``).
        """
        if specgram.dim() != 3 or specgram.size(1) != self.n_freq:
            raise ValueError(
                f"WaveRNN.infer: expected specgram of shape (batch, n_freq={self.n_freq}, n_time), "
                f"got {list(specgram.shape)}"
            )
        dtype, device = specgram.dtype, specgram.device
        cond, aux = self.upsample(nn.functional.pad(specgram, (self._pad, self._pad)))
        if lengths is not None:
            lengths = lengths * self.upsample.total_scale
        a1, a2, a3, a4 = self._aux_groups(aux)

        batch_size, _, num_samples = cond.shape
        h1 = torch.zeros((1, batch_size, self.n_rnn), device=device, dtype=dtype)
        h2 = torch.zeros((1, batch_size, self.n_rnn), device=device, dtype=dtype)
        sample = torch.zeros((batch_size, 1), device=device, dtype=dtype)
        top = 2**self.n_bits - 1.0  # the largest class index, mapped to +1
        samples: List[Tensor] = []
        for t in range(num_samples):
            x = self.fc(torch.cat([sample, cond[:, :, t], a1[:, :, t]], dim=1))
            _, h1 = self.rnn1(x.unsqueeze(1), h1)
            x = x + h1[0]
            _, h2 = self.rnn2(torch.cat([x, a2[:, :, t]], dim=1).unsqueeze(1), h2)
            x = x + h2[0]
            x = nn.functional.relu(self.fc1(torch.cat([x, a3[:, :, t]], dim=1)))
            x = nn.functional.relu(self.fc2(torch.cat([x, a4[:, :, t]], dim=1)))
            posterior = nn.functional.softmax(self.fc3(x), dim=1)
            label = torch.multinomial(posterior, 1).to(dtype)
            sample = 2 * label / top - 1.0  # class index in [0, 2**n_bits - 1] -> [-1, 1]
            samples.append(sample)
        return torch.stack(samples, dim=2).reshape(batch_size, 1, num_samples), lengths
