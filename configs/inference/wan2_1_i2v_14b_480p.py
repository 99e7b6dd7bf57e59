# Wan 2.1 I2V 14B 480P (Wan-AI/Wan2.1-I2V-14B-480P-Diffusers): 16 fps, 33 frames (2.06 s), 50
# steps, guidance 5, the model card's negative prompt. For a 1:1 first frame diffusers' Wan
# example gives 624x624 (the 480x832 pixel budget, rounded to the 16-pixel grid).
_base_ = ["./diffusers_base.py"]
backbone = dict(
    name="wan2_1_i2v_14b_480p",
    model_path="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
    max_sequence_length=512,
    height=624,
    width=624,
    num_frames=33,
    fps=16,
)
scheduler = dict(num_sampling_steps=50, cfg_scale=5.0)
# Physics-IQ (python -m opensora.score_model --benchmark physics_iq): the 480x832 pixel budget at 16:9 on
# the 16-pixel grid (diffusers' Wan example rule), 81 frames at 16 fps (the first 80 scored); no v2v.
physics_iq_generation = dict(height=464, width=832, num_frames=81, v2v=None)
