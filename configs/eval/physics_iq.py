# Physics-IQ scoring (python -m evaluation.physics_iq; evaluation/physics_iq/run.py: PhysicsIQArgs). The real
# takes in the released layout (bash scripts/data_processing/download_physics_iq.sh), one prediction folder
# per seed, the release's mp4 round trip of masks on (what the leaderboard's numbers include), the real masks
# cached by the content of the files they come from.
physics_iq = dict(
    real_root="{{$PISA_DATA_ROOT:./data}}/physics_iq/physics-IQ-benchmark",
    pred_roots=[],
    output_dir=None,
    model="model",
    descriptions=None,
    fps=None,
    released_masks=True,
    allow_missing=False,
    workers=None,
    cache_dir="{{$PISA_OUT_ROOT:./outputs}}/cache/physics_iq",
    cache_frames=False,
    bootstrap_samples=1000,
    seed=0,
    figures=4,
)
