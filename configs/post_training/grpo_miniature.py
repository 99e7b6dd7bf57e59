# GRPO of the miniature experiment (benchmarks/pisa_miniature.py): from the PSFT model's export, full
# fine-tuning as ORO's miniature, the same 10-step sampler; groups of 4 per clip sharing their initial
# noise, the SDE on the first 3 steps (where the fall is decided; MixGRPO / Flow-GRPO-Fast style window),
# and the verifiable reward of the colour segmenter against the simulator's masks: 10 x L2 (its values
# are ~10x smaller than the others') + IoU + accel_log_error.
_base_ = ["./grpo_tiny.py", "../_base_/miniature.py"]
train = dict(
    experiment="grpo-miniature", batch_size=1, lr=5e-5, log_every=5, ckpt_every=10, num_workers=0, max_steps=None
)
data = {{_base_._miniature_data}}
scheduler = dict(use_timestep_transform=False, num_sampling_steps=10, cfg_scale=1.0)
validation = {{_base_._miniature_validation}}
grpo = dict(group_size=4, sde_steps=[0, 1, 2], noise_level=0.7, same_initial_noise=True, kl_coef=0.0)
verifiable = dict(metrics=dict(_delete_=True, l2=10.0, iou=1.0, accel_log_error=1.0), segmenter="colour")
