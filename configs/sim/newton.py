# The Newtonian test split (python -m sim_data.newton, or bash sim_data/generate_newton.sh): per
# scenario (drop, ramp_slide, roll, bounce, collide, pendulum) 20 clips with seen and 20 with unseen
# objects and environments, Cycles, 256², 32 frames at 16 fps. Writes <output_dir>/newton_<res>/
# <scenario>/<half>/ (read by score_model.sh --split newton | newton_<scenario>) and the manifests
# <output_dir>/newton_<scenario>_<half>.jsonl. Scenario ranges: sim.newton (sim_data/scenarios.py).
_base_ = ["./cycles.py"]
batch = dict(
    output_dir="{{$PISA_DATA_ROOT:./data}}/newton",
    num_samples=20,  # per scenario and half
    val_fraction=0.0,
    oro_fraction=0.0,
    pred_root="{{$PISA_OUT_ROOT:./outputs}}/predictions",  # + /newton/<scenario>/<half>/<sample id>/mask.npz
)
newton_split = dict(start_seed=300000, scenarios=["drop", "ramp_slide", "roll", "bounce", "collide", "pendulum"])
