"""torchaudio's dataset classes, reading each corpus's real on-disk layout."""

from .._internal.lazy import attach

_NAMES = {
    "LIBRISPEECH": ".librispeech", "LibriSpeechBiasing": ".librispeech_biasing", "LIBRITTS": ".libritts",
    "LibriLightLimited": ".librilight_limited", "LibriMix": ".librimix", "LJSPEECH": ".ljspeech",
    "VCTK_092": ".vctk", "DR_VCTK": ".dr_vctk", "CMUARCTIC": ".cmuarctic", "CMUDict": ".cmudict",
    "YESNO": ".yesno", "SPEECHCOMMANDS": ".speechcommands", "FluentSpeechCommands": ".fluentcommands",
    "Snips": ".snips", "QUESST14": ".quesst14", "COMMONVOICE": ".commonvoice", "TEDLIUM": ".tedlium",
    "VoxCeleb1Identification": ".voxceleb1", "VoxCeleb1Verification": ".voxceleb1", "IEMOCAP": ".iemocap",
    "GTZAN": ".gtzan", "MUSDB_HQ": ".musdb_hq",
    "set_url_override": "._download", "clear_url_overrides": "._download",  # mirrors (torchsound addition)
}
__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
