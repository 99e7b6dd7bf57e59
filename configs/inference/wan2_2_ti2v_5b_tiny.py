# CPU smoke run of wan2_2_ti2v_5b: a random tiny pipeline of the real diffusers classes (tiny:wan2_2_ti2v_5b,
# written on first use by opensora/tiny/pipelines.py), 64x64, 9 frames, 3 steps.
_base_ = ["./wan2_2_ti2v_5b.py"]
backbone = dict(
    model_path="tiny:wan2_2_ti2v_5b", max_sequence_length=16, height=64, width=64, num_frames=9, fps=24, square="native"
)
inference = dict(output_size=32)
scheduler = dict(num_sampling_steps=3)
# Physics-IQ on CPU: 8 fps (the synthetic trees' rate), 41 frames (the first 40 = 5 s scored)
physics_iq_generation = dict(height=64, width=96, num_frames=41, fps=8, v2v=None)
