# ORO with the optical-flow reward: RAFT (torchvision raft_large, C_T weights ≈ raft-things),
# 20 iterations, L1 against RAFT on the ground-truth video (target="simulator": the exact flow.npz); lr 1e-5.
_base_ = ["./oro_base.py"]
train = dict(experiment="oro-flow", lr=1e-5)
rewards = [dict(type="flow", weight=1.0, model="raft_large", weights="default", target="video", num_flow_updates=20)]
