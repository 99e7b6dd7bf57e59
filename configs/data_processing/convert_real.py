# Convert PisaBench real videos to the evaluation resolution (python -m evaluation.convert).
convert = dict(
    config_file=None,
    src_root="{{$PISA_DATA_ROOT:./data}}/pisabench/real",
    dst_root="{{$PISA_DATA_ROOT:./data}}/pisabench/real_256",
    resolution=256,
    crop=None,
    pad=False,
    overwrite=False,
    allow_failures=False,
    write_movie=True,
    workers=1,
)
