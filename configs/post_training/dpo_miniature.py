# Ground-truth-anchored Diffusion-DPO of the miniature experiment (benchmarks/pisa_miniature.py): from the
# PSFT model's export, LoRA rank 16 on every attention / MLP projection (the reference is the network with
# its adapters off), the simulated clip preferred over the model's own 10-step sample from the same first
# frame, β = 500 on the flow-matching loss, plus Reg-DPO's SFT term on the preferred clip (weight 1).
_base_ = ["./dpo_tiny.py", "../_base_/miniature.py"]
train = dict(
    experiment="dpo-miniature", batch_size=2, lr=1e-3, log_every=5, ckpt_every=25, num_workers=0, max_steps=None
)
model = dict(lora_rank=16, lora_alpha=16.0)
data = {{_base_._miniature_data}}
scheduler = dict(use_timestep_transform=False, num_sampling_steps=10, cfg_scale=1.0)
validation = {{_base_._miniature_validation}}
dpo = dict(beta=500.0, sft_weight=1.0, pairs="gt_vs_sample")
