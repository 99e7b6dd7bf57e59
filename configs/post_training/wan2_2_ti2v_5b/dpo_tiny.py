# Diffusion-DPO of wan2_2_ti2v_5b's tiny random pipeline (tiny:wan2_2_ti2v_5b) on CPU with LoRA (the reference: adapters off).
_base_ = ["../dpo_tiny.py"]
train = dict(experiment="dpo-tiny-wan2_2_ti2v_5b")
model = dict(backbone="wan2_2_ti2v_5b", model_path="tiny:wan2_2_ti2v_5b", text_max_length=16, canvas=None, lora_rank=4)
data = dict(resolution=64, num_frames=9, fps=24)
scheduler = dict(num_sampling_steps=3, cfg_scale=2.0)
