"""Open-Sora v1.2 video VAE."""
