# CPU smoke run with randomly initialised tiny models of the real classes: STDiT3-tiny, the tiny
# VAE and a random tiny T5 (tiny:t5, written on first use; opensora/models/tiny.py).
_base_ = ["./sample.py"]
inference = dict(
    model="STDiT3-tiny",
    model_path=None,
    vae="OpenSoraVAE_V1_2-tiny",
    vae_path=None,
    text_encoder_path="tiny:t5",
    text_max_length=16,
    num_frames=8,
    resolution=64,
    batch_size=2,
    allow_random_weights=True,
)
scheduler = dict(num_sampling_steps=3, use_timestep_transform=False)
