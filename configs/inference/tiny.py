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
# Physics-IQ on CPU: 8 fps (the synthetic trees' rate), 40 frames = 5 s; v2v: one 17-frame VAE chunk, then 40
physics_iq_generation = dict(height=48, width=80, num_frames=40, fps=8, v2v=dict(context_frames=17, num_frames=57))
