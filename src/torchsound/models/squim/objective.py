"""SQUIM objective: reference-free estimates of STOI, wide-band PESQ and SI-SDR (Kumar et al., 2023).

A learned strided convolution encodes the waveform, a dual-path RNN (DPRNN, Luo et al., 2020) models it within
and across overlapping chunks, and one transformer branch per metric pools the frames into a score.
No spectral feature is computed here: the encoder is a learned filterbank.
"""

import math
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn

__all__ = ["SquimObjective", "squim_objective_model", "squim_objective_base"]


def transform_wb_pesq_range(x: float) -> float:
    """Map a narrow-band PESQ score (ITU-T P.862) to the wide-band scale (P.862.2).

    Args:
        x (float): Narrow-band PESQ score.

    Returns:
        float: The wide-band score, a logistic curve from 0.999 to 4.999.
    """
    low, high = 0.999, 4.999
    return low + (high - low) / (1.0 + math.exp(3.8224 - 1.3669 * x))


# Output range of the PESQ branch. The lower end of P.862.2's raw score has no exact bound: 1.0 is the paper's choice;
# the upper end is where the best narrow-band score (4.5) lands.
PESQRange: Tuple[float, float] = (1.0, transform_wb_pesq_range(4.5))


class RangeSigmoid(nn.Module):
    """A sigmoid stretched onto ``val_range = (low, high)``.

    Shape:
        any shape, kept.
    """

    def __init__(self, val_range: Tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__()
        if not (isinstance(val_range, tuple) and len(val_range) == 2):
            raise ValueError(f"RangeSigmoid: val_range must be a (low, high) tuple; got {val_range!r}")
        self.val_range: Tuple[float, float] = val_range
        self.sigmoid = nn.Sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        low, high = self.val_range
        return self.sigmoid(x) * (high - low) + low


class Encoder(nn.Module):
    """Learned analysis filterbank: a bias-free strided convolution (half-window hop) and a ReLU.

    Args:
        feat_dim (int, optional): Number of filters. (Default: ``512``)
        win_len (int, optional): Filter length in samples; the hop is ``win_len // 2``. (Default: ``32``)

    Shape:
        ``(batch, time)`` -> ``(batch, feat_dim, frame)`` with ``frame = (time - win_len) // (win_len // 2) + 1``.
    """

    def __init__(self, feat_dim: int = 512, win_len: int = 32) -> None:
        super().__init__()
        self.conv1d = nn.Conv1d(1, feat_dim, win_len, stride=win_len // 2, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        win_len = self.conv1d.kernel_size[0]
        if x.shape[-1] < win_len:
            raise ValueError(f"SquimObjective: input of {x.shape[-1]} samples is shorter than the window ({win_len})")
        return torch.relu(self.conv1d(x[:, None]))


class SingleRNN(nn.Module):
    """A one-layer bidirectional RNN followed by a projection back to the input size.

    Args:
        rnn_type (str): ``"RNN"``, ``"LSTM"`` or ``"GRU"``.
        input_size (int): Feature size of the sequence.
        hidden_size (int): Hidden size of each direction.
        dropout (float, optional): Passed to the RNN (no effect with one layer). (Default: ``0.0``)

    Shape:
        ``(batch, seq, input_size)`` -> same shape.
    """

    def __init__(self, rnn_type: str, input_size: int, hidden_size: int, dropout: float = 0.0) -> None:
        super().__init__()
        if rnn_type not in ("RNN", "LSTM", "GRU"):
            raise ValueError(f"rnn_type must be 'RNN', 'LSTM' or 'GRU'; got {rnn_type!r}")
        self.rnn_type = rnn_type
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.rnn: nn.Module = getattr(nn, rnn_type)(
            input_size, hidden_size, 1, dropout=dropout, batch_first=True, bidirectional=True
        )
        self.proj = nn.Linear(2 * hidden_size, input_size)

    def forward(self, x: Tensor) -> Tensor:
        hidden, _ = self.rnn(x)
        return self.proj(hidden)


class DPRNN(nn.Module):
    """Dual-path RNN: alternates an RNN inside each chunk (rows) and one across chunks (columns).

    The sequence is cut into chunks of ``chunk_size`` frames from two streams, one starting at frame 0 and one at
    ``chunk_stride``, taken alternately; afterwards the two streams are added back where they overlap.

    Args:
        feat_dim (int, optional): Feature size of the input. (Default: ``64``)
        hidden_dim (int, optional): Hidden size of each RNN direction. (Default: ``128``)
        num_blocks (int, optional): Number of row/column block pairs. (Default: ``6``)
        rnn_type (str, optional): ``"RNN"``, ``"LSTM"`` or ``"GRU"``. (Default: ``"LSTM"``)
        d_model (int, optional): Output feature size. (Default: ``256``)
        chunk_size (int, optional): Frames per chunk. (Default: ``100``)
        chunk_stride (int, optional): Offset of the second stream of chunks. (Default: ``50``)

    Shape:
        ``(batch, feat_dim, frame)`` -> ``(batch, frame, d_model)``.
    """

    def __init__(
        self,
        feat_dim: int = 64,
        hidden_dim: int = 128,
        num_blocks: int = 6,
        rnn_type: str = "LSTM",
        d_model: int = 256,
        chunk_size: int = 100,
        chunk_stride: int = 50,
    ) -> None:
        super().__init__()
        if not 0 < chunk_stride < chunk_size:
            raise ValueError(
                f"chunk_stride must be in 1 .. chunk_size - 1 = {chunk_size - 1}; got chunk_stride={chunk_stride}"
            )
        self.num_blocks = num_blocks
        # Registration order fixes the state_dict order: all row RNNs, all column RNNs, then the norms, then conv.
        self.row_rnn = nn.ModuleList([SingleRNN(rnn_type, feat_dim, hidden_dim) for _ in range(num_blocks)])
        self.col_rnn = nn.ModuleList([SingleRNN(rnn_type, feat_dim, hidden_dim) for _ in range(num_blocks)])
        self.row_norm = nn.ModuleList([nn.GroupNorm(1, feat_dim, eps=1e-8) for _ in range(num_blocks)])
        self.col_norm = nn.ModuleList([nn.GroupNorm(1, feat_dim, eps=1e-8) for _ in range(num_blocks)])
        self.conv = nn.Sequential(nn.Conv2d(feat_dim, d_model, 1), nn.PReLU())
        self.chunk_size = chunk_size
        self.chunk_stride = chunk_stride

    def _split(self, x: Tensor) -> Tuple[Tensor, int]:
        """``(batch, feat, frame)`` -> ``(batch, feat, chunk_size, 2 * n_chunks)`` and the right padding added."""
        size, stride = self.chunk_size, self.chunk_stride
        frames = x.shape[-1]
        # Pad so that both streams (from 0 and from `stride`) are whole numbers of chunks of the padded signal.
        extra = size - (stride + frames % size) % size
        padded = nn.functional.pad(x, [stride, extra + stride])
        batch, feat = padded.shape[0], padded.shape[1]
        n = (padded.shape[-1] - stride) // size  # chunks per stream (explicit: an empty batch has no -1 to infer)
        first = padded[:, :, :-stride].reshape(batch, feat, n, 1, size)
        second = padded[:, :, stride:].reshape(batch, feat, n, 1, size)
        chunks = torch.cat([first, second], dim=3).reshape(batch, feat, 2 * n, size)  # streams alternate
        # Contiguous layouts throughout, as in the published model: GroupNorm and conv reduce in another order on
        # permuted strides, which moves float32 results by an ulp.
        return chunks.transpose(2, 3).contiguous(), extra

    def _merge(self, x: Tensor, extra: int) -> Tensor:
        """Inverse of :meth:`_split` by overlap-add: ``(batch, dim, chunk_size, 2 * n_chunks)`` -> ``(batch, dim, frame)``."""
        size, stride = self.chunk_size, self.chunk_stride
        batch, dim = x.shape[0], x.shape[1]
        n = x.shape[3] // 2
        pairs = x.transpose(2, 3).reshape(batch, dim, n, 2, size)
        first = pairs[:, :, :, 0].reshape(batch, dim, n * size)  # padded frames 0 .. n * size
        second = pairs[:, :, :, 1].reshape(batch, dim, n * size)  # padded frames stride .. stride + n * size
        out = first[:, :, stride:] + second[:, :, :-stride]
        if extra > 0:
            out = out[:, :, :-extra]
        return out

    def forward(self, x: Tensor) -> Tensor:
        out, extra = self._split(x)
        batch, feat, size, n_chunks = out.shape
        for row_rnn, row_norm, col_rnn, col_norm in zip(self.row_rnn, self.row_norm, self.col_rnn, self.col_norm):
            # Rows: a sequence over the frames of each chunk.
            seq = out.permute(0, 3, 2, 1).reshape(batch * n_chunks, size, feat)
            seq = row_rnn(seq).reshape(batch, n_chunks, size, feat).permute(0, 3, 2, 1).contiguous()
            out = out + row_norm(seq)
            # Columns: a sequence over the chunks at each frame position.
            seq = out.permute(0, 2, 3, 1).reshape(batch * size, n_chunks, feat)
            seq = col_rnn(seq).reshape(batch, size, n_chunks, feat).permute(0, 3, 1, 2).contiguous()
            out = out + col_norm(seq)
        out = self._merge(self.conv(out), extra)
        return out.transpose(1, 2).contiguous()


class AutoPool(nn.Module):
    """Softmax-weighted average over ``pool_dim`` with a learned sharpness ``alpha`` (auto-pooling).

    Shape:
        ``(batch, frame, dim)`` -> ``(batch, dim)`` for ``pool_dim=1``.
    """

    def __init__(self, pool_dim: int = 1) -> None:
        super().__init__()
        self.pool_dim: int = pool_dim
        self.softmax = nn.Softmax(dim=pool_dim)
        self.alpha = nn.Parameter(torch.ones(1))

    def forward(self, x: Tensor) -> Tensor:
        weight = self.softmax(x * self.alpha)
        return (x * weight).sum(dim=self.pool_dim)


class SquimObjective(nn.Module):
    """Speech Quality and Intelligibility Measures (SQUIM) model predicting **objective** scores without a
    reference: STOI, wide-band PESQ and SI-SDR, in that order for the models built by the factories.

    Args:
        encoder (torch.nn.Module): Waveform to features (:class:`Encoder`).
        dprnn (torch.nn.Module): Sequence model on the features (:class:`DPRNN`).
        branches (torch.nn.ModuleList): One module per metric, each mapping the DPRNN output to ``(batch, 1)``.

    Shape:
        waveforms ``(batch, time)`` (16 kHz for the published weights) -> one ``(batch,)`` tensor per branch.
    """

    def __init__(self, encoder: nn.Module, dprnn: nn.Module, branches: nn.ModuleList):
        super().__init__()
        self.encoder = encoder
        self.dprnn = dprnn
        self.branches = branches

    def forward(self, x: Tensor) -> List[Tensor]:
        """
        Args:
            x (Tensor): Waveforms, ``(batch, time)``.

        Returns:
            List[Tensor]: One score tensor ``(batch,)`` per branch.
        """
        if x.ndim != 2:
            raise ValueError(f"SquimObjective: expected input of shape (batch, time), got {list(x.shape)}")
        # Scale every item to an RMS of 1/20: the scores must not depend on the recording level.
        x = x / (x.pow(2).mean(dim=1, keepdim=True).sqrt() * 20)
        features = self.dprnn(self.encoder(x))
        return [branch(features).squeeze(dim=1) for branch in self.branches]


def _metric_head(d_model: int, nhead: int, metric: str) -> nn.Sequential:
    """Transformer layer, auto-pooling over frames, then an MLP to one score (squashed to the metric's range)."""
    layers: List[nn.Module] = [nn.Linear(d_model, d_model), nn.PReLU(), nn.Linear(d_model, 1)]
    if metric == "stoi":
        layers.append(RangeSigmoid())
    elif metric == "pesq":
        layers.append(RangeSigmoid(val_range=PESQRange))
    transformer = nn.TransformerEncoderLayer(d_model, nhead, 4 * d_model, dropout=0.0, batch_first=True)
    return nn.Sequential(transformer, AutoPool(), nn.Sequential(*layers))


def squim_objective_model(
    feat_dim: int,
    win_len: int,
    d_model: int,
    nhead: int,
    hidden_dim: int,
    num_blocks: int,
    rnn_type: str,
    chunk_size: int,
    chunk_stride: Optional[int] = None,
) -> SquimObjective:
    """Build a custom :class:`SquimObjective` (branches for STOI, PESQ and SI-SDR).

    Args:
        feat_dim (int): Number of encoder filters.
        win_len (int): Encoder filter length in samples.
        d_model (int): Feature size of the DPRNN output and the transformer branches.
        nhead (int): Attention heads of each branch.
        hidden_dim (int): Hidden size of the DPRNN's RNNs.
        num_blocks (int): Number of DPRNN blocks.
        rnn_type (str): ``"RNN"``, ``"LSTM"`` or ``"GRU"``.
        chunk_size (int): DPRNN chunk size in frames.
        chunk_stride (int or None, optional): DPRNN chunk offset; ``None`` means ``chunk_size // 2``.
    """
    if chunk_stride is None:
        chunk_stride = chunk_size // 2
    return SquimObjective(
        Encoder(feat_dim, win_len),
        DPRNN(feat_dim, hidden_dim, num_blocks, rnn_type, d_model, chunk_size, chunk_stride),
        nn.ModuleList([_metric_head(d_model, nhead, metric) for metric in ("stoi", "pesq", "sisdr")]),
    )


def squim_objective_base() -> SquimObjective:
    """Build :class:`SquimObjective` with the configuration of the published weights."""
    return squim_objective_model(
        feat_dim=256,
        win_len=64,
        d_model=256,
        nhead=4,
        hidden_dim=256,
        num_blocks=2,
        rnn_type="LSTM",
        chunk_size=71,
    )
