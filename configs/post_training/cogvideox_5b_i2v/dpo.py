# Ground-truth-anchored Diffusion-DPO of cogvideox_5b_i2v (python -m opensora.train.dpo; bash scripts/post_training/dpo.sh --backbone cogvideox_5b_i2v),
# from its PSFT export (--model.model_path=outputs/post_training/NNN-psft-cogvideox_5b_i2v/export/ema): configs/post_training/dpo_base.py's
# settings (LoRA, β = 500, Reg-DPO SFT term) on its model, data and guidance; rejected clips sampled in 30 steps.
_base_ = ["../dpo_base.py", "../../_base_/cogvideox_5b_i2v.py"]
train = dict(experiment="dpo-cogvideox_5b_i2v")
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = dict(num_sampling_steps=30, cfg_scale=6.0)
