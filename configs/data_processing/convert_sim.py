# Convert PisaBench simulated videos (seen and unseen) to the evaluation resolution.
_base_ = ["./convert_real.py"]
convert = dict(
    src_root="{{$PISA_DATA_ROOT:./data}}/pisabench/sim", dst_root="{{$PISA_DATA_ROOT:./data}}/pisabench/sim_256"
)
