# wan2_1_i2v_14b_480p for post-training (configs/post_training/wan2_1_i2v_14b_480p/): the lines every stage shares (read as {{_base_._model}},
# {{_base_._data}}, {{_base_._sampler}} by psft.py and oro_*.py). 624x624: diffusers' rule for a 1:1 image at Wan 2.1 480P's pixel budget; 33 frames at
# 16 fps, as configs/inference/wan2_1_i2v_14b_480p.py generates for PisaBench (simulate the training clips at that fps
# and length: python -m sim_data.parallel ... --sim.fps=16 --sim.num_frames=33).
_model = dict(
    backbone="wan2_1_i2v_14b_480p",
    model_path="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
    text_max_length=512,
    canvas=None,
    lora_rank=32,  # LoRA on the attention projections (0 = full fine-tuning under FSDP2)
    lora_alpha=32.0,
)
_data = dict(resolution=624, num_frames=33, fps=16)
_sampler = dict(num_sampling_steps=50, cfg_scale=5.0)
