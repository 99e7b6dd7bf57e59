# ORO (seg reward) of wan2_1_i2v_14b_480p, from its PSFT export (--model.model_path=outputs/post_training/NNN-psft-wan2_1_i2v_14b_480p/export/ema):
# K = 1 gradient step, LoRA, a frame subset, 10 sampling steps.
_base_ = ["../oro_seg.py", "../../_base_/wan2_1_i2v_14b_480p.py"]
train = dict(experiment="oro-seg-wan2_1_i2v_14b_480p")
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = dict(num_sampling_steps=10, cfg_scale=5.0)
oro = dict(grad_steps=1, decode_frames="first:5")
