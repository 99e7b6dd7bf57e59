# Fetch PisaBench (python -m evaluation.download): the released archives on the Hugging Face hub.
download = dict(
    repo_id="nyu-visionx/pisa-experiments",
    repo_type="dataset",
    revision=None,
    archives=dict(real="pisabench/real.zip", sim="pisabench/sim.zip"),
    splits=["real", "sim"],
    out_dir="{{$PISA_DATA_ROOT:./data}}/pisabench",
    archive_dir=None,
    expected_sha256=dict(),  # fill in to pin a release; the computed sha256 is always recorded
    allow_failures=False,
)
