# The main job (bash scripts/demo.sh → python -m sim_data.selftest): a small simulated benchmark
# split scored against renders of the same scenes with perturbed physics.
_base_ = ["./base.py", "../eval/base.py"]
selftest = dict(
    out_dir="{{$PISA_OUT_ROOT:./outputs}}/sim_selftest",
    num_clips=8,
    seed=0,
    variants=["ground_truth", "gravity_x0.5", "gravity_x2", "frozen", "constant_velocity", "vanish"],
    readme_figure=None,
)
sim = dict(num_dropped=(1, 3))
render = dict(renderer="preview", movie=True)
eval = dict(split="sim_seen", object_selection="last", bootstrap_samples=1000)
figures = dict(trajectory_plots=8, filmstrip_videos=4)
