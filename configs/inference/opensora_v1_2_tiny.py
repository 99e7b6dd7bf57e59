# The tiny Open-Sora preset under its backbone's name (the same as tiny.py).
_base_ = ["./tiny.py"]
