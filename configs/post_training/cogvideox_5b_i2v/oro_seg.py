# ORO (seg reward) of cogvideox_5b_i2v, from its PSFT export (--model.model_path=outputs/post_training/NNN-psft-cogvideox_5b_i2v/export/ema):
# K = 1 gradient step, LoRA, a frame subset, 10 sampling steps.
_base_ = ["../oro_seg.py", "../../_base_/cogvideox_5b_i2v.py"]
train = dict(experiment="oro-seg-cogvideox_5b_i2v")
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = dict(num_sampling_steps=10, cfg_scale=6.0)
oro = dict(grad_steps=1, decode_frames="first:9")
