"""STDiT3 diffusion transformer."""
