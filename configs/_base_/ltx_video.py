# ltx_video for post-training (configs/post_training/ltx_video/): the lines every stage shares (read as {{_base_._model}},
# {{_base_._data}}, {{_base_._sampler}} by psft.py and oro_*.py). 512x512; 49 frames at
# 24 fps, as configs/inference/ltx_video.py generates for PisaBench (simulate the training clips at that fps
# and length: python -m sim_data.parallel ... --sim.fps=24 --sim.num_frames=49).
_model = dict(
    backbone="ltx_video",
    model_path="Lightricks/LTX-Video",
    text_max_length=128,
    canvas=None,
    lora_rank=32,  # LoRA on the attention projections (0 = full fine-tuning under FSDP2)
    lora_alpha=32.0,
)
_data = dict(resolution=512, num_frames=49, fps=24)
_sampler = dict(num_sampling_steps=50, cfg_scale=3.0)
