"""Private helpers shared by every part of torchsound. Nothing here is public API."""
