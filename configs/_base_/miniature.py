# Shared by the miniature experiment's configs (benchmarks/pisa_miniature.py): the clips (32², 16 frames at
# 16 fps of configs/sim/miniature.py) and the held-out validation — colour segmenter, 10 sampling steps
# without guidance, 95 % bootstrap intervals.
_miniature_data = dict(
    manifest="{{$PISA_OUT_ROOT:./outputs}}/experiments/pisa_miniature/sim/psft/psft.csv",
    limit=None,
    num_frames=16,
    resolution=32,
    fps=16,
)
_miniature_validation = dict(
    manifest="{{$PISA_OUT_ROOT:./outputs}}/experiments/pisa_miniature/sim/heldout/psft.csv",
    limit=None,
    every=0,
    at_start=True,
    num_sampling_steps=10,
    cfg_scale=1.0,
    batch_size=8,
    segmenter="colour",
    bootstrap_samples=1000,
)
