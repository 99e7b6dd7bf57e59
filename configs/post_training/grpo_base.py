# GRPO with verifiable rewards (python -m opensora.train.grpo; Flow-GRPO arXiv 2505.05470, DanceGRPO
# 2505.07818, PhysRVG 2601.11087) for Open-Sora v1.2 from the PSFT weights: LoRA rank 32 (the KL reference
# is the network with its adapters off), lr 1e-4, 16 sampling steps with the SDE on the first 4 (where the
# motion is decided; Flow-GRPO-Fast / MixGRPO window), groups of 8 sharing their initial noise, KL 0.01,
# reward = the benchmark's metrics of SAM 2.1's masks (seeded with the ground truth's frame-0 masks)
# against the simulator's: 10 x L2 + IoU + accel_log_error. The per-backbone configs change the model,
# data and guidance only. Not run at this size here (no GPU): a starting point, not tuned settings.
_base_ = ["./base.py", "../_base_/verifiable.py"]
train = dict(experiment="grpo", batch_size=1, lr=1e-4, epochs=1000, ckpt_every=100, log_every=1, num_workers=2)
model = dict(
    # our PSFT export (outputs/post_training/NNN-psft/export/ema) or PISA's released PSFT checkpoint
    model_path="{{$PISA_CKPT_ROOT:./models}}/pisa/checkpoints/base",
    lora_rank=32,
    lora_alpha=32.0,
)
data = dict(manifest="{{$PISA_DATA_ROOT:./data}}/sim/psft/oro.csv", limit=1000, latent_cache_dir=None)
scheduler = dict(num_sampling_steps=16, cfg_scale=4.0, use_timestep_transform=True, sample_method="logit-normal")
validation = dict(every=100)
grpo = dict(
    group_size=8,
    noise_level=0.7,
    sde_steps=[0, 1, 2, 3],
    same_initial_noise=True,
    clip_range=1e-4,
    adv_clip=5.0,
    kl_coef=0.01,
    timestep_fraction=1.0,
)
verifiable = dict(
    metrics=dict(_delete_=True, l2=10.0, iou=1.0, accel_log_error=1.0),
    segmenter="{{$PISA_CKPT_ROOT:./models}}/sam2.1-hiera-large",
)
