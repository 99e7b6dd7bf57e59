# CPU smoke run of wan2_1_i2v_14b_480p: a random tiny pipeline of the real diffusers classes (tiny:wan2_1_i2v_14b_480p,
# written on first use by opensora/tiny/pipelines.py), 32x32, 9 frames, 3 steps.
_base_ = ["./wan2_1_i2v_14b_480p.py"]
backbone = dict(
    model_path="tiny:wan2_1_i2v_14b_480p",
    max_sequence_length=16,
    height=32,
    width=32,
    num_frames=9,
    fps=16,
    square="native",
)
inference = dict(output_size=32)
scheduler = dict(num_sampling_steps=3)
# Physics-IQ on CPU: 8 fps (the synthetic trees' rate), 41 frames (the first 40 = 5 s scored)
physics_iq_generation = dict(height=32, width=48, num_frames=41, fps=8, v2v=None)
