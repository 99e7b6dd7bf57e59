# PISA / Open-Sora v1.2 image-to-video sampling (configs/inference/sample.py of the release):
# 256², 32 frames at 16 fps, 30 rectified-flow steps, CFG 7.0, timestep transform, seed 1024.
inference = dict(
    model="STDiT3-XL/2",
    model_path="hpcai-tech/OpenSora-STDiT-v3",
    model_weights="model",
    vae="OpenSoraVAE_V1_2",
    vae_path="hpcai-tech/OpenSora-VAE-v1.2",
    text_encoder_path="DeepFloyd/t5-v1_1-xxl",
    text_max_length=300,
    prompt_file=None,
    benchmark_dir=None,
    output_dir="{{$PISA_OUT_ROOT:./outputs}}/inference",
    num_frames=32,
    resolution=256,
    fps=16,
    seed=1024,
    batch_size=1,
    aes=6.5,
    dtype="auto",
    device="auto",
    allow_random_weights=False,
)
scheduler = dict(
    num_sampling_steps=30,
    num_timesteps=1000,
    cfg_scale=7.0,
    use_discrete_timesteps=False,
    use_timestep_transform=True,
    sample_method="uniform",
    loc=0.0,
    scale=1.0,
    transform_scale=1.0,
)
