# Shared evaluation settings (evaluation/benchmark.py: EvalArgs, evaluation/figures.py: FigureArgs),
# and the default of `python -m evaluation.run`: the evaluated object is chosen per manifest line as
# the released eval.py does (object_selection="auto": the highest annotated object when the line has
# gt_annotation, else the last object).
eval = dict(
    benchmark_version="pisabench-1.0",
    split="custom",
    model="model",
    config_file=None,
    gt_root=None,
    pred_root=None,
    gt_fps=None,
    pd_fps=None,
    output_dir="{{$PISA_OUT_ROOT:./outputs}}/eval/run",
    object_selection="auto",
    metrics=None,
    allow_missing=False,
    allow_short=False,
    workers=0,
    bootstrap_samples=1000,
    seed=0,
)
# a few per-video figures by default (cheap); -1 = every video; python -m evaluation.compare shows every video
figures = dict(enabled=True, trajectory_plots=4, filmstrip_videos=4, filmstrip_frames=8)
