# The analytic benchmark self-test (python -m evaluation.selftest; no simulator needed): analytic drop
# clips scored against physically perturbed predictions. Simulated-clip conventions apply
# (16 fps, evaluated object = last object).
_base_ = ["./base.py"]
selftest = dict(
    out_dir="{{$PISA_OUT_ROOT:./outputs}}/selftest",
    num_clips=12,
    resolution=256,
    num_frames=32,
    fps=16.0,
    seed=0,
    variants=["ground_truth", "gravity_x0.5", "gravity_x2", "frozen", "constant_velocity", "vanish"],
    write_movies=False,
    readme_figure=None,
)
eval = dict(split="sim_seen", object_selection="last", bootstrap_samples=1000)
figures = dict(trajectory_plots=4, filmstrip_videos=3)
