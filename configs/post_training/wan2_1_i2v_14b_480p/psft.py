# PSFT of wan2_1_i2v_14b_480p (python -m opensora.train.psft; bash scripts/post_training/base.sh --backbone wan2_1_i2v_14b_480p):
# its own objective (opensora.backbones), LoRA, bf16, activation checkpointing, validation through its sampler.
_base_ = ["../base.py", "../../_base_/wan2_1_i2v_14b_480p.py"]
train = dict(experiment="psft-wan2_1_i2v_14b_480p", batch_size=1, lr=1e-4)
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = {{_base_._sampler}}
validation = dict(num_sampling_steps=30, cfg_scale=5.0)
