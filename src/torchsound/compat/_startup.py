"""Run at interpreter start by the ``torchsound-alias.pth`` hook (``torchsound alias install``).

Installs the ``torchaudio`` alias for the process unless ``TORCHSOUND_NO_ALIAS`` is set, or a real torchaudio
is installed: then it says so on stderr and leaves ``torchaudio`` alone. Only the standard library is imported.
"""

import os
import sys

from ._alias import AliasConflictError, install

if os.environ.get("TORCHSOUND_NO_ALIAS", "") in ("", "0"):
    try:
        install()
    except AliasConflictError as err:
        sys.stderr.write(f"torchsound alias hook: alias not installed: {err}\n")
