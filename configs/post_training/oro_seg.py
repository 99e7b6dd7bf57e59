# ORO with the segmentation reward: SAM 2.1 Hiera-L (at 256 as PISA) seeded with the ground-truth
# frame-0 masks, loss = mean(1 - soft IoU); lr 1e-6.
_base_ = ["./oro_base.py"]
train = dict(experiment="oro-seg", lr=1e-6)
rewards = [
    dict(type="segmentation", weight=1.0, model="{{$PISA_CKPT_ROOT:./models}}/sam2.1-hiera-large", image_size=256)
]
