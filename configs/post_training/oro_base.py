# ORO as in PISA (release: scripts/oro_*.py, configs/post_training/oro_*.py; arXiv 2503.09595, ORO):
# start from the PSFT weights, batch 1, 10 sampling steps with CFG 4, gradients through every step
# and all 32 decoded frames, full fine-tuning, EMA 0.99, clip 1.0. The oro_seg/flow/depth configs
# differ only in the rewards list and the learning rate.
_base_ = ["./base.py"]
train = dict(experiment="oro", batch_size=1, epochs=1000, ckpt_every=500, log_every=10, num_workers=2)
model = dict(
    # PISA's released PSFT checkpoint folder (models/download_opensora.sh; model/ shards) or our PSFT export, e.g.
    # outputs/post_training/000-psft/export/ema
    model_path="{{$PISA_CKPT_ROOT:./models}}/pisa/checkpoints/base",
)
data = dict(manifest="{{$PISA_DATA_ROOT:./data}}/sim/psft/oro.csv", limit=1000, latent_cache_dir=None)
scheduler = dict(num_sampling_steps=10, cfg_scale=4.0, use_timestep_transform=True, sample_method="logit-normal")
validation = dict(every=1000)
oro = dict(
    grad_steps=None,  # None = all sampling steps (PISA); 1 = VADER's truncated backprop
    checkpoint_denoiser=True,
    decode_frames="all",  # or "stride:4", "first:8", [0, 8, 16, 24]
    sample_in_train_mode=True,
)
rewards = []
