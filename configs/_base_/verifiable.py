# The verifiable reward of GRPO and of reward-ranked DPO pairs (opensora/rewards/verifiable.py: VerifiableArgs):
# the benchmark's metrics of each generated video against the simulator's masks ({metric: weight}, signed by
# each metric's direction; physical-unit metrics such as g_est read the clip's camera), the segmenter seeded
# with the ground truth's frame-0 masks (colour: plain scenes; else a SAM 2 hub id or folder), scoring on a
# worker thread while the next video is sampled (overlap None: when sampling runs on a GPU).
# `rewards`: ORO rewards added without gradient (− weight × loss).
verifiable = dict(metrics=dict(iou=1.0, centroid_error_strict=1.0), segmenter="colour", tolerance=60.0, overlap=None)
rewards = []
