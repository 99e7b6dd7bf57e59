# Ground-truth-anchored Diffusion-DPO of wan2_1_i2v_14b_480p (python -m opensora.train.dpo; bash scripts/post_training/dpo.sh --backbone wan2_1_i2v_14b_480p),
# from its PSFT export (--model.model_path=outputs/post_training/NNN-psft-wan2_1_i2v_14b_480p/export/ema): configs/post_training/dpo_base.py's
# settings (LoRA, β = 500, Reg-DPO SFT term) on its model, data and guidance; rejected clips sampled in 30 steps.
_base_ = ["../dpo_base.py", "../../_base_/wan2_1_i2v_14b_480p.py"]
train = dict(experiment="dpo-wan2_1_i2v_14b_480p")
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = dict(num_sampling_steps=30, cfg_scale=5.0)
