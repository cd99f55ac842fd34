"""Run Python code in a fresh interpreter: the alias must never reach the pytest process, which imports the oracle."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Optional


def run_python(code: str, *, python: str = sys.executable, extra_path: Optional[str] = None, cwd=None,
               check: bool = True, timeout: float = 300, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run ``code`` (dedented) with ``python``; ``extra_path`` goes on PYTHONPATH. Raises with its stderr on failure."""
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environ.update(env or {})
    if extra_path:
        environ["PYTHONPATH"] = str(extra_path)
    proc = subprocess.run([python, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=cwd,
                          env=environ, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"subprocess failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc
