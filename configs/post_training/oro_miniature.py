# ORO of the miniature experiment (benchmarks/pisa_miniature.py): the PSFT model's export, the
# segmentation loss with the weight-free colour segmenter (plain-background clips only) against the
# simulator's masks, 10 sampling steps, gradient through the last one (K = 1).
_base_ = ["./oro_seg.py", "../_base_/tiny_models.py", "../_base_/miniature.py"]
train = dict(experiment="oro-miniature", batch_size=1, lr=5e-5, log_every=5, ckpt_every=50, num_workers=0)
model = {{_base_._tiny_model}}
data = {{_base_._miniature_data}}
scheduler = dict(use_timestep_transform=False, num_sampling_steps=10, cfg_scale=1.0)
validation = {{_base_._miniature_validation}}
oro = dict(grad_steps=1)
rewards = [dict(type="colour_segmentation", weight=1.0)]
