# The PSFT/ORO training set as in PISA: 5,000 + 1,000 clips (Cycles), unseen assets held out,
# and ~12 clips held out (val.csv) for the in-training benchmark validation.
_base_ = ["./cycles.py"]
batch = dict(
    output_dir="{{$PISA_DATA_ROOT:./data}}/sim/psft",
    num_samples=6000,
    workers=8,
    oro_fraction=1 / 6,
    val_fraction=0.002,
)
