"""A Physics-IQ scoring run: every case of every prediction folder, the two scores, the run folder.

Reads only: nothing is written into ``real_root`` or any ``pred_roots`` folder (the output folder
may not be inside them); generated videos are matched by their 4-digit id, never renamed.
Writes to ``output_dir`` (as ``evaluation.run``): ``per_sample.jsonl`` (one line per case and
prediction folder), ``summary.json``, ``report.md``, ``figures/``, ``config.py``, ``env.json``; a run
with a failed video writes only ``failed-physics_iq.json`` and exits 1 unless ``allow_missing``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from evaluation.core.batch import DONE, FAILED, Outcome, finish, run_jobs
from evaluation.core.errors import ConfigError, InputError, UserError
from evaluation.core.files import write_json, write_text
from evaluation.core.outdirs import claim_output_dir
from evaluation.physics_iq import layout
from evaluation.physics_iq.metrics import VIEWS, Aggregates, bootstrap_scores, physics_iq_score, verified_sample_score
from evaluation.physics_iq.pipeline import Settings, real_view, score_case

JOB = "physics_iq"
RESULT_NAMES = ("per_sample.jsonl", "report.md", "figures", "config.py", "env.json", "summary.json")


@dataclass
class PhysicsIQArgs:
    """The ``physics_iq`` config section (``configs/eval/physics_iq.py``)."""

    real_root: str = "./data/physics_iq/physics-IQ-benchmark"  # the downloaded folder (released layout)
    pred_roots: list = field(default_factory=list)  # one folder per seed: <id>_*.mp4 or sample folders
    output_dir: str | None = None
    model: str = "model"
    descriptions: str | None = None  # default: <real_root>/descriptions.csv
    fps: int | None = None  # default: the predictions' own (all must share it)
    released_masks: bool = True  # the release's lossy mp4 round trip of masks (the leaderboard's numbers)
    allow_missing: bool = False
    workers: int | None = None
    cache_dir: str | None = None  # real masks by content; None: no cache
    cache_frames: bool = False  # also the real takes' working-size frames (~62 MB per 4K take at 8 fps)
    bootstrap_samples: int = 1000
    seed: int = 0
    figures: int = 4  # cases with a mask-overlay figure

    def worker_count(self, jobs: int) -> int:
        """Processes over cases (default: the machine's cores)."""
        return max(1, min(self.workers or os.cpu_count() or 1, jobs))


def _inside(child: Path, parent: Path) -> bool:
    c, p = child.resolve(), parent.resolve()
    return c == p or p in c.parents


def check_paths(a: PhysicsIQArgs) -> tuple[Path, list[Path], Path]:
    """The real root, the prediction folders and the output folder, checked before anything is read or written."""
    if not a.pred_roots:
        raise ConfigError("physics_iq.pred_roots is empty: give --pred-root FOLDER (once per seed)")
    if not a.output_dir:
        raise ConfigError("physics_iq.output_dir is not set: give --output-dir FOLDER")
    real = Path(a.real_root)
    if not real.is_dir():
        raise InputError(real, "--real-root is not a folder (bash scripts/data_processing/download_physics_iq.sh)")
    preds = [Path(p) for p in a.pred_roots]
    out = Path(a.output_dir)
    for p in [real, *preds]:
        if not p.is_dir():
            raise InputError(p, "is not a folder")
        if _inside(out, p):
            raise InputError(out, f"the output folder is inside {p}, which this run only reads; choose another")
    if len({p.resolve() for p in preds}) != len(preds):
        raise ConfigError("the same --pred-root is given twice")
    return real, preds, out


def run_fps(a: PhysicsIQArgs, preds: dict[int, dict[str, Path]]) -> tuple[int, list[Outcome]]:
    """The one frame rate of every prediction (or ``a.fps``); a video at another rate is an error naming it.

    An unreadable prediction is returned as a failure and dropped from ``preds``.
    """
    from evaluation.physics_iq.samples import sample_video
    from evaluation.physics_iq.video import probe

    rates: dict[float, list[Path]] = {}
    bad = []
    for matched in preds.values():
        for i, p in list(matched.items()):
            try:
                fps = sample_video(p).fps if p.is_dir() else probe(p)[0]
            except UserError as e:
                bad.append(Outcome(str(p), FAILED, error=str(e)))
                del matched[i]
                continue
            rates.setdefault(round(fps, 3), []).append(p)
    if not rates:
        raise InputError(Path(a.pred_roots[0]), "no prediction could be read")
    if a.fps is not None:
        wrong = [p for r, ps in rates.items() if not math.isclose(r, a.fps, abs_tol=0.01) for p in ps]
        if wrong:
            raise InputError(wrong[0], f"is not {a.fps} fps (physics_iq.fps); {len(wrong)} video(s) differ")
        return int(a.fps), bad
    if len(rates) > 1:
        listing = "; ".join(
            f"{r:g} fps: {ps[0]}" + (f" (+{len(ps) - 1})" if len(ps) > 1 else "") for r, ps in rates.items()
        )
        raise InputError(Path(a.pred_roots[0]), f"predictions at several frame rates ({listing})")
    (rate,) = rates
    if abs(rate - round(rate)) > 0.01 or round(rate) < 1:
        raise InputError(
            rates[rate][0], f"is {rate:g} fps; Physics-IQ scores whole frame rates (8, 16, 24, 30 are released)"
        )
    return int(round(rate)), bad


def score_one_case(job: tuple, real_root: Path, settings: Settings, cache_dir: Path | None) -> dict:
    """One case against every prediction folder: ``{"case": ..., "seeds": {k: metrics | {"error": ...}}}``."""
    case, paths, figure = job
    real = real_view(real_root, case, settings, cache_dir)
    seeds = {}
    for k, path in paths.items():
        try:
            kept: dict = {}
            m = score_case(real, path, settings, kept)
            seeds[k] = {"metrics": m, "verified": verified_sample_score(m)}
            if figure:
                mid = len(kept["frames"]) // 2
                seeds[k]["figure"] = {"real": real.take1[mid], "real_mask": real.mask1.max(axis=0),
                                      "pred": kept["frames"][mid], "pred_mask": kept["masks"].max(axis=0)}  # fmt: skip
        except UserError as e:
            seeds[k] = {"error": str(e)}
    return {"case": case, "seeds": seeds}


def _case_key(job: tuple) -> str:
    return job[0].key


def summarize(cases: list[layout.Case], results: list[dict], preds: list[Path], a: PhysicsIQArgs) -> tuple[list, dict]:
    """Records (one per case and seed) and the summary: both scores per seed, by category, intervals, seeds' spread."""
    records, per_seed = [], {k: {} for k in range(len(preds))}
    for res in results:
        c = res["case"]
        for k, out in res["seeds"].items():
            rec = {"case_id": c.case_id, "take2_id": c.take2_id, "view": c.view, "scenario": c.scenario,
                   "category": c.category, "seed_index": k, "pred": str(res["paths"][k])}  # fmt: skip
            if "error" in out:
                rec |= {"status": "failed", "error": out["error"]}
            else:
                rec |= {"status": "ok", "verified": out["verified"], **out["metrics"]}
                per_seed[k].setdefault(c.scenario, {})[c.view] = (c, out)
            records.append(rec)
    seeds = []
    for k in range(len(preds)):
        complete = {s: views for s, views in per_seed[k].items() if set(views) == set(VIEWS)}
        seeds.append(_seed_summary(complete, len({c.scenario for c in cases}), a, preds[k]))
    summary = {"benchmark": JOB, "model": a.model, "seeds": seeds, "released_masks": a.released_masks}
    for name in ("physics_iq", "verified"):
        vals = [s[name]["score"] for s in seeds if s[name]["score"] is not None]
        summary[name] = {"mean": float(np.mean(vals)) if vals else None,
                         "sd": float(np.std(vals, ddof=1)) if len(vals) > 1 else None, "per_seed": vals}  # fmt: skip
    return records, summary


def _seed_summary(complete: dict, total: int, a: PhysicsIQArgs, pred_root: Path) -> dict:
    out = {"pred_root": str(pred_root), "scenarios_scored": len(complete), "scenarios_total": total}
    if not complete:
        return out | {"physics_iq": {"score": None}, "verified": {"score": None}}
    names = sorted(complete)
    recs = [{v: complete[s][v][1]["metrics"] for v in VIEWS} for s in names]
    s = physics_iq_score(recs)
    agg = Aggregates.of(recs)
    boot = np.clip(bootstrap_scores(agg, a.bootstrap_samples, a.seed), 0, 100) if a.bootstrap_samples else None
    out["physics_iq"] = {"score": s["score"], "unclipped": s["unclipped"], "terms": s["terms"], "variance": s["variance"],
                         "ci95": [float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))] if boot is not None else None}  # fmt: skip
    samples = [(complete[n][v][0].category, complete[n][v][1]["verified"]) for n in names for v in VIEWS]
    ver = np.array([x for _, x in samples])
    rng = np.random.default_rng(a.seed)
    vboot = [ver[rng.integers(0, len(ver), len(ver))].mean() * 100 for _ in range(a.bootstrap_samples)]
    out["verified"] = {"score": float(ver.mean() * 100),
                       "ci95": [float(np.percentile(vboot, 2.5)), float(np.percentile(vboot, 97.5))] if vboot else None}  # fmt: skip
    by_cat = {}
    for cat in sorted({complete[n][VIEWS[0]][0].category for n in names}):
        idx = [i for i, n in enumerate(names) if complete[n][VIEWS[0]][0].category == cat]
        cs = physics_iq_score([recs[i] for i in idx])
        by_cat[cat] = {"scenarios": len(idx), "physics_iq": cs["score"],
                       "verified": float(np.mean([x for c, x in samples if c == cat]) * 100)}  # fmt: skip
    out["by_category"] = by_cat
    return out


def run(cfg) -> int:
    """Score as ``cfg.physics_iq`` says; returns the exit status."""
    from evaluation.core.config import config_to_dict, section
    from evaluation.core.runinfo import environment
    from evaluation.physics_iq.report import markdown_report, write_figures

    a = section(cfg, JOB, PhysicsIQArgs)
    real_root, pred_roots, out_dir = check_paths(a)
    cases = layout.read_descriptions(a.descriptions or real_root / "descriptions.csv")
    matched, problems = {}, []
    for k, root in enumerate(pred_roots):
        found, missing, extra = layout.match_predictions(root, cases)
        matched[k] = found
        problems += [
            Outcome(f"{root}/{i}_*.mp4", FAILED, error=f"{root}: no generated video for case {i}") for i in missing
        ]
        problems += [Outcome(str(p), FAILED, error=f"{p}: matches no Physics-IQ case (or a case twice)") for p in extra]
    if not any(matched.values()):
        raise InputError(pred_roots[0], "holds no generated video named <id>_*.mp4 for any case of descriptions.csv")
    fps, unreadable = run_fps(a, matched)
    problems += unreadable
    settings = Settings(fps=fps, released_masks=a.released_masks, cache_frames=a.cache_frames)
    cache_dir = Path(a.cache_dir) if a.cache_dir else None
    claim_output_dir(out_dir, JOB)
    jobs = [(c, {k: m[c.case_id] for k, m in matched.items() if c.case_id in m}, i < a.figures)
            for i, c in enumerate(cases)]  # fmt: skip
    jobs = [j for j in jobs if j[1]]
    fn = partial(score_one_case, real_root=real_root, settings=settings, cache_dir=cache_dir)
    outcomes = run_jobs(jobs, fn, key=_case_key, workers=a.worker_count(len(jobs)), desc="physics-iq", unit="case")
    results = []
    for job, o in zip(jobs, outcomes, strict=True):
        if o.status == FAILED:
            problems.append(o)
            continue
        o.value["paths"] = job[1]
        for k, v in o.value["seeds"].items():
            if "error" in v:
                problems.append(Outcome(f"{job[1][k]}", FAILED, error=v["error"]))
        results.append(o.value)
    records, summary = summarize(cases, results, pred_roots, a)
    summary |= {"fps": fps, "config": config_to_dict(cfg), "versions": environment(), "failed": len(problems)}
    done = [Outcome(f"{r['case_id']}:{r['seed_index']}", DONE) for r in records if r["status"] == "ok"]

    def write_results() -> None:
        cfg.dump(str(out_dir / "config.py"))
        write_json(out_dir / "env.json", summary["versions"])
        write_figures(out_dir / "figures", results)
        write_text(out_dir / "report.md", markdown_report(summary))
        lines = "".join(json.dumps(r) + "\n" for r in records)
        write_text(out_dir / "per_sample.jsonl", lines)
        write_json(out_dir / "summary.json", summary)  # last: its presence means a finished run
        print(_console(summary))
        print(f"results in {out_dir}/ (per_sample.jsonl, summary.json, report.md, figures/)")

    return finish(out_dir, JOB, [*done, *problems], allow=a.allow_missing, allow_flag="--allow-missing",
                  write_results=write_results, result_names=RESULT_NAMES, info={"config": summary["config"]})  # fmt: skip


def _console(summary: dict) -> str:
    lines = [f"Physics-IQ — {summary['model']} ({summary['fps']} fps, released masks: {summary['released_masks']})"]
    for k, s in enumerate(summary["seeds"]):
        p, v = s["physics_iq"], s["verified"]
        ci = f" [{p['ci95'][0]:.1f}, {p['ci95'][1]:.1f}]" if p.get("ci95") else ""
        lines.append(f"  seed {k}: Physics-IQ score {p['score']}{ci}, Verified {v['score']:.1f}"
                     f" ({s['scenarios_scored']}/{s['scenarios_total']} scenarios)" if p["score"] is not None
                     else f"  seed {k}: nothing scored")  # fmt: skip
    if len(summary["seeds"]) > 1:
        for name in ("physics_iq", "verified"):
            m = summary[name]
            lines.append(f"  {name}: {m['mean']:.2f} ± {m['sd']:.2f} over {len(m['per_seed'])} seeds")
    return "\n".join(lines)
