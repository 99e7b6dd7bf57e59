# PSFT as in PISA (configs/post_training/base.py of the release; arXiv 2503.09595, PSFT):
# STDiT3-XL/2 from Open-Sora v1.2, 256², 32 frames at 16 fps, 500 clips of psft.csv, batch 64 per
# process (the paper: 2 GPUs), AdamW lr 1e-4 eps 1e-15, no weight decay, clip 1.0, EMA 0.99,
# image_head conditioning, logit-normal timesteps + timestep transform, bf16 on GPU, FSDP2.
# Validation samples as inference does (configs/_base_/opensora_v1_2.py: 30 steps, CFG 7.0).
_base_ = ["../_base_/opensora_v1_2.py"]
train = dict(
    outputs="{{$PISA_OUT_ROOT:./outputs}}/post_training",
    experiment="psft",
    run_dir=None,
    resume=None,
    seed=42,
    epochs=3000,
    max_steps=None,
    batch_size=64,
    lr=1e-4,
    weight_decay=0.0,
    adam_eps=1e-15,
    warmup_steps=0,
    grad_clip=1.0,
    ema_decay=0.99,
    precision="auto",
    parallel="fsdp",
    grad_checkpoint=True,
    log_every=10,
    ckpt_every=500,
    keep_checkpoints=3,
    num_workers=4,
    device="auto",
    wandb_project=None,
    wandb_entity=None,
    wandb_mode="online",
)
model = dict(
    backbone="opensora_v1_2",
    model={{_base_._stdit3}},
    model_path={{_base_._stdit3_path}},
    model_weights="model",
    model_overrides=dict(),
    vae={{_base_._vae}},
    vae_path={{_base_._vae_path}},
    text_encoder_path={{_base_._t5_path}},
    text_max_length={{_base_._t5_max_length}},
    text_cache_dir="{{$PISA_OUT_ROOT:./outputs}}/cache/text",
    canvas=None,  # [height, width]; None = data.resolution square
    lora_rank=0,  # > 0: LoRA adapters on the attention projections instead of full fine-tuning
    lora_alpha=8.0,
    lora_dropout=0.0,
    lora_init=True,
    lora_targets=None,  # None = the backbone's attention projections
    allow_random_weights=False,
)
data = dict(
    manifest="{{$PISA_DATA_ROOT:./data}}/sim/psft/psft.csv",
    split=None,
    limit=500,
    num_frames={{_base_._num_frames}},
    resolution={{_base_._resolution}},
    fps={{_base_._fps}},
    latent_cache_dir="{{$PISA_OUT_ROOT:./outputs}}/cache/latents",
    mask_ratios=dict(image_head=1.0),
)
scheduler = dict(sample_method="logit-normal")  # training timesteps; sampling as the base
validation = dict(
    manifest="{{$PISA_DATA_ROOT:./data}}/sim/psft/val.csv",
    split=None,
    limit=9,
    every=150,
    at_start=True,
    weights="ema",
    num_sampling_steps={{_base_.scheduler.num_sampling_steps}},
    cfg_scale={{_base_.scheduler.cfg_scale}},
    batch_size=4,
    seed=1024,
    segmenter="sam2",
    sam2_path="facebook/sam2.1-hiera-large",
    sam2_image_size=256,
    template_search_radius=None,
    object_selection="last",
    bootstrap_samples=200,
)
