"""torchaudio 2.8's deprecated ``torchaudio.backend.common``: ``AudioMetaData``, now ``torchaudio.AudioMetaData``."""


def __getattr__(name: str):
    if name == "AudioMetaData":
        import warnings

        from ...io._dispatch import AudioMetaData

        warnings.warn("torchaudio.backend.common.AudioMetaData has moved to torchaudio.AudioMetaData", stacklevel=2)
        return AudioMetaData
    from .._missing import attribute_error

    raise attribute_error(__name__, name)
