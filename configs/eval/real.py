# PisaBench real videos: 120 fps ground truth, evaluated object = highest annotated object.
_base_ = ["./base.py"]
eval = dict(split="real", object_selection="highest_point", output_dir="{{$PISA_OUT_ROOT:./outputs}}/eval/real")
