# PSFT of wan2_2_ti2v_5b (python -m opensora.train.psft; bash scripts/post_training/base.sh --backbone wan2_2_ti2v_5b):
# its own objective (opensora.backbones), LoRA, bf16, activation checkpointing, validation through its sampler.
_base_ = ["../base.py", "../../_base_/wan2_2_ti2v_5b.py"]
train = dict(experiment="psft-wan2_2_ti2v_5b", batch_size=1, lr=1e-4)
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = {{_base_._sampler}}
validation = dict(num_sampling_steps=30, cfg_scale=5.0)
