"""Audio input and output: load/save/info, streaming, and in-memory effects.

Backends (one module each): ``_wav`` (native, memory-mapped), ``_soundfile`` (libsndfile),
``_ffmpeg`` (PyAV, extra ``ffmpeg``).
"""

from .._internal.lazy import attach

_D, _S = "._dispatch", "._stream"
__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "load": _D, "save": _D, "info": _D, "AudioMetaData": _D,
        "list_audio_backends": _D, "get_audio_backend": _D, "set_audio_backend": _D,
        "StreamReader": _S, "StreamWriter": _S, "CodecConfig": _S,
        "AudioEffector": "._effector",
        "play_audio": "._playback",
        # torchsound's own: the error every damaged or unreadable file raises (an OSError and a RuntimeError)
        "AudioFileError": "._source",
    },
)
