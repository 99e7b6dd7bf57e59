# PSFT of cogvideox_5b_i2v (python -m opensora.train.psft; bash scripts/post_training/base.sh --backbone cogvideox_5b_i2v):
# its own objective (opensora.backbones), LoRA, bf16, activation checkpointing, validation through its sampler.
_base_ = ["../base.py", "../../_base_/cogvideox_5b_i2v.py"]
train = dict(experiment="psft-cogvideox_5b_i2v", batch_size=1, lr=1e-4)
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = {{_base_._sampler}}
validation = dict(num_sampling_steps=30, cfg_scale=6.0)
