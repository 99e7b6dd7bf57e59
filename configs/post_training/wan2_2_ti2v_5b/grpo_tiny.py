# GRPO of wan2_2_ti2v_5b's tiny random pipeline (tiny:wan2_2_ti2v_5b) on CPU with the colour segmenter's verifiable reward.
_base_ = ["../grpo_tiny.py"]
train = dict(experiment="grpo-tiny-wan2_2_ti2v_5b")
model = dict(backbone="wan2_2_ti2v_5b", model_path="tiny:wan2_2_ti2v_5b", text_max_length=16, canvas=None, lora_rank=0)
data = dict(resolution=64, num_frames=9, fps=24)
scheduler = dict(num_sampling_steps=3, cfg_scale=2.0)
