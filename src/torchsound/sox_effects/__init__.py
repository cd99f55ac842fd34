"""sox effect chains in pure PyTorch: ``apply_effects_tensor`` and ``apply_effects_file``."""

from .._internal.lazy import attach

_C = "._chain"
__getattr__, __dir__, __all__ = attach(
    __name__,
    dict.fromkeys(
        ["apply_effects_tensor", "apply_effects_file", "effect_names", "init_sox_effects", "shutdown_sox_effects"], _C),
)
