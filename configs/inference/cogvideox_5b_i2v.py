# CogVideoX-5B-I2V (THUDM/CogVideoX-5b-I2V), as its model card samples it: 49 frames at 8 fps
# (6 s, covering PisaBench's 2 s), 480x720, 50 steps, guidance 6. The model only runs at 480x720,
# so the square first frame is centred on that canvas (black bars) and the centre 480² of the
# output is taken back and resized to inference.output_size.
_base_ = ["./diffusers_base.py"]
backbone = dict(
    name="cogvideox_5b_i2v",
    model_path="THUDM/CogVideoX-5b-I2V",
    negative_prompt="",
    max_sequence_length=226,
    height=480,
    width=720,
    num_frames=49,
    fps=8,
    square="pad",
)
scheduler = dict(num_sampling_steps=50, cfg_scale=6.0)
# Physics-IQ (python -m opensora.score_model --benchmark physics_iq): the one canvas and frame count the
# model has (learned positional embeddings), the 16:9 switch frame cropped to 3:2; 49 frames at 8 fps
# (6.1 s, the first 40 scored). One conditioning frame only: no v2v.
physics_iq_generation = dict(height=480, width=720, num_frames=49, v2v=None)
