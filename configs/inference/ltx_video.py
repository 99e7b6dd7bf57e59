# LTX-Video (Lightricks/LTX-Video): 512x512, 49 frames at 24 fps (2.04 s), 50 steps, guidance 3,
# the model card's negative prompt.
_base_ = ["./diffusers_base.py"]
backbone = dict(
    name="ltx_video",
    model_path="Lightricks/LTX-Video",
    max_sequence_length=128,
    height=512,
    width=512,
    num_frames=49,
    fps=24,
)
scheduler = dict(num_sampling_steps=50, cfg_scale=3.0)
