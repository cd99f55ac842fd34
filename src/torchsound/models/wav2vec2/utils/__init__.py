"""Import wav2vec2-family models from other libraries (torchaudio 2.8's ``models.wav2vec2.utils``)."""

from ...._internal.lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__, {"import_huggingface_model": ".import_huggingface", "import_fairseq_model": ".import_fairseq"}
)
