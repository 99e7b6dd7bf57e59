# PISA / Open-Sora v1.2 image-to-video sampling (configs/inference/sample.py of the release):
# 256², 32 frames at 16 fps, 30 rectified-flow steps, CFG 7.0, timestep transform, seed 1024.
_base_ = ["../_base_/opensora_v1_2.py"]
inference = dict(
    model={{_base_._stdit3}},
    model_path={{_base_._stdit3_path}},
    model_weights="model",
    vae={{_base_._vae}},
    vae_path={{_base_._vae_path}},
    text_encoder_path={{_base_._t5_path}},
    text_max_length={{_base_._t5_max_length}},
    prompt_file=None,
    benchmark_dir=None,
    output_dir="{{$PISA_OUT_ROOT:./outputs}}/inference",
    num_frames={{_base_._num_frames}},
    resolution={{_base_._resolution}},
    fps={{_base_._fps}},
    seed=1024,
    batch_size=1,
    aes=6.5,
    dtype="auto",
    device="auto",
    allow_random_weights=False,
    allow_failures=False,
)
