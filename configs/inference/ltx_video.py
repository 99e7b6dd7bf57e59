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
# Physics-IQ (python -m opensora.score_model --benchmark physics_iq): the 512² pixel budget at 16:9 on the
# 32-pixel grid, 121 frames at 24 fps (the first 120 scored); v2v: the last 65 frames (8·8 + 1, whole
# latent frames) of the 3 s conditioning clip, then 120 more (185 = 8·23 + 1 in all).
physics_iq_generation = dict(height=384, width=672, num_frames=121, v2v=dict(context_frames=65, num_frames=185))
