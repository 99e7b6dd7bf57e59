# What the diffusers backbones' inference configs share (opensora/backbones/diffusers_base.py): the
# inference section, the memory knobs off (--backbone.cpu_offload / vae_tiling / vae_slicing to
# turn them on), the model card's negative prompt and a square canvas unless a config says otherwise.
_base_ = ["./base.py", "../_base_/scheduler.py"]
backbone = dict(
    negative_prompt=None,
    square="native",
    vae_tiling=False,
    vae_slicing=False,
    cpu_offload=False,
)
