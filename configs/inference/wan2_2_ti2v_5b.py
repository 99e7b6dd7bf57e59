# Wan 2.2 TI2V 5B (Wan-AI/Wan2.2-TI2V-5B-Diffusers): 24 fps, 49 frames (2.04 s), 50 steps,
# guidance 5. For a 1:1 first frame diffusers' Wan example gives 928x928 (the 704x1280 pixel
# budget, rounded to the 32-pixel grid of its x16 VAE and 2x2 patches).
_base_ = ["./diffusers_base.py"]
backbone = dict(
    name="wan2_2_ti2v_5b",
    model_path="Wan-AI/Wan2.2-TI2V-5B-Diffusers",
    max_sequence_length=512,
    height=928,
    width=928,
    num_frames=49,
    fps=24,
)
scheduler = dict(num_sampling_steps=50, cfg_scale=5.0)
# Physics-IQ (python -m opensora.score_model --benchmark physics_iq): the model's 720p canvas (704x1280),
# 121 frames at 24 fps (the first 120 scored); no v2v.
physics_iq_generation = dict(height=704, width=1280, num_frames=121, v2v=None)
