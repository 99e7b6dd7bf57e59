# CPU smoke run of cogvideox_5b_i2v: a random tiny pipeline of the real diffusers classes (tiny:cogvideox_5b_i2v,
# written on first use by opensora/tiny/pipelines.py), 32x48, 9 frames, 3 steps.
_base_ = ["./cogvideox_5b_i2v.py"]
backbone = dict(
    model_path="tiny:cogvideox_5b_i2v", max_sequence_length=16, height=32, width=48, num_frames=9, fps=8, square="pad"
)
inference = dict(output_size=32)
scheduler = dict(num_sampling_steps=3)
# the tiny model's 9 frames (its learned embeddings) cannot cover Physics-IQ's 5 s: refused, naming this key
physics_iq_generation = dict(height=32, width=48, num_frames=9, fps=8, v2v=None)
