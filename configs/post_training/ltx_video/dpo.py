# Ground-truth-anchored Diffusion-DPO of ltx_video (python -m opensora.train.dpo; bash scripts/post_training/dpo.sh --backbone ltx_video),
# from its PSFT export (--model.model_path=outputs/post_training/NNN-psft-ltx_video/export/ema): configs/post_training/dpo_base.py's
# settings (LoRA, β = 500, Reg-DPO SFT term) on its model, data and guidance; rejected clips sampled in 30 steps.
_base_ = ["../dpo_base.py", "../../_base_/ltx_video.py"]
train = dict(experiment="dpo-ltx_video")
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = dict(num_sampling_steps=30, cfg_scale=3.0)
