# wan2_2_ti2v_5b for post-training (configs/post_training/wan2_2_ti2v_5b/): the lines every stage shares (read as {{_base_._model}},
# {{_base_._data}}, {{_base_._sampler}} by psft.py and oro_*.py). 928x928: diffusers' rule for a 1:1 image at Wan 2.2 TI2V's pixel budget; 49 frames at
# 24 fps, as configs/inference/wan2_2_ti2v_5b.py generates for PisaBench (simulate the training clips at that fps
# and length: python -m sim_data.parallel ... --sim.fps=24 --sim.num_frames=49).
_model = dict(
    backbone="wan2_2_ti2v_5b",
    model_path="Wan-AI/Wan2.2-TI2V-5B-Diffusers",
    text_max_length=512,
    canvas=None,
    lora_rank=32,  # LoRA on the attention projections (0 = full fine-tuning under FSDP2)
    lora_alpha=32.0,
)
_data = dict(resolution=928, num_frames=49, fps=24)
_sampler = dict(num_sampling_steps=50, cfg_scale=5.0)
