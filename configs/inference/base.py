# What every image-to-video generation run shares (opensora/inference.py: InferenceArgs). The
# model is the `backbone` section of configs/inference/<backbone>.py; sampling steps and guidance
# are the `scheduler` section (num_sampling_steps, cfg_scale).
inference = dict(
    prompt_file=None,
    benchmark_dir=None,
    output_dir="{{$PISA_OUT_ROOT:./outputs}}/inference",
    output_size=256,  # written frames are this square size (PisaBench: 256); None = the canvas's square
    seed=1024,
    batch_size=1,
    dtype="auto",
    device="auto",
    text_cache_dir="{{$PISA_OUT_ROOT:./outputs}}/cache/text",
    shard=None,  # "i/n": this process generates every n-th prompt starting at i (several GPUs)
    allow_failures=False,
    overwrite=False,  # remake videos an earlier run made with other weights or settings (default: refuse)
    frames=None,  # [start, stop): the generated frames written (None = all; Physics-IQ: the 5 s it scores)
    context_frames=None,  # video-to-video: condition on the last K frames of each prompt's clip (Physics-IQ v2v)
    geometry_from_weights=True,  # take canvas, frames and fps from an export's pisa.json (Physics-IQ: its own)
)
