# ORO smoke run on CPU: the tiny PSFT setting (STDiT3-tiny in pixel space, 32x32, 16 frames of the
# small simulated set) with a random tiny SAM 2 (tiny:sam2, written on first use), 3 sampling steps, K = 1.
_base_ = ["./oro_seg.py", "../_base_/tiny_models.py"]
train = dict(experiment="oro-tiny", max_steps=4, log_every=1, ckpt_every=2, num_workers=0, lr=1e-4)
model = {{_base_._tiny_model}}
data = dict(manifest="{{$PISA_DATA_ROOT:./data}}/sim/small/oro.csv", limit=None, num_frames=16, resolution=32)
scheduler = dict(use_timestep_transform=False, num_sampling_steps=3, cfg_scale=4.0)  # see tiny_models.py
validation = dict(manifest=None)
oro = dict(grad_steps=1)
rewards = [dict(type="segmentation", weight=1.0, model="tiny:sam2?image_size=64", image_size=64)]
