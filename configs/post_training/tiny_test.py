# The tiny PSFT run of the test suite (tests/opensora): 8 frames at 16x16, batch 2, no validation,
# every step logged; the tests add the manifest, the text-cache folder and the run folder.
_base_ = ["./tiny.py"]
train = dict(batch_size=2, log_every=1, grad_checkpoint=False)
data = dict(num_frames=8, resolution=16)
validation = dict(manifest=None)
