# The release's name for Open-Sora v1.2 sampling (configs/inference/sample.py): the same as opensora_v1_2.py.
_base_ = ["./opensora_v1_2.py"]
