"""The ``torchsound`` command (also ``python -m torchsound``).

Each subcommand lives in ``torchsound._commands.<name>`` and exposes ``register(subparsers)``;
modules there import heavy dependencies inside their handlers, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

# Order shown in --help.
_COMMANDS = ["io", "features", "effects", "datasets", "demo", "alias"]


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
    return int(args.handler(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
