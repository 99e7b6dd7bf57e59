# Open-Sora v1.2 as PISA runs it (arXiv 2503.09595; the release's configs/inference/sample.py):
# the weights (hub ids; models/README.md for local copies), 256², 32 frames at 16 fps, and
# image-to-video sampling with 30 rectified-flow steps, CFG 7.0 and the timestep transform.
# Variables starting with "_" are shared values, read by the configs as {{_base_._name}}.
_base_ = ["./scheduler.py"]
_stdit3 = "STDiT3-XL/2"
_stdit3_path = "hpcai-tech/OpenSora-STDiT-v3"
_vae = "OpenSoraVAE_V1_2"
_vae_path = "hpcai-tech/OpenSora-VAE-v1.2"
_t5_path = "DeepFloyd/t5-v1_1-xxl"
_t5_max_length = 300
_num_frames = 32
_resolution = 256
_fps = 16
scheduler = dict(num_sampling_steps=30, cfg_scale=7.0, use_timestep_transform=True)
