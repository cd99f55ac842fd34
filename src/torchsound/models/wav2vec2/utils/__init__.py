"""Import wav2vec2-family models from other libraries (torchaudio 2.8's ``models.wav2vec2.utils``)."""

from ...._internal.lazy import attach

# import_fairseq_model is not provided yet: asking for it raises an error that says so.
__getattr__, __dir__, __all__ = attach(__name__, {"import_huggingface_model": ".import_huggingface"})
