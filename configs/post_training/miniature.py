# The miniature experiment's model and training (benchmarks/pisa_miniature.py; arXiv 2503.09595's
# loop in miniature): STDiT3 in pixel space, 4 blocks of width 128 (a few times STDiT3-tiny), a
# random tiny T5, 32², 16 frames at 16 fps of configs/sim/miniature.py clips. The experiment uses
# this config for the "pretraining" (gravity x0.25 clips) and for PSFT (true gravity, from the
# pretrained export; 4x4 patches: 1,024 tokens per clip); it sets the manifests, steps and run folders. Validation scores the held-out
# clips with the weight-free colour segmenter and 95 % bootstrap intervals.
_base_ = ["./tiny.py", "../_base_/miniature.py"]
train = dict(experiment="miniature", batch_size=8, lr=5e-4, log_every=10, ckpt_every=100, ema_decay=0.99)
model = dict(model_overrides=dict(in_channels=3, depth=4, hidden_size=128, num_heads=4, patch_size=(1, 4, 4)))
data = {{_base_._miniature_data}}
validation = {{_base_._miniature_validation}}
