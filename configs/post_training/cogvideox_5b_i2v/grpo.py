# GRPO with verifiable rewards of cogvideox_5b_i2v (python -m opensora.train.grpo; bash scripts/post_training/grpo.sh --backbone cogvideox_5b_i2v),
# from its PSFT export (--model.model_path=outputs/post_training/NNN-psft-cogvideox_5b_i2v/export/ema): configs/post_training/grpo_base.py's
# settings (groups of 8, the SDE on the first 4 of 16 steps, KL 0.01, SAM 2.1 reward) on its model, data and guidance.
_base_ = ["../grpo_base.py", "../../_base_/cogvideox_5b_i2v.py"]
train = dict(experiment="grpo-cogvideox_5b_i2v")
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = dict(num_sampling_steps=16, cfg_scale=6.0)
