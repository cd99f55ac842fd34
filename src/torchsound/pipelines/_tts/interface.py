"""The abstract interface of the Tacotron2 text-to-speech bundles (torchaudio 2.8's ``Tacotron2TTSBundle``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import List, Optional, Tuple, Union

from torch import Tensor

from ...models import Tacotron2


class _TextProcessor(ABC):
    @property
    @abstractmethod
    def tokens(self):
        """The symbol each index of the encoded tensor stands for.

        :type: List[str]
        """

    @abstractmethod
    def __call__(self, texts: Union[str, List[str]]) -> Tuple[Tensor, Tensor]:
        """Encode a text or a batch of texts as symbol indices.

        Args:
            texts (str or list of str): the input texts.

        Returns:
            (Tensor, Tensor): the indices, padded with ``0``, and the number of valid indices of each text.

        Shape:
            - output: ``(batch, max_length)`` and ``(batch,)``, ``torch.int64`` / ``torch.int32``.
        """


class _Vocoder(ABC):
    @property
    @abstractmethod
    def sample_rate(self):
        """Sample rate of the generated waveform.

        :type: float
        """

    @abstractmethod
    def __call__(self, specgrams: Tensor, lengths: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
        """Turn spectrograms into waveforms.

        Args:
            specgrams (Tensor): the spectrograms Tacotron2 generated.
            lengths (Tensor or None, optional): valid frames of each spectrogram. (Default: ``None``)

        Returns:
            (Tensor, Optional[Tensor]): the waveforms and their valid lengths in samples (``None`` when unknown).

        Shape:
            - specgrams: ``(batch, n_mels, n_frames)``; lengths: ``(batch,)``.
            - output: ``(batch, n_samples)`` and ``(batch,)``.
        """


class Tacotron2TTSBundle(ABC):
    """A pretrained text-to-speech pipeline: text processor, Tacotron2 and a vocoder.

    Use the instances in :mod:`torchsound.pipelines` (``TACOTRON2_WAVERNN_CHAR_LJSPEECH`` ...); each method
    builds one stage. Weights come from torchaudio's cache layout (``$TORCH_HOME/hub/checkpoints``) or are
    downloaded there; without them and without network the call fails fast with an error naming the file,
    its URL and where to put it.

    Example
        >>> bundle = torchsound.pipelines.TACOTRON2_WAVERNN_CHAR_LJSPEECH
        >>> processor = bundle.get_text_processor()
        >>> tacotron2 = bundle.get_tacotron2()
        >>> vocoder = bundle.get_vocoder()
        >>> tokens, lengths = processor("Hello world!")
        >>> specgram, lengths, _ = tacotron2.infer(tokens, lengths)
        >>> waveforms, lengths = vocoder(specgram, lengths)
    """

    # Nested so that they are specific to this pipeline and not exported from torchsound.pipelines.
    class TextProcessor(_TextProcessor):
        """Interface of the text processing stage; see :meth:`Tacotron2TTSBundle.get_text_processor`."""

    class Vocoder(_Vocoder):
        """Interface of the vocoder stage; see :meth:`Tacotron2TTSBundle.get_vocoder`."""

    @abstractmethod
    def get_text_processor(self, *, dl_kwargs=None) -> TextProcessor:
        """Build the text processor: characters, or phonemes through DeepPhonemizer.

        Args:
            dl_kwargs (dict, optional): download options; ``progress`` (bool) is honoured.

        Returns:
            TextProcessor: callable on a text or a list of texts, returning indices and lengths; its ``tokens``
            property maps indices back to symbols.
        """

    @abstractmethod
    def get_vocoder(self, *, dl_kwargs=None) -> Vocoder:
        """Build the vocoder (WaveRNN with pretrained weights, or Griffin-Lim).

        Args:
            dl_kwargs (dict, optional): download options; ``progress`` (bool) is honoured.

        Returns:
            Vocoder: a module taking spectrograms and optional lengths, returning waveforms and lengths.
        """

    @abstractmethod
    def get_tacotron2(self, *, dl_kwargs=None) -> Tacotron2:
        """Build Tacotron2 with the pretrained weights, in eval mode.

        Args:
            dl_kwargs (dict, optional): download options; ``progress`` (bool) is honoured.

        Returns:
            Tacotron2: the model.
        """
