# Tiny random models of the real classes for CPU runs (shared by configs/post_training/tiny.py and
# oro_tiny.py as {{_base_._tiny_model}}): STDiT3-tiny in pixel space (PixelSpace: no VAE weights)
# and a random tiny T5 (tiny:t5, written on first use; opensora/tiny/__init__.py).
_tiny_model = dict(
    model="STDiT3-tiny",
    model_path=None,
    model_overrides=dict(in_channels=3),
    vae="PixelSpace",
    vae_path=None,
    text_encoder_path="tiny:t5",
    text_max_length=16,
    allow_random_weights=True,
)
# Their configs also turn the timestep transform off: it is degenerate below 17 frames (an Open-Sora
# quirk, opensora/schedulers/rf), and tiny clips are shorter.
