"""Steps of ``torchsound demo``, one module per area (see ``torchsound._commands.demo``)."""
