# Photoreal clips: Blender Cycles with denoising (PISA rendered 64 samples; the base's 32 / 20 in a
# room reach >= 45 dB against 256 samples in about a minute per clip on 2 cores:
# benchmarks/sim_throughput.py).
_base_ = ["./base.py"]
render = dict(renderer="cycles")
