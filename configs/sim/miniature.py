# The miniature experiment's world (benchmarks/pisa_miniature.py): one large saturated-red object
# dropped in front of the plain flat backdrop, close fixed camera, 32², 16 frames at 16 fps, preview
# renderer — scenes a weight-free colour segmenter (evaluation/perception/colour.py) can follow.
# The experiment simulates a "pretraining" set with gravity x0.25 (--sim.gravity=-2.4525).
_base_ = ["./base.py"]
sim = dict(
    resolution=32,
    num_frames=16,
    fps=16,
    num_dropped=(1, 1),
    tower_size=(0, 0),
    drop_height_m=(0.6, 1.2),
    xy_range_m=0.25,
    object_size_m=(0.4, 0.5),
    camera_x_m=-1.4,
    camera_height_m=(0.5, 0.5),
    asset_sources=["procedural"],
    background="plain",
    object_color=(0.8, 0.03, 0.03),
)
render = dict(renderer="preview", movie=False)
batch = dict(
    output_dir="{{$PISA_OUT_ROOT:./outputs}}/experiments/pisa_miniature/sim", val_fraction=0.0, oro_fraction=0.0
)
