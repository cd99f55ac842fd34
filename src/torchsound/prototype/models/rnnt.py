"""Conformer RNN-T and Conformer RNN-T with contextual biasing (TCPGen), with torchaudio 2.8's prototype names,
state_dict keys and numerics.

The plain model is :class:`torchsound.models.RNNT` with a Conformer transcriber (time reduction, linear,
Conformer, linear, layer norm). The biasing model adds a tree-constrained pointer generator (TCPGen, Sun et al.,
2021): a prefix tree (trie) of the biasing words' word pieces says which pieces may follow the pieces emitted
since the last word boundary; TCPGen attends from (acoustic encoding, last token embedding) over those pieces
(keys: the predictor's embeddings through ``Kproj``, plus an out-of-list entry ``ooKBemb``), giving a
distribution over pieces, a biasing vector ``hptr`` that deep biasing adds inside the joiner, and a generation
probability ``p_gen`` from ``pointer_gate`` that mixes the two distributions.

A trie node is ``[children, word_id, word_range]``: ``children`` maps a piece id to the next node, ``word_id`` is
the id of the word ending at this node (``-1``: none), ``word_range`` the ids of the words below it. Pieces are
suffix-marked: a piece ending in ``"▁"`` closes a word.
"""

from __future__ import annotations

import math
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn

from ...models.conformer import Conformer
from ...models.rnnt import RNNT, _Joiner, _Predictor, _TimeReduction, _Transcriber

__all__ = ["conformer_rnnt_base", "conformer_rnnt_biasing", "conformer_rnnt_biasing_base", "conformer_rnnt_model"]

TrieNode = Tuple[Dict[int, "TrieNode"], int, Optional[Tuple[int, int]]]

_WORD_END = "▁"


class _ConformerEncoder(nn.Module, _Transcriber):
    """Transcription network: time reduction, linear, Conformer (group norm, convolution first), linear, layer norm.

    Shape: ``(B, T, input_dim)``, lengths ``(B,)`` -> ``(B, T // time_reduction_stride, output_dim)``,
    ``lengths // time_reduction_stride``.
    """

    def __init__(
        self,
        *,
        input_dim: int,
        output_dim: int,
        time_reduction_stride: int,
        conformer_input_dim: int,
        conformer_ffn_dim: int,
        conformer_num_layers: int,
        conformer_num_heads: int,
        conformer_depthwise_conv_kernel_size: int,
        conformer_dropout: float,
    ) -> None:
        super().__init__()
        self.time_reduction = _TimeReduction(time_reduction_stride)
        self.input_linear = nn.Linear(input_dim * time_reduction_stride, conformer_input_dim)
        self.conformer = Conformer(
            num_layers=conformer_num_layers,
            input_dim=conformer_input_dim,
            ffn_dim=conformer_ffn_dim,
            num_heads=conformer_num_heads,
            depthwise_conv_kernel_size=conformer_depthwise_conv_kernel_size,
            dropout=conformer_dropout,
            use_group_norm=True,
            convolution_first=True,
        )
        self.output_linear = nn.Linear(conformer_input_dim, output_dim)
        self.layer_norm = nn.LayerNorm(output_dim)
        self._input_dim = input_dim

    def forward(self, input: Tensor, lengths: Tensor) -> Tuple[Tensor, Tensor]:
        if input.dim() != 3 or input.shape[2] != self._input_dim:
            raise ValueError(
                f"RNNT.transcribe expects sources of shape (batch, frame, {self._input_dim}); "
                f"got shape {list(input.shape)}"
            )
        x, x_lengths = self.time_reduction(input, lengths)
        x, x_lengths = self.conformer(self.input_linear(x), x_lengths)
        return self.layer_norm(self.output_linear(x)), x_lengths

    @torch.jit.export
    def infer(
        self, input: Tensor, lengths: Tensor, states: Optional[List[List[Tensor]]]
    ) -> Tuple[Tensor, Tensor, List[List[Tensor]]]:
        raise RuntimeError(
            "Conformer does not support streaming inference: the Conformer RNN-T's transcriber attends over the "
            "whole input; use RNNT.transcribe"
        )


class _JoinerBiasing(nn.Module):
    """Joint network with optional deep biasing: ``linear(activation(source + target [+ biasinglinear(hptr)]))``.

    Args:
        input_dim (int): source and target encoding dimension.
        output_dim (int): number of output symbols.
        activation (str, optional): ``"relu"`` or ``"tanh"``. (Default: ``"relu"``)
        biasing (bool, optional): the model biases. (Default: ``False``)
        deepbiasing (bool, optional): with ``biasing``, add the projected biasing vector ``hptr`` to the joint
            encodings. (Default: ``False``)
        attndim (int, optional): dimension of ``hptr``. (Default: ``1``)

    Shape:
        ``(B, T, D)``, ``(B, U, D)``, hptr ``(B, T or 1, U, attndim)`` or ``None`` -> logits
        ``(B, T, U, output_dim)``, source lengths, target lengths, activations ``(B, T, U, D)``.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        activation: str = "relu",
        biasing: bool = False,
        deepbiasing: bool = False,
        attndim: int = 1,
    ) -> None:
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim, bias=True)
        self.biasing = biasing
        self.deepbiasing = deepbiasing
        if biasing and deepbiasing:
            self.biasinglinear = nn.Linear(attndim, input_dim, bias=True)
            self.attndim = attndim
        if activation == "relu":
            self.activation: nn.Module = nn.ReLU()
        elif activation == "tanh":
            self.activation = nn.Tanh()
        else:
            raise ValueError(f"activation must be 'relu' or 'tanh'; got {activation!r}")

    def forward(
        self,
        source_encodings: Tensor,
        source_lengths: Tensor,
        target_encodings: Tensor,
        target_lengths: Tensor,
        hptr: Optional[Tensor] = None,
    ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        if source_encodings.dim() != 3 or target_encodings.dim() != 3:
            raise ValueError(
                "RNNT.join expects source_encodings (batch, frame, dim) and target_encodings (batch, token, dim); "
                f"got shapes {list(source_encodings.shape)} and {list(target_encodings.shape)}"
            )
        joint = source_encodings.unsqueeze(2) + target_encodings.unsqueeze(1)
        if self.biasing and self.deepbiasing:
            if hptr is not None:
                joint = joint + self.biasinglinear(hptr)
            else:
                # A zero that reaches biasinglinear, so its gradients are zeros rather than None (as torchaudio,
                # for distributed training that expects every parameter to be used).
                joint = joint + self.biasinglinear(joint.new_zeros(1, self.attndim)).mean() * 0
        activation_out = self.activation(joint)
        return self.linear(activation_out), source_lengths, target_lengths, activation_out


class RNNTBiasing(RNNT):
    """RNN-T with TCPGen contextual biasing. Build it with :func:`conformer_rnnt_biasing`.

    Args:
        transcriber, predictor, joiner: as :class:`torchsound.models.RNNT` (the joiner a ``_JoinerBiasing``).
        attndim (int): TCPGen attention dimension.
        biasing (bool): use TCPGen (or deep biasing); otherwise a plain RNN-T with the same outputs' layout.
        deepbiasing (bool): add the biasing vector inside the joiner.
        embdim (int): dimension of the predictor's symbol embeddings.
        jointdim (int): dimension of the joiner's activations.
        charlist (list of str): the word pieces in output order; must contain ``"<blank>"``.
        encoutdim (int): dimension of the transcriber's encodings.
        dropout_tcpgen (float): TCPGen dropout probability.
        tcpsche (int): first training epoch that uses TCPGen.
        DBaverage (bool): with ``deepbiasing``, bias with a projection of the valid-piece mask (DB-RNNT) instead
            of TCPGen.

    Shape:
        ``forward(sources, source_lengths, targets, target_lengths, tries, current_epoch, predictor_state)``:
        sources ``(B, T, D)``, targets ``(B, U)`` (starting with the blank) -> logits ``(B, T', U, num_symbols)``,
        source lengths ``(B,)``, target lengths ``(B,)``, predictor state, TCPGen distribution
        ``(B, T', U, nchars + 1)`` and ``p_gen`` ``(B, T', U, 1)`` (``None`` without TCPGen), with
        ``T' = T // time_reduction_stride``.
    """

    def __init__(
        self,
        transcriber: _Transcriber,
        predictor: _Predictor,
        joiner: _JoinerBiasing,
        attndim: int,
        biasing: bool,
        deepbiasing: bool,
        embdim: int,
        jointdim: int,
        charlist: List[str],
        encoutdim: int,
        dropout_tcpgen: float,
        tcpsche: int,
        DBaverage: bool,
    ) -> None:
        super().__init__(transcriber, predictor, joiner)
        self.char_list = list(charlist or [])
        if "<blank>" not in self.char_list:
            raise ValueError(
                f"RNNTBiasing: charlist must list the word pieces in output order, including '<blank>'; got "
                f"{len(self.char_list)} pieces without '<blank>'"
            )
        self.attndim = attndim
        self.deepbiasing = deepbiasing
        self.jointdim = jointdim
        self.embdim = embdim
        self.encoutdim = encoutdim
        self.blank_idx = self.char_list.index("<blank>")
        self.nchars = len(self.char_list)
        self.DBaverage = DBaverage
        self.biasing = biasing
        if biasing:
            if deepbiasing and DBaverage:
                self.biasingemb = nn.Linear(self.nchars, attndim, bias=False)
            else:
                self.ooKBemb = nn.Embedding(1, embdim)
                self.Qproj_char = nn.Linear(embdim, attndim)
                self.Qproj_acoustic = nn.Linear(encoutdim, attndim)
                self.Kproj = nn.Linear(embdim, attndim)
                self.pointer_gate = nn.Linear(attndim + jointdim, 1)
        self.dropout_tcpgen = nn.Dropout(dropout_tcpgen)
        self.tcpsche = tcpsche

    def _uses_db_average(self) -> bool:
        return self.deepbiasing and self.DBaverage

    def _unused_parameters_zero(self, like: Tensor) -> Tensor:
        """Zero computed from every biasing parameter: they get zero gradients when TCPGen is off."""
        if self._uses_db_average():
            total = self.biasingemb(like.new_zeros(1, self.nchars)).mean()
        else:
            total = (
                self.Qproj_char(like.new_zeros(1, self.embdim)).mean()
                + self.Qproj_acoustic(like.new_zeros(1, like.shape[-1])).mean()
                + self.Kproj(like.new_zeros(1, self.embdim)).mean()
                + self.pointer_gate(like.new_zeros(1, self.attndim + self.jointdim)).mean()
                + self.ooKBemb.weight.mean()
            )
        return total * 0

    def forward(
        self,
        sources: Tensor,
        source_lengths: Tensor,
        targets: Tensor,
        target_lengths: Tensor,
        tries: TrieNode,
        current_epoch: int,
        predictor_state: Optional[List[List[Tensor]]] = None,
    ) -> Tuple[Tensor, Tensor, Tensor, List[List[Tensor]], Optional[Tensor], Optional[Tensor]]:
        """Training pass: transcribe, predict, TCPGen over the trie ``tries`` (from epoch ``tcpsche`` on), join.

        Returns:
            ``(logits (B, T', U, num_symbols), source_lengths, target_lengths, predictor_state, tcpgen_dist,
            p_gen)``: ``tcpgen_dist`` ``(B, T', U, nchars + 1)`` (the last entry: out of the list) and ``p_gen``
            ``(B, T', U, 1)`` (zero where the pieces so far left the trie), both ``None`` without TCPGen.
        """
        source_encodings, source_lengths = self.transcriber(input=sources, lengths=source_lengths)
        target_encodings, target_lengths, predictor_state = self.predictor(
            input=targets, lengths=target_lengths, state=predictor_state
        )
        hptr: Optional[Tensor] = None
        tcpgen_dist: Optional[Tensor] = None
        p_gen: Optional[Tensor] = None
        p_gen_mask: Optional[Tensor] = None
        if self.biasing and current_epoch >= self.tcpsche and tries is not None and len(tries) > 0:
            ptrdist_mask, p_gen_mask = self.get_tcpgen_step_masks(targets, tries)
            hptr, tcpgen_dist = self.forward_tcpgen(targets, ptrdist_mask, source_encodings)
            hptr = self.dropout_tcpgen(hptr)
        elif self.biasing:
            source_encodings = source_encodings + self._unused_parameters_zero(source_encodings)

        output, source_lengths, target_lengths, joiner_activation = self.joiner(
            source_encodings=source_encodings,
            source_lengths=source_lengths,
            target_encodings=target_encodings,
            target_lengths=target_lengths,
            hptr=hptr,
        )
        if self.biasing and hptr is not None and tcpgen_dist is not None and p_gen_mask is not None:
            p_gen = torch.sigmoid(self.pointer_gate(torch.cat([joiner_activation, hptr], dim=-1)))
            p_gen = p_gen.masked_fill(p_gen_mask.bool()[:, None, :, None], 0)
        return output, source_lengths, target_lengths, predictor_state, tcpgen_dist, p_gen

    def get_tcpgen_distribution(self, query: Tensor, ptrdist_mask: Tensor) -> Tuple[Tensor, Tensor]:
        """TCPGen attention of ``query`` ``(B, T, U, attndim)`` over the pieces the mask ``(B, U, nchars + 1)``
        leaves (zeros) and the out-of-list entry. Returns ``hptr`` ``(B, T, U, attndim)`` and the distribution
        ``(B, T, U, nchars + 1)``."""
        # Keys and values: the predictor's embeddings (not trained through this path) and the out-of-list one.
        pieces = torch.cat([self.predictor.embedding.weight.detach(), self.ooKBemb.weight], dim=0)
        keys = self.dropout_tcpgen(self.Kproj(pieces))
        scores = torch.matmul(query, keys.t()) / math.sqrt(query.shape[-1])
        scores = scores.masked_fill(ptrdist_mask.bool().unsqueeze(1), -1e9)
        dist = torch.softmax(scores, dim=-1)
        hptr = torch.matmul(dist[..., :-1], keys[:-1])
        return hptr, dist

    def forward_tcpgen(
        self, targets: Tensor, ptrdist_mask: Tensor, source_encodings: Tensor
    ) -> Tuple[Tensor, Optional[Tensor]]:
        """Biasing vector ``hptr`` and TCPGen distribution (``None`` with DB-RNNT) for tokens ``(B, U)``, masks
        ``(B, U, nchars + 1)`` and encodings ``(B, T, encoutdim)``."""
        if self._uses_db_average():
            valid = 1 - ptrdist_mask[:, :, :-1].to(self.biasingemb.weight.dtype)
            return self.biasingemb(valid).unsqueeze(1), None
        query_char = self.Qproj_char(self.predictor.embedding(targets)).unsqueeze(1)  # (B, 1, U, A)
        query_acoustic = self.Qproj_acoustic(source_encodings).unsqueeze(2)  # (B, T, 1, A)
        return self.get_tcpgen_distribution(query_char + query_acoustic, ptrdist_mask)

    def _leaves_trie(self, token: int, node) -> bool:
        """A piece inside a word that the current node does not continue: TCPGen cannot point to it."""
        return token != self.blank_idx and not self.char_list[token].endswith(_WORD_END) and token not in node[0]

    def get_tcpgen_step(self, vy: int, trie, resettrie):
        """The trie node after piece ``vy`` from node ``trie`` (``resettrie``: the root).

        Blank: back to the root. A word-closing piece: its child if the node continues it into a longer word,
        else the root. Another piece: its child, or a dead end (no children) when the node has none for it.
        """
        children = trie[0]
        if vy == self.blank_idx:
            return resettrie
        if self.char_list[vy].endswith(_WORD_END):
            if vy in children and children[vy][0] != {}:
                return children[vy]
            return resettrie
        if vy not in children:
            return [{}]
        return children[vy]

    def get_tcpgen_step_masks(self, yseqs: Tensor, resettrie) -> Tuple[Tensor, Tensor]:
        """Per position of the token sequences ``(B, U)``: the pieces TCPGen may point to next (``0`` in a mask
        ``(B, U, nchars + 1)`` of ``yseqs``' dtype; the out-of-list entry stays masked) and whether the sequence
        has left the trie there (``p_gen`` mask ``(B, U)``, uint8)."""
        batch, length = yseqs.shape[0], yseqs.shape[1]
        masks = yseqs.new_ones(batch, length, self.nchars + 1)
        off_trie = torch.zeros(batch, length, dtype=torch.uint8)
        for i, sequence in enumerate(yseqs.tolist()):
            node = resettrie
            for j, token in enumerate(sequence):
                off_trie[i, j] = int(self._leaves_trie(token, node))
                node = self.get_tcpgen_step(token, node, resettrie)
                masks[i, j, list(node[0].keys())] = 0
        return masks, off_trie.to(yseqs.device)

    def get_tcpgen_step_masks_prefix(self, yseqs: Tensor, resettrie) -> Tuple[Tensor, Tensor]:
        """:meth:`get_tcpgen_step_masks` for prefix-marked pieces (a piece starting with ``"▁"`` opens a word);
        after a complete word the root's pieces are allowed too. The ``p_gen`` mask is all zeros."""
        batch, length = yseqs.shape[0], yseqs.shape[1]
        masks = yseqs.new_ones(batch, length, self.nchars + 1)
        root_pieces = list(resettrie[0].keys())
        for i, sequence in enumerate(yseqs.tolist()):
            node = resettrie
            for j, token in enumerate(sequence):
                # A word start looks its piece up at the root; other pieces continue the current node.
                parent = resettrie if self.char_list[token].startswith(_WORD_END) else node
                if token == self.blank_idx or token not in parent[0]:
                    node = resettrie
                    masks[i, j, root_pieces] = 0
                else:
                    node = parent[0][token]
                    masks[i, j, list(node[0].keys())] = 0
                    if node[1] != -1:
                        masks[i, j, root_pieces] = 0
        return masks, torch.zeros(batch, length, dtype=torch.uint8, device=yseqs.device)

    def join(
        self,
        source_encodings: Tensor,
        source_lengths: Tensor,
        target_encodings: Tensor,
        target_lengths: Tensor,
        hptr: Optional[Tensor] = None,
    ) -> Tuple[Tensor, Tensor, Tensor]:
        """Joint network with the biasing vector ``hptr`` ``(B, T, U, attndim)`` (deep biasing).

        Returns:
            ``(logits (B, T, U, num_symbols), source_lengths, activations (B, T, U, D))``.
        """
        output, source_lengths, _, activation_out = self.joiner(
            source_encodings=source_encodings,
            source_lengths=source_lengths,
            target_encodings=target_encodings,
            target_lengths=target_lengths,
            hptr=hptr,
        )
        return output, source_lengths, activation_out


def _transcriber_and_predictor(
    *,
    input_dim: int,
    encoding_dim: int,
    time_reduction_stride: int,
    conformer_input_dim: int,
    conformer_ffn_dim: int,
    conformer_num_layers: int,
    conformer_num_heads: int,
    conformer_depthwise_conv_kernel_size: int,
    conformer_dropout: float,
    num_symbols: int,
    symbol_embedding_dim: int,
    num_lstm_layers: int,
    lstm_hidden_dim: int,
    lstm_layer_norm: int,
    lstm_layer_norm_epsilon: int,
    lstm_dropout: int,
    **_joiner_and_biasing_args,
) -> Tuple[_ConformerEncoder, _Predictor]:
    """The Conformer transcriber and the LSTM predictor of both factories, from their keyword arguments (the
    others are ignored). Built before the joiner, as torchaudio, so a seeded build draws the same weights."""
    encoder = _ConformerEncoder(
        input_dim=input_dim,
        output_dim=encoding_dim,
        time_reduction_stride=time_reduction_stride,
        conformer_input_dim=conformer_input_dim,
        conformer_ffn_dim=conformer_ffn_dim,
        conformer_num_layers=conformer_num_layers,
        conformer_num_heads=conformer_num_heads,
        conformer_depthwise_conv_kernel_size=conformer_depthwise_conv_kernel_size,
        conformer_dropout=conformer_dropout,
    )
    predictor = _Predictor(
        num_symbols=num_symbols,
        output_dim=encoding_dim,
        symbol_embedding_dim=symbol_embedding_dim,
        num_lstm_layers=num_lstm_layers,
        lstm_hidden_dim=lstm_hidden_dim,
        lstm_layer_norm=lstm_layer_norm,
        lstm_layer_norm_epsilon=lstm_layer_norm_epsilon,
        lstm_dropout=lstm_dropout,
    )
    return encoder, predictor


def conformer_rnnt_model(
    *,
    input_dim: int,
    encoding_dim: int,
    time_reduction_stride: int,
    conformer_input_dim: int,
    conformer_ffn_dim: int,
    conformer_num_layers: int,
    conformer_num_heads: int,
    conformer_depthwise_conv_kernel_size: int,
    conformer_dropout: float,
    num_symbols: int,
    symbol_embedding_dim: int,
    num_lstm_layers: int,
    lstm_hidden_dim: int,
    lstm_layer_norm: int,
    lstm_layer_norm_epsilon: int,
    lstm_dropout: int,
    joiner_activation: str,
) -> RNNT:
    """Conformer-based :class:`~torchsound.models.RNNT` (offline: ``transcribe_streaming`` is not supported).

    Args: ``input_dim`` feature size; ``encoding_dim`` the width transcriber and predictor project to;
    ``time_reduction_stride`` frames stacked into one before the Conformer; ``conformer_*`` the Conformer's
    width, feed-forward size, layers, heads, depthwise kernel size and dropout; ``num_symbols`` output tokens;
    ``symbol_embedding_dim``, ``num_lstm_layers``, ``lstm_hidden_dim``, ``lstm_layer_norm(_epsilon)``,
    ``lstm_dropout`` the predictor; ``joiner_activation`` ``"relu"`` or ``"tanh"``.

    Shape: ``transcribe``: ``(B, T, input_dim)`` -> ``(B, T // time_reduction_stride, encoding_dim)``.
    """
    # locals() here holds exactly the factory's arguments.
    encoder, predictor = _transcriber_and_predictor(**locals())
    return RNNT(encoder, predictor, _Joiner(encoding_dim, num_symbols, activation=joiner_activation))


def conformer_rnnt_base() -> RNNT:
    """Conformer RNN-T: 80 mel inputs, stride 4, 16 Conformer layers of width 256 (4 heads, kernel 31),
    2 LSTM layers of 512 units, encodings of 1024, 1024 symbols, tanh joiner."""
    return conformer_rnnt_model(
        input_dim=80,
        encoding_dim=1024,
        time_reduction_stride=4,
        conformer_input_dim=256,
        conformer_ffn_dim=1024,
        conformer_num_layers=16,
        conformer_num_heads=4,
        conformer_depthwise_conv_kernel_size=31,
        conformer_dropout=0.1,
        num_symbols=1024,
        symbol_embedding_dim=256,
        num_lstm_layers=2,
        lstm_hidden_dim=512,
        lstm_layer_norm=True,
        lstm_layer_norm_epsilon=1e-5,
        lstm_dropout=0.3,
        joiner_activation="tanh",
    )


def conformer_rnnt_biasing(
    *,
    input_dim: int,
    encoding_dim: int,
    time_reduction_stride: int,
    conformer_input_dim: int,
    conformer_ffn_dim: int,
    conformer_num_layers: int,
    conformer_num_heads: int,
    conformer_depthwise_conv_kernel_size: int,
    conformer_dropout: float,
    num_symbols: int,
    symbol_embedding_dim: int,
    num_lstm_layers: int,
    lstm_hidden_dim: int,
    lstm_layer_norm: int,
    lstm_layer_norm_epsilon: int,
    lstm_dropout: int,
    joiner_activation: str,
    attndim: int,
    biasing: bool,
    charlist: List[str],
    deepbiasing: bool,
    tcpsche: int,
    DBaverage: bool,
) -> RNNTBiasing:
    """Conformer RNN-T with TCPGen biasing (:class:`RNNTBiasing`).

    Args: those of :func:`conformer_rnnt_model`, plus ``attndim`` (TCPGen attention dimension), ``biasing``,
    ``charlist`` (the ``num_symbols`` word pieces in output order, with ``"<blank>"``), ``deepbiasing``,
    ``tcpsche`` (first epoch using TCPGen) and ``DBaverage`` (DB-RNNT instead of TCPGen). TCPGen's dropout is
    ``conformer_dropout``.

    Shape: see :class:`RNNTBiasing`.
    """
    # locals() here holds exactly the factory's arguments.
    encoder, predictor = _transcriber_and_predictor(**locals())
    joiner = _JoinerBiasing(
        encoding_dim,
        num_symbols,
        activation=joiner_activation,
        deepbiasing=deepbiasing,
        attndim=attndim,
        biasing=biasing,
    )
    return RNNTBiasing(
        encoder,
        predictor,
        joiner,
        attndim,
        biasing,
        deepbiasing,
        symbol_embedding_dim,
        encoding_dim,
        charlist,
        encoding_dim,
        conformer_dropout,
        tcpsche,
        DBaverage,
    )


def conformer_rnnt_biasing_base(charlist: Optional[List[str]] = None, biasing: bool = True) -> RNNTBiasing:
    """Conformer RNN-T with TCPGen (torchaudio's LibriSpeech biasing recipe): 80 mel inputs, stride 4, 16 Conformer
    layers of width 144, one LSTM layer of 320 units, encodings of 576, 601 word pieces, attention dimension 256,
    deep biasing, TCPGen from epoch 30. Shape: see :class:`RNNTBiasing`.

    Args:
        charlist (list of str): the 601 word pieces in output order, with ``"<blank>"``.
        biasing (bool, optional): use TCPGen. (Default: ``True``)
    """
    return conformer_rnnt_biasing(
        input_dim=80,
        encoding_dim=576,
        time_reduction_stride=4,
        conformer_input_dim=144,
        conformer_ffn_dim=576,
        conformer_num_layers=16,
        conformer_num_heads=4,
        conformer_depthwise_conv_kernel_size=31,
        conformer_dropout=0.1,
        num_symbols=601,
        symbol_embedding_dim=256,
        num_lstm_layers=1,
        lstm_hidden_dim=320,
        lstm_layer_norm=True,
        lstm_layer_norm_epsilon=1e-5,
        lstm_dropout=0.3,
        joiner_activation="tanh",
        attndim=256,
        biasing=biasing,
        charlist=charlist,
        deepbiasing=True,
        tcpsche=30,
        DBaverage=False,
    )
