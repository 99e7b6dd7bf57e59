# ORO (flow reward) of ltx_video, from its PSFT export (--model.model_path=outputs/post_training/NNN-psft-ltx_video/export/ema):
# K = 1 gradient step, LoRA, a frame subset, 10 sampling steps.
_base_ = ["../oro_flow.py", "../../_base_/ltx_video.py"]
train = dict(experiment="oro-flow-ltx_video")
model = {{_base_._model}}
data = {{_base_._data}}
scheduler = dict(num_sampling_steps=10, cfg_scale=3.0)
oro = dict(grad_steps=1, decode_frames="first:9")
