# PSFT of ltx_video's tiny random pipeline (tiny:ltx_video) on CPU: the small simulated set, 32² clips of 9 frames.
_base_ = ["../tiny.py"]
train = dict(experiment="psft-tiny-ltx_video")
model = dict(backbone="ltx_video", model_path="tiny:ltx_video", text_max_length=16, canvas=None, lora_rank=0)
data = dict(resolution=32, num_frames=9, fps=24)
scheduler = dict(num_sampling_steps=3, cfg_scale=2.0)
validation = dict(num_sampling_steps=3, cfg_scale=2.0)
