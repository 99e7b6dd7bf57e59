# PisaBench simulated videos (seen split by default; --split sim_unseen for the other half):
# 16 fps ground truth, evaluated object = last object.
_base_ = ["./base.py"]
eval = dict(split="sim_seen", object_selection="last", output_dir="{{$PISA_OUT_ROOT:./outputs}}/eval/sim")
