# The Newtonian self-test (python -m sim_data.selftest configs/sim/selftest_newton.py): per scenario,
# simulated clips scored against the same scenes with one law broken (gravity ×0.5, friction ×2 or 0,
# restitution 0 or 1, the struck cube pinned, the pendulum's rod ×2); the physical-unit metrics must
# rank every violation below the truth and name the constant that is wrong (sim_data/newton_selftest.py).
_base_ = ["./base.py", "../eval/base.py"]
newton_selftest = dict(
    out_dir="{{$PISA_OUT_ROOT:./outputs}}/newton_selftest",
    num_clips=4,
    seed=700000,
    scenarios=["drop", "ramp_slide", "roll", "bounce", "collide", "pendulum"],
)
render = dict(renderer="preview", movie=False)
eval = dict(split="newton", object_selection="last", bootstrap_samples=200)
figures = dict(trajectory_plots=0, filmstrip_videos=0)
