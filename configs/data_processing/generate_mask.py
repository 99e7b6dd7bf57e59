# SAM 2 masks for benchmark videos (python -m evaluation.generate_masks): ground truth from the
# annotated points, generated clips from the same points or from ground-truth frame-0 masks.
masks = dict(
    model="facebook/sam2.1-hiera-large",
    device="auto",
    dtype="auto",
    image_size=None,  # 256 = PISA's reduced SAM 2 size (weights unchanged)
    config_file=None,
    video_root=None,
    output_root=None,
    prompt_mask_root=None,
    shard="0/1",
    overwrite=False,
    allow_failures=False,
)
