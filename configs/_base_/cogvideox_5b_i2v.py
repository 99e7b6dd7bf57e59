# cogvideox_5b_i2v for post-training (configs/post_training/cogvideox_5b_i2v/): the lines every stage shares (read as {{_base_._model}},
# {{_base_._data}}, {{_base_._sampler}} by psft.py and oro_*.py). CogVideoX-5B-I2V only runs 480x720: the square clip is centred on that canvas; 49 frames at
# 8 fps, as configs/inference/cogvideox_5b_i2v.py generates for PisaBench (simulate the training clips at that fps
# and length: python -m sim_data.parallel ... --sim.fps=8 --sim.num_frames=49).
_model = dict(
    backbone="cogvideox_5b_i2v",
    model_path="THUDM/CogVideoX-5b-I2V",
    text_max_length=226,
    canvas=[480, 720],
    lora_rank=64,  # LoRA on the attention projections (0 = full fine-tuning under FSDP2)
    lora_alpha=64.0,
)
_data = dict(resolution=480, num_frames=49, fps=8)
_sampler = dict(num_sampling_steps=50, cfg_scale=6.0)
