"""DeepSpeech: fully connected layers around one bidirectional ReLU RNN (Hannun et al., 2014)."""

from torch import Tensor, nn

__all__ = ["DeepSpeech"]


class FullyConnected(nn.Module):
    """Linear layer, then ReLU clipped at ``relu_max_clip``, then dropout (in train mode).

    Args:
        n_feature: Number of input features.
        n_hidden: Number of output units.
        dropout: Dropout probability (0 disables it).
        relu_max_clip: Upper clip of the activation. (Default: ``20``)

    Shape:
        ``(..., n_feature)`` -> ``(..., n_hidden)``.
    """

    def __init__(self, n_feature: int, n_hidden: int, dropout: float, relu_max_clip: int = 20) -> None:
        super().__init__()
        self.fc = nn.Linear(n_feature, n_hidden, bias=True)
        self.relu_max_clip = relu_max_clip
        self.dropout = dropout

    def forward(self, x: Tensor) -> Tensor:
        # relu then hardtanh(0, clip) is min(max(x, 0), clip); written as torchaudio does so gradients at the
        # kinks (x == 0, x == clip) are the same.
        x = nn.functional.hardtanh(nn.functional.relu(self.fc(x)), 0.0, float(self.relu_max_clip))
        if self.dropout:
            x = nn.functional.dropout(x, self.dropout, self.training)
        return x


class DeepSpeech(nn.Module):
    """DeepSpeech acoustic model from *Deep Speech: Scaling up end-to-end speech recognition*.

    Args:
        n_feature: Number of input features.
        n_hidden: Hidden size of every layer. (Default: ``2048``)
        n_class: Number of output classes. (Default: ``40``)
        dropout: Dropout probability after each fully connected layer. (Default: ``0.0``)

    Shape:
        - Input: ``(batch, 1, time, n_feature)`` (``(batch, time, n_feature)`` is accepted too).
        - Output: ``(batch, time, n_class)``: log-probabilities over classes (last dim).
    """

    def __init__(self, n_feature: int, n_hidden: int = 2048, n_class: int = 40, dropout: float = 0.0) -> None:
        super().__init__()
        self.n_feature = n_feature
        self.n_hidden = n_hidden
        self.fc1 = FullyConnected(n_feature, n_hidden, dropout)
        self.fc2 = FullyConnected(n_hidden, n_hidden, dropout)
        self.fc3 = FullyConnected(n_hidden, n_hidden, dropout)
        self.bi_rnn = nn.RNN(n_hidden, n_hidden, num_layers=1, nonlinearity="relu", bidirectional=True)
        self.fc4 = FullyConnected(n_hidden, n_hidden, dropout)
        self.out = nn.Linear(n_hidden, n_class)

    def forward(self, x: Tensor) -> Tensor:
        """
        Args:
            x (Tensor): ``(batch, 1, time, n_feature)``.

        Returns:
            Tensor: log-probabilities, ``(batch, time, n_class)``.
        """
        shape = list(x.shape)
        if x.dim() == 4 and x.size(1) == 1:
            x = x.squeeze(1)
        if x.dim() != 3 or x.size(-1) != self.n_feature:
            raise ValueError(
                f"DeepSpeech: expected input of shape (batch, 1, time, n_feature={self.n_feature}), got {shape}"
            )
        x = self.fc3(self.fc2(self.fc1(x)))  # (batch, time, hidden)
        x, _ = self.bi_rnn(x.transpose(0, 1))  # (time, batch, 2 * hidden): forward then backward units
        # The next layer sees the sum of both directions.
        x = x[..., : self.n_hidden] + x[..., self.n_hidden :]
        x = self.out(self.fc4(x))  # (time, batch, class)
        return nn.functional.log_softmax(x.transpose(0, 1), dim=-1)
