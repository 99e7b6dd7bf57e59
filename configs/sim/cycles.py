# Photoreal clips: Blender Cycles at 64 samples with denoising (PISA's render settings).
_base_ = ["./base.py"]
render = dict(renderer="cycles", samples=64, denoise=True)
