# A small training set for CPU experiments (benchmarks/psft_small_experiment.py, tiny post-training
# configs): 32x32, 16 frames at 16 fps, 1-2 larger dropped objects, preview renderer.
_base_ = ["./base.py"]
sim = dict(resolution=32, num_frames=16, num_dropped=(1, 2), tower_size=(0, 1), object_size_m=(0.25, 0.4))
render = dict(renderer="preview", movie=False)
batch = dict(
    output_dir="{{$PISA_DATA_ROOT:./data}}/sim/small", num_samples=80, workers=2, val_fraction=0.15, oro_fraction=0.1
)
