# Diffusion-DPO of wan2_1_i2v_14b_480p's tiny random pipeline (tiny:wan2_1_i2v_14b_480p) on CPU with LoRA (the reference: adapters off).
_base_ = ["../dpo_tiny.py"]
train = dict(experiment="dpo-tiny-wan2_1_i2v_14b_480p")
model = dict(
    backbone="wan2_1_i2v_14b_480p", model_path="tiny:wan2_1_i2v_14b_480p", text_max_length=16, canvas=None, lora_rank=4
)
data = dict(resolution=32, num_frames=9, fps=16)
scheduler = dict(num_sampling_steps=3, cfg_scale=2.0)
