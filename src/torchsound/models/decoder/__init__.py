"""CTC beam search decoders with torchaudio 2.8's ``torchaudio.models.decoder`` API.

``ctc_decoder`` runs flashlight-text's decoders when installed (``pip install 'torchsound[decoder]'``: lexicon,
KenLM) and a PyTorch beam search otherwise (lexicon-free, optional custom LM). ``cuda_ctc_decoder`` is a
PyTorch CTC prefix beam search that runs on any device (torchaudio's needs a CUDA build).
"""

from ..._internal.lazy import attach

_NAMES = {
    "CTCHypothesis": "._ctc_decoder",
    "CTCDecoder": "._ctc_decoder",
    "CTCDecoderLM": "._ctc_decoder",
    "CTCDecoderLMState": "._ctc_decoder",
    "ctc_decoder": "._ctc_decoder",
    "download_pretrained_files": "._ctc_decoder",
    "CUCTCDecoder": "._cuda_ctc_decoder",
    "CUCTCHypothesis": "._cuda_ctc_decoder",
    "cuda_ctc_decoder": "._cuda_ctc_decoder",
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
