"""Subcommands of the ``torchsound`` CLI, one module each (see ``torchsound.cli``)."""
