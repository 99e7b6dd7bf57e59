# Diffusion-DPO of cogvideox_5b_i2v's tiny random pipeline (tiny:cogvideox_5b_i2v) on CPU with LoRA (the reference: adapters off).
_base_ = ["../dpo_tiny.py"]
train = dict(experiment="dpo-tiny-cogvideox_5b_i2v")
model = dict(
    backbone="cogvideox_5b_i2v", model_path="tiny:cogvideox_5b_i2v", text_max_length=16, canvas=[32, 48], lora_rank=4
)
data = dict(resolution=32, num_frames=9, fps=8)
scheduler = dict(num_sampling_steps=3, cfg_scale=2.0)
