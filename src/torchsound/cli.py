"""The ``torchsound`` command (also ``python -m torchsound``).

Each subcommand lives in ``torchsound._commands.<name>`` and exposes ``register(subparsers)``;
modules there import heavy dependencies inside their handlers, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import List, Optional

# Order shown in --help.
_COMMANDS = ["io", "features", "effects", "datasets", "demo", "alias", "pipelines"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="torchsound", description="Audio I/O, features and effects for PyTorch.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"torchsound._commands.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"torchsound._commands.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        code = int(args.handler(args) or 0)
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
        return code
    except BrokenPipeError:
        # The reader went away (`torchsound datasets list | head`): stop quietly, as other tools do.
        # stdout is pointed at devnull so that the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command killed by a broken pipe


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
