# CPU smoke run with randomly initialised tiny models of the real classes: STDiT3-tiny, the tiny
# VAE and a random tiny T5 (tiny:t5, written on first use; opensora/tiny/__init__.py).
_base_ = ["./opensora_v1_2.py"]
backbone = dict(
    model="STDiT3-tiny",
    model_path=None,
    vae="OpenSoraVAE_V1_2-tiny",
    vae_path=None,
    text_encoder_path="tiny:t5",
    text_max_length=16,
    height=64,
    width=64,
    num_frames=8,
    allow_random_weights=True,
)
inference = dict(batch_size=2, output_size=64)
scheduler = dict(num_sampling_steps=3, use_timestep_transform=False)
