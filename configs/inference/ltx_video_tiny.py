# CPU smoke run of ltx_video: a random tiny pipeline of the real diffusers classes (tiny:ltx_video,
# written on first use by opensora/tiny/pipelines.py), 32x32, 9 frames, 3 steps.
_base_ = ["./ltx_video.py"]
backbone = dict(
    model_path="tiny:ltx_video", max_sequence_length=16, height=32, width=32, num_frames=9, fps=24, square="native"
)
inference = dict(output_size=32)
scheduler = dict(num_sampling_steps=3)
