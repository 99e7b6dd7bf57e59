# A test split shaped like PisaBench's simulated one (arXiv 2503.09595: 60 clips, 30 with seen
# objects and backgrounds, 30 with unseen objects and backgrounds; Cycles at 64 samples):
# python -m sim_data.pisabench_sim, or bash sim_data/generate_pisabench_sim.sh.
# Writes <output_dir>/sim_seen_<res>/ and sim_unseen_<res>/ (the folders score_model.sh reads)
# and the evaluation manifests <output_dir>/sim_seen.jsonl, sim_unseen.jsonl.
_base_ = ["./cycles.py"]
batch = dict(
    output_dir="{{$PISA_DATA_ROOT:./data}}/pisabench",
    num_samples=30,  # per half
    val_fraction=0.0,
    oro_fraction=0.0,
    pred_root="{{$PISA_OUT_ROOT:./outputs}}/predictions",  # + /<half>/<sample id>/mask.npz in the manifests
)
# the halves' first seeds (far from the training seeds 0..5999): seen objects and environments, then unseen
pisabench = dict(seen_start_seed=100000, unseen_start_seed=200000)
