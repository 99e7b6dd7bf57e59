# GRPO with verifiable rewards of wan2_2_ti2v_5b (python -m opensora.train.grpo; bash scripts/post_training/grpo.sh --backbone wan2_2_ti2v_5b),
# from its PSFT export (--model.model_path=outputs/post_training/NNN-psft-wan2_2_ti2v_5b/export/ema): configs/post_training/grpo_base.py's
# settings (groups of 8, the SDE on the first 4 of 16 steps, KL 0.01, SAM 2.1 reward) on its model, data and guidance.
_base_ = ["../grpo_base.py", "../../_base_/wan2_2_ti2v_5b.py"]
train = dict(experiment="grpo-wan2_2_ti2v_5b")
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = dict(num_sampling_steps=16, cfg_scale=5.0)
