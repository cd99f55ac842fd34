"""Pretrained bundles (not yet implemented in torchsound; see the README's compatibility table)."""
