# ORO with the depth reward: Depth Anything V2 Small, 518² input, per-frame min-max to [0, 255],
# MSE against the model on the ground-truth video (target="simulator": depth.npz); lr 1e-6.
_base_ = ["./oro_base.py"]
train = dict(experiment="oro-depth", lr=1e-6)
rewards = [
    dict(
        type="depth",
        weight=1.0,
        model="{{$PISA_CKPT_ROOT:./models}}/Depth-Anything-V2-Small-hf",
        target="video",
        input_size=518,
    )
]
