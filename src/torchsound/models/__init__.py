"""Model architectures (not yet implemented in torchsound; see the README's compatibility table)."""
