# GRPO of the miniature experiment with the physical reward only (benchmarks/pisa_miniature.py): as
# grpo_miniature.py, rewarded by g_est alone — the relative error of the gravity implied by the generated
# object's fall (evaluation/physical.py: centroid on the motion plane, parabola fit, metres from the clip's
# camera) against the simulator's; a video implying no gravity takes its group's lowest reward.
_base_ = ["./grpo_miniature.py"]
train = dict(experiment="grpo-physical-miniature")
verifiable = dict(metrics=dict(_delete_=True, g_est=1.0))
