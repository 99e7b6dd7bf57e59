# GRPO with verifiable rewards of ltx_video (python -m opensora.train.grpo; bash scripts/post_training/grpo.sh --backbone ltx_video),
# from its PSFT export (--model.model_path=outputs/post_training/NNN-psft-ltx_video/export/ema): configs/post_training/grpo_base.py's
# settings (groups of 8, the SDE on the first 4 of 16 steps, KL 0.01, SAM 2.1 reward) on its model, data and guidance.
_base_ = ["../grpo_base.py", "../../_base_/ltx_video.py"]
train = dict(experiment="grpo-ltx_video")
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = dict(num_sampling_steps=16, cfg_scale=3.0)
