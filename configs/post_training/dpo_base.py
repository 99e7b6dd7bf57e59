# Ground-truth-anchored Diffusion-DPO (python -m opensora.train.dpo; Diffusion-DPO arXiv 2311.12908, Reg-DPO
# 2511.01450) for Open-Sora v1.2 from the PSFT weights: LoRA rank 32 (the reference is the network with its
# adapters off), lr 1e-4, the simulated clip preferred over the model's own 30-step sample, β = 500 on the
# training loss, Reg-DPO's SFT term (weight 1). dpo.pairs=reward_ranked ranks dpo.candidates samples by the
# verifiable reward instead (SAM 2.1 masks, as grpo_base.py). Not run at this size here (no GPU).
_base_ = ["./base.py", "../_base_/verifiable.py"]
train = dict(experiment="dpo", batch_size=1, lr=1e-4, epochs=1000, ckpt_every=200, log_every=10, num_workers=2)
model = dict(model_path="{{$PISA_CKPT_ROOT:./models}}/pisa/checkpoints/base", lora_rank=32, lora_alpha=32.0)
data = dict(manifest="{{$PISA_DATA_ROOT:./data}}/sim/psft/psft.csv", latent_cache_dir=None)
scheduler = dict(num_sampling_steps=30, cfg_scale=7.0)
validation = dict(every=200)
dpo = dict(beta=500.0, sft_weight=1.0, pairs="gt_vs_sample", candidates=4)
verifiable = dict(
    metrics=dict(_delete_=True, l2=10.0, iou=1.0, accel_log_error=1.0),
    segmenter="{{$PISA_CKPT_ROOT:./models}}/sam2.1-hiera-large",
)
