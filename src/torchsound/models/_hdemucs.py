"""Hybrid Demucs (Défossez 2021): a waveform U-Net and a spectrogram U-Net that share their innermost layers.

Submodule names, constructor arguments and numerics follow torchaudio 2.8's ``HDemucs`` so its checkpoints (the
``HDEMUCS_HIGH_MUSDB*`` bundles) load with ``strict=True``. The spectral branch uses :mod:`torchsound.functional`'s
STFT and inverse STFT.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from ..functional import inverse_spectrogram, spectrogram

__all__ = ["HDemucs", "hdemucs_low", "hdemucs_medium", "hdemucs_high"]


def _norm(norm_type: str, groups: int, channels: int) -> nn.Module:
    return nn.GroupNorm(groups, channels) if norm_type == "group_norm" else nn.Identity()


class _FreqEmbedding(nn.Module):
    """Learned per-frequency-row embedding; storing ``weight / scale`` multiplies its learning rate by ``scale``."""

    def __init__(self, num_embeddings: int, embedding_dim: int, scale: float = 10.0, smooth: bool = False):
        super().__init__()
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)
        with torch.no_grad():
            if smooth:
                # A running mean of Gaussians varies slowly along frequency; sqrt(n) keeps its variance at 1.
                rows = torch.arange(1, num_embeddings + 1, dtype=self.embedding.weight.dtype).sqrt()[:, None]
                self.embedding.weight.copy_(self.embedding.weight.cumsum(0) / rows)
            self.embedding.weight.div_(scale)
        self.scale = scale

    @property
    def weight(self) -> torch.Tensor:
        return self.embedding.weight * self.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embedding(x) * self.scale


class _LayerScale(nn.Module):
    """Per-channel gain on a residual branch, started near 0 (Touvron et al. 2021)."""

    def __init__(self, channels: int, init: float = 0.0):
        super().__init__()
        self.scale = nn.Parameter(torch.full((channels,), float(init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale[:, None]


class _ChunkedBiLSTM(nn.Module):
    """Two-way LSTM over time with a linear projection back to ``dim``, plus the input (``skip``).

    Sequences longer than ``max_steps`` are cut into windows of ``max_steps`` overlapping by half; each window
    contributes its middle half (the first and last windows also their outer edges).

    Shape: ``(batch, dim, time)`` in and out.
    """

    def __init__(self, dim: int, layers: int = 1, skip: bool = False):
        super().__init__()
        self.max_steps = 200
        self.lstm = nn.LSTM(input_size=dim, hidden_size=dim, num_layers=layers, bidirectional=True)
        self.linear = nn.Linear(2 * dim, dim)
        self.skip = skip

    def _run(self, x: torch.Tensor) -> torch.Tensor:
        # (batch, dim, time) -> (time, batch, dim) for the LSTM, and back.
        y, _ = self.lstm(x.permute(2, 0, 1))
        return self.linear(y).permute(1, 2, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, dim, steps = x.shape
        width = self.max_steps
        if steps <= width:
            y = self._run(x)
        else:
            hop = width // 2
            n_windows = -(-steps // hop)
            padded = F.pad(x, (0, (n_windows - 1) * hop + width - steps))
            windows = padded.unfold(-1, width, hop)  # (batch, dim, window, width)
            windows = windows.permute(0, 2, 1, 3).reshape(batch * n_windows, dim, width)
            y = self._run(windows).reshape(batch, n_windows, dim, width)
            edge = hop // 2
            parts = [y[:, 0, :, : width - edge]]
            parts += [y[:, k, :, edge : width - edge] for k in range(1, n_windows - 1)]
            parts.append(y[:, n_windows - 1, :, edge:])
            y = torch.cat(parts, dim=-1)[..., :steps]
        return x + y if self.skip else y


class _LocalAttention(nn.Module):
    """Content-only self-attention over time whose scores decay with distance at learned rates; a frame does
    not attend to itself.

    Shape: ``(batch, channels, time)`` in and out.
    """

    def __init__(self, channels: int, heads: int = 4, ndecay: int = 4):
        super().__init__()
        if channels % heads != 0:
            raise ValueError(f"HDemucs attention: channels ({channels}) must be divisible by heads ({heads})")
        self.heads = heads
        self.ndecay = ndecay
        self.content = nn.Conv1d(channels, channels, 1)
        self.query = nn.Conv1d(channels, channels, 1)
        self.key = nn.Conv1d(channels, channels, 1)
        self.query_decay = nn.Conv1d(channels, heads * ndecay, 1)
        if ndecay:
            with torch.no_grad():
                # Decay rates pass a sigmoid: start them small so the first window is as wide as possible.
                self.query_decay.weight.mul_(0.01)
                self.query_decay.bias.fill_(-2.0)
        self.proj = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, steps = x.shape
        h = self.heads
        q = self.query(x).view(batch, h, -1, steps)
        k = self.key(x).view(batch, h, -1, steps)
        # scores[b, h, t, s]: key frame t against query frame s; softmax runs over the keys.
        scores = torch.einsum("bhct,bhcs->bhts", k, q) / math.sqrt(k.shape[2])
        if self.ndecay:
            pos = torch.arange(steps, device=x.device, dtype=x.dtype)
            distance = (pos[:, None] - pos[None, :]).abs()
            rates = torch.arange(1, self.ndecay + 1, device=x.device, dtype=x.dtype)
            penalty = -rates[:, None, None] * distance / math.sqrt(self.ndecay)  # (ndecay, t, s)
            gate = torch.sigmoid(self.query_decay(x).view(batch, h, -1, steps)) / 2  # (b, h, ndecay, s)
            scores = scores + torch.einsum("fts,bhfs->bhts", penalty, gate)
        self_mask = torch.eye(steps, device=x.device, dtype=torch.bool)
        weights = scores.masked_fill(self_mask, -100.0).softmax(dim=2)
        values = self.content(x).view(batch, h, -1, steps)
        mixed = torch.einsum("bhts,bhct->bhcs", weights, values).reshape(batch, -1, steps)
        return x + self.proj(mixed)


class _DConv(nn.Module):
    """Residual branches of dilated 1-D convolutions in a compressed channel space, optionally with a BiLSTM and
    local attention, each scaled by a LayerScale.

    Shape: ``(batch, channels, time)`` in and out.
    """

    def __init__(
        self,
        channels: int,
        compress: float = 4,
        depth: int = 2,
        init: float = 1e-4,
        norm_type: str = "group_norm",
        attn: bool = False,
        heads: int = 4,
        ndecay: int = 4,
        lstm: bool = False,
        kernel_size: int = 3,
    ):
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError(f"HDemucs DConv: kernel_size must be odd, got {kernel_size}")
        self.channels = channels
        self.compress = compress
        self.depth = abs(depth)
        hidden = int(channels / compress)
        self.layers = nn.ModuleList()
        for d in range(self.depth):
            dilation = 2**d if depth > 0 else 1  # a negative depth means no dilation
            head = [
                nn.Conv1d(channels, hidden, kernel_size, dilation=dilation, padding=dilation * (kernel_size // 2)),
                _norm(norm_type, 1, hidden),
                nn.GELU(),
            ]
            tail = [nn.Conv1d(hidden, 2 * channels, 1), _norm(norm_type, 1, 2 * channels), nn.GLU(1),
                    _LayerScale(channels, init)]
            # Built in the order torchaudio draws their initial weights (tail, attention, LSTM), run LSTM first.
            attention = [_LocalAttention(hidden, heads=heads, ndecay=ndecay)] if attn else []
            recurrent = [_ChunkedBiLSTM(hidden, layers=2, skip=True)] if lstm else []
            branch = head + recurrent + attention + tail
            self.layers.append(nn.Sequential(*branch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for branch in self.layers:
            x = x + branch(x)
        return x


class _HEncLayer(nn.Module):
    """One encoder level: strided convolution (over frequency, kernel ``(k, 1)``, when ``freq``; over time
    otherwise), then norm, GELU, DConv and a GLU-gated 1x1 rewrite. ``empty`` keeps only the strided convolution
    (the time branch's last level, whose output is injected into the frequency branch).

    Shape: ``(B, C, F, T)`` to ``(B, C', F / stride, T)`` (freq); ``(B, C, T)`` to ``(B, C', ceil(T / stride))``.
    """

    def __init__(
        self,
        chin: int,
        chout: int,
        kernel_size: int = 8,
        stride: int = 4,
        norm_groups: int = 4,
        empty: bool = False,
        freq: bool = True,
        norm_type: str = "group_norm",
        context: int = 0,
        dconv_kw: Optional[Dict[str, Any]] = None,
        pad: bool = True,
    ):
        super().__init__()
        self.freq = freq
        self.kernel_size = kernel_size
        self.stride = stride
        self.empty = empty
        self.pad = kernel_size // 4 if pad else 0
        if freq:
            self.conv = nn.Conv2d(chin, chout, (kernel_size, 1), (stride, 1), (self.pad, 0))
        else:
            self.conv = nn.Conv1d(chin, chout, kernel_size, stride, self.pad)
        self.norm1 = _norm(norm_type, norm_groups, chout)
        if empty:
            self.rewrite, self.norm2, self.dconv = nn.Identity(), nn.Identity(), nn.Identity()
        else:
            conv = nn.Conv2d if freq else nn.Conv1d
            self.rewrite = conv(chout, 2 * chout, 1 + 2 * context, 1, context)
            self.norm2 = _norm(norm_type, norm_groups, 2 * chout)
            self.dconv = _DConv(chout, **(dconv_kw or {}))

    def forward(self, x: torch.Tensor, inject: Optional[torch.Tensor] = None) -> torch.Tensor:
        if not self.freq:
            if x.dim() == 4:  # the frequency axis has shrunk to 1: fold it into the channels
                x = x.reshape(x.shape[0], -1, x.shape[-1])
            x = F.pad(x, (0, -x.shape[-1] % self.stride))
        y = self.conv(x)
        if self.empty:
            return y
        if inject is not None:
            if inject.shape[-1] != y.shape[-1]:
                raise ValueError(f"HDemucs: time-branch injection has {inject.shape[-1]} frames, "
                                 f"the frequency branch {y.shape[-1]}")
            y = y + (inject[:, :, None] if inject.dim() == 3 and y.dim() == 4 else inject)
        y = F.gelu(self.norm1(y))
        if self.freq:
            # DConv runs over time, once per frequency row.
            b, c, fr, t = y.shape
            y = self.dconv(y.transpose(1, 2).reshape(b * fr, c, t)).view(b, fr, c, t).transpose(1, 2)
        else:
            y = self.dconv(y)
        return F.glu(self.norm2(self.rewrite(y)), dim=1)


class _HDecLayer(nn.Module):
    """One decoder level: add the skip, GLU-gated rewrite, then a transposed strided convolution trimmed back to
    the encoder's size. Returns the output and the tensor before the transposed convolution (which feeds the time
    branch where the two branches split).

    Shape: ``(B, C, F, T)`` to ``(B, C', F * stride, T)`` (freq); ``(B, C, T)`` to ``(B, C', length)``.
    """

    def __init__(
        self,
        chin: int,
        chout: int,
        last: bool = False,
        kernel_size: int = 8,
        stride: int = 4,
        norm_groups: int = 1,
        empty: bool = False,
        freq: bool = True,
        norm_type: str = "group_norm",
        context: int = 1,
        dconv_kw: Optional[Dict[str, Any]] = None,
        pad: bool = True,
    ):
        super().__init__()
        if pad and (kernel_size - stride) % 2 != 0:
            raise ValueError(f"HDemucs decoder: kernel_size - stride must be even, got {kernel_size} and {stride}")
        self.pad = (kernel_size - stride) // 2 if pad else 0
        self.last = last
        self.freq = freq
        self.chin = chin
        self.empty = empty
        self.stride = stride
        self.kernel_size = kernel_size
        if freq:
            self.conv_tr = nn.ConvTranspose2d(chin, chout, (kernel_size, 1), (stride, 1))
        else:
            self.conv_tr = nn.ConvTranspose1d(chin, chout, kernel_size, stride)
        self.norm2 = _norm(norm_type, norm_groups, chout)
        if empty:
            self.rewrite, self.norm1 = nn.Identity(), nn.Identity()
        else:
            conv = nn.Conv2d if freq else nn.Conv1d
            self.rewrite = conv(chin, 2 * chin, 1 + 2 * context, 1, context)
            self.norm1 = _norm(norm_type, norm_groups, 2 * chin)

    def forward(self, x: torch.Tensor, skip: Optional[torch.Tensor], length: int) -> Tuple[torch.Tensor, torch.Tensor]:
        if self.freq and x.dim() == 3:  # coming out of a time-like level: restore the frequency axis
            x = x.reshape(x.shape[0], self.chin, -1, x.shape[-1])
        if self.empty:
            if skip is not None:
                raise ValueError("HDemucs decoder: an empty layer takes no skip connection")
            y = x
        else:
            y = F.glu(self.norm1(self.rewrite(x + skip)), dim=1)
        z = self.norm2(self.conv_tr(y))
        if self.freq:
            if self.pad:
                z = z[..., self.pad : z.shape[-2] - self.pad, :]
        else:
            z = z[..., self.pad : self.pad + length]
            if z.shape[-1] != length:
                raise ValueError(f"HDemucs decoder: produced {z.shape[-1]} samples, expected {length}")
        if not self.last:
            z = F.gelu(z)
        return z, y


def _rescale_weights(module: nn.Module) -> None:
    # Demucs' initialisation: bring every convolution's weight standard deviation to about sqrt(0.1 * std).
    convs = (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)
    with torch.no_grad():
        for sub in module.modules():
            if isinstance(sub, convs):
                factor = (sub.weight.std() / 0.1).sqrt()
                sub.weight.div_(factor)
                if sub.bias is not None:
                    sub.bias.div_(factor)


class HDemucs(nn.Module):
    r"""Hybrid Demucs source separation model (*Hybrid Spectrogram and Waveform Source Separation*,
    Défossez 2021), as torchaudio 2.8's :class:`torchaudio.models.HDemucs`.

    A time-domain U-Net and a U-Net over the complex spectrogram (real and imaginary parts as channels) run side
    by side; their innermost levels are shared. The spectrogram branch's output is turned back into waveforms
    by inverse STFT and added to the time branch's.

    Args:
        sources (List[str]): names of the sources to separate (e.g. ``["drums", "bass", "other", "vocals"]``).
        audio_channels (int, optional): channels of the input and of each source. (Default: 2)
        channels (int, optional): hidden channels of the first level. (Default: 48)
        growth (int, optional): factor on the hidden channels at each level. (Default: 2)
        nfft (int, optional): FFT size of the spectral branch (hop ``nfft // 4``). (Default: 4096)
        depth (int, optional): number of encoder and decoder levels. (Default: 6)
        freq_emb (float, optional): weight of the frequency embedding added after the first frequency level;
            0 for none. (Default: 0.2)
        emb_scale (int, optional): learning-rate scale of that embedding. (Default: 10)
        emb_smooth (bool, optional): start the embedding smooth along frequency. (Default: ``True``)
        kernel_size (int, optional): kernel size of the levels. (Default: 8)
        time_stride (int, optional): stride of the time levels after the branches merge. (Default: 2)
        stride (int, optional): stride of the levels. (Default: 4)
        context (int, optional): context of the decoders' 1x1 rewrite convolution. (Default: 1)
        context_enc (int, optional): context of the encoders' rewrite convolution. (Default: 0)
        norm_starts (int, optional): first level with group norm. (Default: 4)
        norm_groups (int, optional): groups of the group norms. (Default: 4)
        dconv_depth (int, optional): residual branches per DConv. (Default: 2)
        dconv_comp (int, optional): channel compression inside DConv. (Default: 4)
        dconv_attn (int, optional): first level whose DConv has local attention. (Default: 4)
        dconv_lstm (int, optional): first level whose DConv has a BiLSTM. (Default: 4)
        dconv_init (float, optional): initial LayerScale of DConv branches. (Default: 1e-4)

    Shape:
        input: ``(batch, audio_channels, time)``; output: ``(batch, len(sources), audio_channels, time)``.
    """

    def __init__(
        self,
        sources: List[str],
        audio_channels: int = 2,
        channels: int = 48,
        growth: int = 2,
        nfft: int = 4096,
        depth: int = 6,
        freq_emb: float = 0.2,
        emb_scale: int = 10,
        emb_smooth: bool = True,
        kernel_size: int = 8,
        time_stride: int = 2,
        stride: int = 4,
        context: int = 1,
        context_enc: int = 0,
        norm_starts: int = 4,
        norm_groups: int = 4,
        dconv_depth: int = 2,
        dconv_comp: int = 4,
        dconv_attn: int = 4,
        dconv_lstm: int = 4,
        dconv_init: float = 1e-4,
    ):
        super().__init__()
        self.depth = depth
        self.nfft = nfft
        self.audio_channels = audio_channels
        self.sources = sources
        self.kernel_size = kernel_size
        self.context = context
        self.stride = stride
        self.channels = channels
        self.hop_length = nfft // 4
        self.freq_emb = None

        self.freq_encoder = nn.ModuleList()
        self.freq_decoder = nn.ModuleList()
        self.time_encoder = nn.ModuleList()
        self.time_decoder = nn.ModuleList()

        # Channels in/out of the time (t) and frequency (z: real and imaginary parts) levels.
        t_in, z_in = audio_channels, 2 * audio_channels
        t_out = z_out = channels
        freqs = nfft // 2
        for index in range(depth):
            is_freq = freqs > 1  # once the frequency axis is 1, levels are plain time convolutions
            last_freq = is_freq and freqs <= kernel_size  # this level's kernel covers all remaining rows
            if not is_freq and freqs != 1:
                raise ValueError(f"HDemucs: the frequency axis must shrink to exactly 1, got {freqs} at level {index}")
            dconv_kw = {
                "lstm": index >= dconv_lstm,
                "attn": index >= dconv_attn,
                "depth": dconv_depth,
                "compress": dconv_comp,
                "init": dconv_init,
            }
            common = {
                "norm_type": "group_norm" if index >= norm_starts else "none",
                "norm_groups": norm_groups,
                "dconv_kw": dconv_kw,
            }
            if not is_freq:
                level = dict(common, kernel_size=2 * time_stride, stride=time_stride, freq=False, pad=True)
            elif last_freq:
                level = dict(common, kernel_size=freqs, stride=stride, freq=True, pad=False)
            else:
                level = dict(common, kernel_size=kernel_size, stride=stride, freq=True, pad=True)
            t_level = dict(common, kernel_size=kernel_size, stride=stride, freq=False, pad=True)
            if last_freq:
                z_out = t_out = max(t_out, z_out)
                if nfft == 2048:  # torchaudio's medium model shortens the last separate time level
                    t_level.update(kernel_size=4, stride=2)

            self.freq_encoder.append(_HEncLayer(z_in, z_out, context=context_enc, **level))
            if is_freq:
                self.time_encoder.append(_HEncLayer(t_in, t_out, context=context_enc, empty=last_freq, **t_level))
            if index == 0:  # decoders end in one waveform (or spectrogram) per source
                t_in = audio_channels * len(sources)
                z_in = 2 * t_in
            # Decoders are built deepest-last and used deepest-first.
            self.freq_decoder.insert(0, _HDecLayer(z_out, z_in, last=index == 0, context=context, **level))
            if is_freq:
                self.time_decoder.insert(
                    0, _HDecLayer(t_out, t_in, empty=last_freq, last=index == 0, context=context, **t_level))

            t_in, z_in = t_out, z_out
            t_out, z_out = int(growth * t_out), int(growth * z_out)
            if is_freq:
                freqs = 1 if last_freq else freqs // stride
            if index == 0 and freq_emb:
                self.freq_emb = _FreqEmbedding(freqs, z_in, smooth=emb_smooth, scale=emb_scale)
                self.freq_emb_scale = freq_emb

        _rescale_weights(self)

    def _stft_window(self, like: torch.Tensor) -> torch.Tensor:
        # torchaudio builds the window in float32 whatever the input's dtype; so do we, for equal float64 outputs.
        return torch.hann_window(self.nfft, device=like.device).to(like.dtype)

    def _spec(self, x: torch.Tensor) -> torch.Tensor:
        """Complex spectrogram with exactly ``ceil(time / hop)`` frames, frame ``k`` centred at ``(k + 1/2) * hop``
        (so that it lines up with the time branch's strided convolutions). Shape: ``(..., nfft // 2, frames)``."""
        hop = self.hop_length
        frames = -(-x.shape[-1] // hop)
        # Reflect-pad 1.5 hops on the left and enough on the right; the centred STFT then has 4 frames too many.
        left = 3 * (hop // 2)
        right = left + frames * hop - x.shape[-1]
        length = x.shape[-1]
        if length <= max(left, right):  # reflect padding needs a longer signal: extend it with zeros first
            x = F.pad(x, (0, max(left, right) - length + 1))
        x = F.pad(x, (left, right), mode="reflect")
        if 1 + x.shape[-1] // hop != frames + 4:
            # The zero extension added whole frames, which would misalign the branches (torchaudio fails here too).
            raise ValueError(f"HDemucs: an input of {length} samples does not fit the nfft={self.nfft} spectrogram's "
                             f"frames; inputs of at least {left + hop} samples always do")
        z = spectrogram(x, 0, self._stft_window(x), self.nfft, hop, self.nfft, None, "frame_length",
                        center=True, pad_mode="reflect")
        return z[..., :-1, 2 : 2 + frames]  # drop the Nyquist row and the two extra frames on each side

    def _ispec(self, z: torch.Tensor, length: int) -> torch.Tensor:
        """Inverse of :meth:`_spec`: waveform of ``length`` samples. Shape: ``(..., nfft // 2, frames)`` in."""
        hop = self.hop_length
        z = F.pad(z, (2, 2, 0, 1))  # restore the Nyquist row and the edge frames (as zeros)
        left = 3 * (hop // 2)
        padded = hop * -(-length // hop) + 2 * left
        x = inverse_spectrogram(z, padded, 0, self._stft_window(z.real), self.nfft, hop, self.nfft, "frame_length",
                                center=True)
        return x[..., left : left + length]

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        r"""Separate a mixture into sources.

        Args:
            input (Tensor): mixture, ``(batch, audio_channels, time)``.

        Returns:
            Tensor: sources, ``(batch, len(sources), audio_channels, time)``.
        """
        if input.dim() != 3 or input.shape[1] != self.audio_channels:
            raise ValueError(f"HDemucs: expected input of shape (batch, audio_channels={self.audio_channels}, time), "
                             f"got {tuple(input.shape)}")
        batch, length = input.shape[0], input.shape[-1]

        # Frequency branch input: real and imaginary parts as channels, (B, 2 * C, F, T), c0.re, c0.im, c1.re, ...
        z = self._spec(input)
        x = torch.view_as_real(z).movedim(-1, 2).flatten(1, 2)
        n_freq, n_frames = x.shape[-2], x.shape[-1]
        # Both branches work on standardised inputs (unbiased std, as torch.std); the outputs are scaled back.
        mean, std = x.mean(dim=(1, 2, 3), keepdim=True), x.std(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) / (1e-5 + std)
        mean_t, std_t = input.mean(dim=(1, 2), keepdim=True), input.std(dim=(1, 2), keepdim=True)
        xt = (input - mean_t) / (1e-5 + std_t)

        skips: List[torch.Tensor] = []
        skips_t: List[torch.Tensor] = []
        sizes: List[int] = []
        sizes_t: List[int] = []
        for index, encode in enumerate(self.freq_encoder):
            sizes.append(x.shape[-1])
            inject: Optional[torch.Tensor] = None
            if index < len(self.time_encoder):
                sizes_t.append(xt.shape[-1])
                t_encode = self.time_encoder[index]
                xt = t_encode(xt)
                if t_encode.empty:
                    inject = xt  # the branches merge here
                else:
                    skips_t.append(xt)
            x = encode(x, inject)
            if index == 0 and self.freq_emb is not None:
                # Tells the frequency convolutions where they are on the frequency axis.
                rows = torch.arange(x.shape[-2], device=x.device)
                x = x + self.freq_emb_scale * self.freq_emb(rows).t()[None, :, :, None]
            skips.append(x)

        # The decoders start from zeros: everything reaches them through the skips.
        x = torch.zeros_like(x)
        xt = x
        split = self.depth - len(self.time_decoder)  # freq decoder index where the time branch splits off
        for index, decode in enumerate(self.freq_decoder):
            x, before = decode(x, skips.pop(), sizes.pop())
            if index >= split:
                t_decode = self.time_decoder[index - split]
                if t_decode.empty:
                    xt, _ = t_decode(before[:, :, 0], None, sizes_t.pop())
                else:
                    xt, _ = t_decode(xt, skips_t.pop(), sizes_t.pop())

        n_sources = len(self.sources)
        x = x.view(batch, n_sources, -1, n_freq, n_frames) * std[:, None] + mean[:, None]
        # Back to complex: (B, S, C, F, T).
        spec = torch.view_as_complex(x.unflatten(2, (-1, 2)).movedim(3, -1).contiguous())
        x = self._ispec(spec, length)
        xt = xt.view(batch, n_sources, -1, length) * std_t[:, None] + mean_t[:, None]
        return xt + x


def hdemucs_low(sources: List[str]) -> HDemucs:
    """:class:`HDemucs` with ``nfft=1024``, ``depth=5``: for sample rates around 8 kHz.

    Args:
        sources (List[str]): see :class:`HDemucs`.
    """
    return HDemucs(sources=sources, nfft=1024, depth=5)


def hdemucs_medium(sources: List[str]) -> HDemucs:
    """:class:`HDemucs` with ``nfft=2048``, ``depth=6``: for sample rates of 16-32 kHz.

    Args:
        sources (List[str]): see :class:`HDemucs`.
    """
    return HDemucs(sources=sources, nfft=2048, depth=6)


def hdemucs_high(sources: List[str]) -> HDemucs:
    """:class:`HDemucs` with ``nfft=4096``, ``depth=6``: for sample rates of 44.1-48 kHz.

    Args:
        sources (List[str]): see :class:`HDemucs`.
    """
    return HDemucs(sources=sources, nfft=4096, depth=6)
