r"""Score predicted masks against PisaBench ground truth.

Usage::

    python -m evaluation.run configs/eval/real.py --config_file manifest.jsonl \
        --output_dir outputs/eval/my_model --model my_model
    python -m evaluation.run configs/eval/sim.py --gt-root data/pisabench/sim_256 \
        --pred-root outputs/my_model/sim_masks --output_dir outputs/eval/my_model_sim

Writes to ``--output_dir``: ``per_sample.jsonl`` (one line per input, in input order),
``summary.json`` (means, bootstrap 95 % intervals, counts, failures, config, versions),
``report.md`` (the paper's table with this run beside it), ``figures/``, and the resolved
``config.py`` and ``env.json`` (git commit, package versions, command line).

A video that cannot be scored (missing or corrupt mask, a ground-truth sample without
``mask.npz``, a prediction shorter than its ground truth — see ``--allow-short``) makes the run
fail: the folder then holds only ``failed-eval.json`` (every failure, the config, the versions)
and the exit status is 1. ``--allow-missing`` writes the results of the rest and lists the
failures in ``summary.json`` and ``failed-eval.json``. The output folder must be new, empty or an
earlier evaluation run (README "Errors and recovery").
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from evaluation import metrics as M
from evaluation.benchmark import EvalArgs, EvalItem, evaluate_item, load_items, summarize
from evaluation.core.batch import DONE, FAILED, Outcome, finish, run_jobs
from evaluation.core.config import config_to_dict, copy_flags, exit_now, parse_cli, run_reporting_errors, section
from evaluation.core.files import write_json, write_text
from evaluation.core.outdirs import claim_output_dir
from evaluation.core.runinfo import environment
from evaluation.figures import FigureArgs, write_figures
from evaluation.report import console_summary, json_safe, markdown_report

RESULT_NAMES = ("per_sample.jsonl", "report.md", "figures", "config.py", "env.json", "summary.json")

DEFAULT_CONFIG = (
    "configs/eval/base.py"  # per line, as the released eval.py: highest point with gt_annotation, else last
)


def _flags(p):
    p.add_argument(
        "--config_file", help="released-format JSONL manifest (gt_mask, gt_fps, gt_annotation?, pd_mask, pd_fps)"
    )
    p.add_argument(
        "--gt-root", "--gt_root", dest="gt_root", help="directory of ground-truth samples (mask.npz per sample)"
    )
    p.add_argument(
        "--pred-root", "--pred_root", dest="pred_root", help="directory of predicted samples, same sample ids"
    )
    p.add_argument("--output_dir", "--output-dir", dest="output_dir", help="where the results go")
    p.add_argument("--model", help="model name shown in the report")
    p.add_argument("--split", help="real | sim_seen | sim_unseen | custom (column group of the paper table)")
    p.add_argument("--workers", type=int, help="parallel processes over videos (output order is fixed)")
    p.add_argument(
        "--allow-missing",
        "--allow_missing",
        dest="allow_missing",
        action="store_true",
        default=None,
        help="count and list failed videos in summary.json instead of exiting with status 1",
    )
    p.add_argument(
        "--allow-short",
        "--allow_short",
        dest="allow_short",
        action="store_true",
        default=None,
        help="score predictions that end before the ground truth on the overlap (flagged short_prediction)",
    )


def evaluate_all(items: list[EvalItem], args: EvalArgs) -> list[dict]:
    """Score every item, in parallel over the machine's cores by default; records keep the input order."""
    outcomes = run_jobs(
        items,
        partial(evaluate_item, args=args),
        key=_item_key,
        workers=args.worker_count(len(items)),
        desc="evaluating",
        unit="video",
    )
    return [o.value for o in outcomes]


def _item_key(item: EvalItem) -> int:
    return item.index


def _outcome(record: dict) -> Outcome:
    ok = record["status"] == "ok"
    return Outcome(f"[{record['index']}] {record['pd_mask']}", DONE if ok else FAILED, record, record.get("error"))


def write_outputs(out_dir: Path, records: list[dict], summary: dict) -> None:
    """``per_sample.jsonl`` and ``summary.json``, each written atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(out_dir / "per_sample.jsonl", "".join(json.dumps(json_safe(r)) + "\n" for r in records))
    write_json(out_dir / "summary.json", json_safe(summary))


def run(cfg) -> int:
    """Evaluate as ``cfg`` says; returns the exit status (1 when videos failed and not allowed)."""
    args = section(cfg, "eval", EvalArgs)
    fig_args = section(cfg, "figures", FigureArgs)
    out_dir = Path(args.output_dir)
    items = load_items(args)
    claim_output_dir(out_dir, "eval")
    records = evaluate_all(items, args)
    summary = summarize(records, args)
    summary["config"] = config_to_dict(cfg)
    summary["versions"] = environment()

    def write_results() -> None:
        cfg.dump(str(out_dir / "config.py"))  # the resolved config, re-runnable as is
        write_json(out_dir / "env.json", summary["versions"])
        write_text(out_dir / "report.md", markdown_report([json_safe(summary)]))
        write_figures(out_dir, items, records, fig_args, args.object_selection, args.metrics or list(M.METRICS))
        write_outputs(out_dir, records, summary)  # summary.json last: its presence means a finished run
        print(console_summary(summary))
        print(f"results in {out_dir}/ (per_sample.jsonl, summary.json, report.md, figures/)")

    return finish(
        out_dir,
        "eval",
        [_outcome(r) for r in records],
        allow=args.allow_missing,
        allow_flag="--allow-missing",
        write_results=write_results,
        result_names=RESULT_NAMES,
        info={"config": summary["config"], "counts_by_stage": summary["counts"]},
    )


def main(argv=None) -> int:
    """Parse the command line, load the config, evaluate."""
    M.prepare_in_background()  # numba's start-up overlaps with reading the config and the manifest
    flags, cfg = parse_cli(
        argv, prog="python -m evaluation.run", description=__doc__, default_config=DEFAULT_CONFIG, add_flags=_flags
    )
    copy_flags(
        cfg,
        "eval",
        flags,
        (
            "config_file",
            "gt_root",
            "pred_root",
            "output_dir",
            "model",
            "split",
            "workers",
            "allow_missing",
            "allow_short",
        ),
    )
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    exit_now(main())
