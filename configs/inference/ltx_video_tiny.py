# CPU smoke run of ltx_video: a random tiny pipeline of the real diffusers classes (tiny:ltx_video,
# written on first use by opensora/tiny/pipelines.py), 32x32, 9 frames, 3 steps.
_base_ = ["./ltx_video.py"]
backbone = dict(
    model_path="tiny:ltx_video", max_sequence_length=16, height=32, width=32, num_frames=9, fps=24, square="native"
)
inference = dict(output_size=32)
scheduler = dict(num_sampling_steps=3)
# Physics-IQ on CPU: 8 fps (the synthetic trees' rate), 41 frames (the first 40 = 5 s scored); v2v: 17
# conditioning frames (8·2 + 1), then 40 more
physics_iq_generation = dict(height=32, width=64, num_frames=41, fps=8, v2v=dict(context_frames=17, num_frames=57))
