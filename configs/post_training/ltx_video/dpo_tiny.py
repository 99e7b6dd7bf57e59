# Diffusion-DPO of ltx_video's tiny random pipeline (tiny:ltx_video) on CPU with LoRA (the reference: adapters off).
_base_ = ["../dpo_tiny.py"]
train = dict(experiment="dpo-tiny-ltx_video")
model = dict(backbone="ltx_video", model_path="tiny:ltx_video", text_max_length=16, canvas=None, lora_rank=4)
data = dict(resolution=32, num_frames=9, fps=24)
scheduler = dict(num_sampling_steps=3, cfg_scale=2.0)
