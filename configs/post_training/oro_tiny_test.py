# The tiny ORO run of the test suite (tests/opensora/test_oro.py): 4 frames at 32x32, 3 sampling
# steps; the tests add the manifest, the text-cache folder, the rewards and the run folder.
_base_ = ["./oro_tiny.py"]
train = dict(grad_checkpoint=False)
data = dict(num_frames=4, resolution=32)
scheduler = dict(num_sampling_steps=3)
