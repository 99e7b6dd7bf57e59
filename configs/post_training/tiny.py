# PSFT smoke run on CPU in about a minute: randomly initialised STDiT3-tiny in pixel space
# (PixelSpace: no VAE weights needed), a random tiny T5 (tiny:t5, written on first use), 32x32, 16 frames of the
# small simulated set (python -m sim_data.parallel configs/sim/small.py), validation with the
# weight-free template tracker.
_base_ = ["./base.py", "../_base_/tiny_models.py"]
train = dict(experiment="psft-tiny", batch_size=4, max_steps=20, log_every=5, ckpt_every=10, num_workers=0)
model = {{_base_._tiny_model}}
data = dict(
    manifest="{{$PISA_DATA_ROOT:./data}}/sim/small/psft.csv",
    limit=None,
    num_frames=16,
    resolution=32,
    latent_cache_dir=None,
)
scheduler = dict(use_timestep_transform=False, num_sampling_steps=10, cfg_scale=1.0)  # see tiny_models.py
validation = dict(
    manifest="{{$PISA_DATA_ROOT:./data}}/sim/small/val.csv",
    limit=4,
    every=0,
    num_sampling_steps=10,
    cfg_scale=1.0,
    segmenter="template",
)
