# Ground-truth-anchored Diffusion-DPO of wan2_2_ti2v_5b (python -m opensora.train.dpo; bash scripts/post_training/dpo.sh --backbone wan2_2_ti2v_5b),
# from its PSFT export (--model.model_path=outputs/post_training/NNN-psft-wan2_2_ti2v_5b/export/ema): configs/post_training/dpo_base.py's
# settings (LoRA, β = 500, Reg-DPO SFT term) on its model, data and guidance; rejected clips sampled in 30 steps.
_base_ = ["../dpo_base.py", "../../_base_/wan2_2_ti2v_5b.py"]
train = dict(experiment="dpo-wan2_2_ti2v_5b")
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = dict(num_sampling_steps=30, cfg_scale=5.0)
