# GRPO of cogvideox_5b_i2v's tiny random pipeline (tiny:cogvideox_5b_i2v) on CPU with the colour segmenter's verifiable reward.
_base_ = ["../grpo_tiny.py"]
train = dict(experiment="grpo-tiny-cogvideox_5b_i2v")
model = dict(
    backbone="cogvideox_5b_i2v", model_path="tiny:cogvideox_5b_i2v", text_max_length=16, canvas=[32, 48], lora_rank=0
)
data = dict(resolution=32, num_frames=9, fps=8)
scheduler = dict(num_sampling_steps=3, cfg_scale=2.0)
