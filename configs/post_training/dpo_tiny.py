# Ground-truth-anchored Diffusion-DPO smoke run on CPU (python -m opensora.train.dpo): the tiny PSFT
# setting (STDiT3-tiny in pixel space, 32x32, 16 frames of the small simulated set) with LoRA (the
# reference is the network with its adapters off), rejected clips sampled in 3 steps; with
# dpo.pairs=reward_ranked, dpo.candidates samples per clip ranked by the verifiable reward.
_base_ = ["./tiny.py", "../_base_/verifiable.py"]
train = dict(experiment="dpo-tiny", batch_size=1, max_steps=4, log_every=1, ckpt_every=2, lr=1e-4)
model = dict(lora_rank=4, lora_alpha=4.0)
scheduler = dict(num_sampling_steps=3, cfg_scale=1.0)
validation = dict(manifest=None)
dpo = dict(beta=500.0, sft_weight=0.0, pairs="gt_vs_sample", candidates=4)
