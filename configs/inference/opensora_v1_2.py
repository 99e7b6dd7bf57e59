# PISA / Open-Sora v1.2 image-to-video sampling (configs/inference/sample.py of the release):
# 256², 32 frames at 16 fps, 30 rectified-flow steps, CFG 7.0, timestep transform, seed 1024.
_base_ = ["../_base_/opensora_v1_2.py", "./base.py"]
backbone = dict(
    name="opensora_v1_2",
    model_path={{_base_._stdit3_path}},
    model={{_base_._stdit3}},
    model_weights="model",
    model_overrides=dict(),
    vae={{_base_._vae}},
    vae_path={{_base_._vae_path}},
    text_encoder_path={{_base_._t5_path}},
    text_max_length={{_base_._t5_max_length}},
    aes=6.5,
    negative_prompt=None,
    max_sequence_length=None,
    vae_tiling=False,
    vae_slicing=False,
    cpu_offload=False,
    height={{_base_._resolution}},
    width={{_base_._resolution}},
    num_frames={{_base_._num_frames}},
    fps={{_base_._fps}},
    square="native",
    allow_random_weights=False,
)
# Physics-IQ (python -m opensora.score_model --benchmark physics_iq): the 16:9 canvas of the same pixel
# budget on the 16-pixel grid (VAE 8x, patch 2), 5 s at 16 fps as 85 frames (5 of the VAE's 17-frame
# chunks; the first 80 are scored); v2v: the last 34 frames (2 chunks) of the 3 s conditioning clip,
# then 85 more.
physics_iq_generation = dict(height=192, width=336, num_frames=85, v2v=dict(context_frames=34, num_frames=119))
