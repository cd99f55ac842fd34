"""torchaudio 2.8's own pure-Python code as a test oracle.

``make`` unpacks the torchaudio 2.8.0 wheel into ``.venv/oracles/torchaudio28`` without its compiled
libraries (tools/install_oracle.sh), outside site-packages so nothing picks it up by accident. Tests that
compare against torchaudio's definitions call :func:`torchaudio28` (or use the ``torchaudio28`` fixture).
The import happens in the test process: tests that install the torchsound alias for ``torchaudio`` must do
so in a subprocess.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

ORACLE_DIR = Path(os.environ.get("TORCHSOUND_ORACLE", Path(sys.prefix) / "oracles" / "torchaudio28"))


def torchaudio28():
    """The oracle's ``torchaudio`` module (2.8.0, Python fallbacks only)."""
    if not (ORACLE_DIR / "torchaudio" / "__init__.py").is_file():
        raise RuntimeError(f"torchaudio 2.8 oracle missing at {ORACLE_DIR}: run `make venv` (tools/install_oracle.sh)")
    if str(ORACLE_DIR) not in sys.path:
        sys.path.insert(0, str(ORACLE_DIR))
    module = importlib.import_module("torchaudio")
    assert module.__version__.startswith("2.8"), f"expected torchaudio 2.8 oracle, imported {module.__file__}"
    return module
