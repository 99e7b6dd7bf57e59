r"""Compare evaluation runs: ``leaderboard.md`` and a self-contained ``index.html``.

Usage::

    python -m evaluation.compare outputs/eval/model_a outputs/eval/model_b --output-dir outputs/compare
    python -m evaluation.compare RUN ... --output-dir D --videos 24 --screenshot figures/compare_page.png

Each ``RUN`` is an output folder of ``python -m evaluation.run`` (``summary.json`` and
``per_sample.jsonl``) or of ``python -m evaluation.physics_iq``, or a run folder of
``opensora.score_model`` (its ``eval/``; for ``--benchmark all``, every benchmark in it). The page holds, without any network access (inline CSS and script, media
files beside it):

- the paper's results table with these runs placed in their column groups (``split``);
- every metric with its bootstrap 95 % interval, sortable by clicking a column header;
- per video (the first ``--videos``, matched by sample id across runs): the ground truth and each
  model side by side as looping players with the evaluated object's mask tinted (green: ground
  truth, blue: prediction), the centroid trajectory x(t), y(t) of every model against the ground
  truth, the paper metrics and the per-video flags (vanished, static, short).

``--screenshot PNG`` renders the page with headless Chromium (Debian's ``chromium``) into a PNG.
"""

from __future__ import annotations

import html
import json
import math
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation import metrics as M
from evaluation.benchmark import align_indices
from evaluation.core.errors import ConfigError, InputError, MissingDependencyError, UserError
from evaluation.core.files import write_text
from evaluation.report import PAPER_METRICS, PAPER_RESULTS, PAPER_SPLITS, markdown_report
from evaluation.schema import SchemaError, list_frames, read_frames, read_mask, write_movie
from evaluation.svgplot import trajectory_svg

GT_TINT = np.array([40, 220, 80], np.float32)  # green: ground truth (as the run figures)
PD_TINT = np.array([60, 90, 255], np.float32)  # blue: prediction
TINT_ALPHA = 0.5
PHYSICS_NOTE = (
    "L2, Chamfer and IoU compare masks frame by frame: a prediction that falls at constant velocity along "
    "the right path can score almost as well as a correct fall, so the physics metrics (acceleration ratio, "
    "drop-time error) stand beside them."
)


@dataclass
class Run:
    """One evaluation run's summary and per-video records (keyed by sample id)."""

    path: Path
    summary: dict
    records: dict[str, dict]
    label: str = ""  # the name shown on the page: the model, made unique when two runs share it
    key: str = ""  # the run's own media folder (``run<i>-<model>``): never shared by two runs
    group: str = ""  # the --benchmark all run folder this run is a part of ("" for a run of its own)
    group_label: str = ""  # that run's name in the paper table (its splits share one row)

    @property
    def name(self) -> str:
        """The name shown for the run (its label; the model name before :func:`label_runs`)."""
        return self.label or self.summary["model"]

    @property
    def physics_iq(self) -> bool:
        """A Physics-IQ run (``python -m evaluation.physics_iq``) rather than a PisaBench evaluation."""
        return self.summary.get("benchmark") == "physics_iq"


def label_runs(runs: list[Run]) -> list[Run]:
    """Give each run a unique label (``model (folder)`` when models repeat) and its own media key."""
    models = [r.summary["model"] for r in runs]
    for i, r in enumerate(runs):
        model = r.summary["model"]
        folder = r.path.parent.name if r.path.name == "eval" else r.path.name  # a score run's eval/: its part
        r.label = model if models.count(model) == 1 else f"{model} ({folder or r.path})"
        if sum(x.label == r.label for x in runs[:i]):  # same model, same folder name: number them
            r.label = f"{r.label} #{i + 1}"
        r.key = f"run{i + 1}-{_slug(model)}"
    for r in runs:
        if r.group:
            same_model = {x.group for x in runs if x.summary["model"] == r.summary["model"]}
            r.group_label = r.summary["model"] + (f" ({Path(r.group).name})" if len(same_model) > 1 else "")
    return runs


def expand_runs(paths: list[str | Path]) -> list[Path]:
    """Evaluation run folders: each path itself, or a score run's ``eval/``, or every benchmark of a ``--benchmark all`` run.

    Raises:
        InputError: a ``--benchmark all`` run with no finished benchmark.
    """
    out = []
    for p in map(Path, paths):
        if (p / "summary.json").is_file():
            out.append(p)
        elif (p / "eval" / "summary.json").is_file():
            out.append(p / "eval")
        elif (p / "benchmarks.json").is_file():  # python -m opensora.score_model --benchmark all
            parts = sorted(q.parent for q in p.glob("*/eval/summary.json"))
            if not parts:
                raise InputError(p, "a --benchmark all run with no finished benchmark (no */eval/summary.json)")
            out += parts
        else:
            out.append(p)  # load_run names what is missing
    return out


def load_run(path: str | Path) -> Run:
    """Read ``summary.json`` and ``per_sample.jsonl`` of an evaluation run folder.

    Raises:
        InputError: not a finished evaluation run (no summary, or unreadable files).
    """
    path = Path(path)
    try:
        summary = json.loads((path / "summary.json").read_text())
        lines = (path / "per_sample.jsonl").read_text().splitlines()
        records = [json.loads(x) for x in lines if x.strip()]
    except FileNotFoundError as e:
        raise InputError(path, f"not a finished evaluation run ({Path(e.filename).name} is missing)") from e
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(path, f"unreadable evaluation run ({e})") from e
    group = path.parent.parent if path.name == "eval" else None
    group = str(group) if group is not None and (group / "benchmarks.json").is_file() else ""
    if summary.get("benchmark") == "physics_iq":
        return Run(path, summary, {}, group=group)  # scores only: its cases have no PisaBench video pages
    if any("sample_id" not in r for r in records) or "metrics" not in summary:
        raise InputError(path, "is neither a PisaBench evaluation run nor a Physics-IQ run (no sample ids / metrics)")
    return Run(path, summary, {r["sample_id"]: r for r in records}, group=group)


def physics_iq_table_html(runs: list[Run]) -> str:
    """Physics-IQ runs beside the published rows: both scores (mean ± sd over seeds; seed 0's 95 % CI)."""
    from evaluation.physics_iq.published import PHYSICS_IQ, VERIFIED

    if not runs:
        return ""
    verified = {(m, k): v for m, k, v in VERIFIED}
    rows = [f"<tr><td>{html.escape(m)} <span class=muted>({k}, published)</span></td><td>{v:.1f}</td>"
            f"<td>{_f(verified.get((m, k)), 1)}</td></tr>" for m, k, v in PHYSICS_IQ]  # fmt: skip
    rows += [f"<tr><td>{html.escape(m)} <span class=muted>({k}, published)</span></td><td>—</td><td>{v:.1f}</td></tr>"
             for m, k, v in VERIFIED if (m, k) not in {(a, b) for a, b, _ in PHYSICS_IQ}]  # fmt: skip
    for r in runs:
        cells = []
        for name in ("physics_iq", "verified"):
            agg, first = r.summary[name], r.summary["seeds"][0][name]
            text = _f(agg["mean"], 2 if name == "physics_iq" else 1)
            if agg.get("sd") is not None:
                text += f" ± {_f(agg['sd'], 2)}"
            if first.get("ci95"):
                text += f' <span class="muted small">[{first["ci95"][0]:.1f}, {first["ci95"][1]:.1f}]</span>'
            cells.append(f"<td><b>{text}</b></td>")
        rows.append(f'<tr class="run"><td><b>{html.escape(r.name)}</b></td>{"".join(cells)}</tr>')
    head = "<thead><tr><th>Model</th><th>Physics-IQ score</th><th>Physics-IQ Verified</th></tr></thead>"
    return (f'<h2>Physics-IQ</h2><table id="physics-iq">{head}<tbody>{"".join(rows)}</tbody></table>'
            '<p class="muted small">Scored by evaluation/physics_iq (values identical to the released code; README '
            '"Physics-IQ"); published rows were made with other generation settings.</p>')  # fmt: skip


# --------------------------------------------------------------------------------------------
# media
# --------------------------------------------------------------------------------------------
def tinted(frames: np.ndarray, mask: np.ndarray, tint: np.ndarray) -> np.ndarray:
    """``uint8 [T, H, W, 3]`` with the ``bool [T, H, W]`` pixels blended towards ``tint``."""
    out = frames.astype(np.float32)
    out[mask] = (1 - TINT_ALPHA) * out[mask] + TINT_ALPHA * tint
    return out.round().astype(np.uint8)


def _frames_or_black(sample_dir: Path, shape: tuple[int, int, int]) -> np.ndarray:
    """The sample's frames, or black frames of ``shape`` (T, H, W) when it has none (masks only)."""
    try:
        list_frames(sample_dir)
    except SchemaError:
        return np.zeros((*shape, 3), np.uint8)
    return read_frames(sample_dir, require_square=False)


def clip_pair(rec: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tinted ground-truth and prediction clips of one record (time-aligned at the prediction's fps) and their centroids."""
    gt_dir = Path(rec.get("gt_dir") or Path(rec["gt_mask"]).parent)  # runs before gt_dir was recorded
    pd_dir = Path(rec.get("pd_dir") or Path(rec["pd_mask"]).parent)
    k = rec["object_index"]
    gt_mask = read_mask(gt_dir / "mask.npz", require_square=False)
    pd_mask = read_mask(pd_dir / "mask.npz", require_square=False)
    k_pd = 0 if pd_mask.shape[1] == 1 else k
    idx = align_indices(pd_mask.shape[0], gt_mask.shape[0], rec["gt_fps"], rec["pd_fps"])
    gt_frames = _frames_or_black(gt_dir, (gt_mask.shape[0], *gt_mask.shape[2:]))
    pd_frames = _frames_or_black(pd_dir, (pd_mask.shape[0], *pd_mask.shape[2:]))
    n = len(idx)
    gt_m, pd_m = gt_mask[idx, k], pd_mask[:n, k_pd]
    gt_clip = tinted(gt_frames[idx], gt_m, GT_TINT)
    pd_clip = tinted(pd_frames[:n], pd_m, PD_TINT)
    return gt_clip, pd_clip, M.centroids(gt_m), M.centroids(pd_m)


def write_clip(path: Path, frames: np.ndarray, fps: float, out_dir: Path) -> str:
    """An H.264 ``.mp4`` of the frames (browsers play it); returns its path relative to the page."""
    write_movie(path, frames, fps)
    return path.relative_to(out_dir).as_posix()


# --------------------------------------------------------------------------------------------
# html
# --------------------------------------------------------------------------------------------
def _f(v, digits=3) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in text)


def paper_table_html(runs: list[Run]) -> str:
    """The published table with one row per run in its column group."""
    groups = "".join(f'<th colspan="3">{g}</th>' for g in ("Real", "Sim seen", "Sim unseen"))
    sub = "<th>L2↓</th><th>CD↓</th><th>IoU↑</th>" * 3
    rows = [
        f"<tr><td>{html.escape(n)} <span class=muted>(paper)</span></td>"
        + "".join(f"<td>{v:.3f}</td>" for v in vals)
        + "</tr>"
        for n, vals in PAPER_RESULTS.items()
    ]
    merged: dict[str, tuple[str, list[str]]] = {}  # one row per model run: the splits of a --benchmark all run share it
    for r in runs:
        if r.summary["split"].startswith("newton"):
            continue  # no published rows: the Newtonian split is in the metric and physical-constant tables
        name, cells = merged.setdefault(r.group or str(r.path), (r.group_label or r.name, ["—"] * 9))
        split = r.summary["split"] if r.summary["split"] in PAPER_SPLITS else "real"
        col = PAPER_SPLITS.index(split) * 3
        for j, m in enumerate(PAPER_METRICS):
            if m in r.summary["metrics"]:
                cells[col + j] = f"<b>{_f(r.summary['metrics'][m]['mean'])}</b>"
    for name, cells in merged.values():
        rows.append(
            f'<tr class="run"><td><b>{html.escape(name)}</b></td>' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
        )
    head = f'<thead><tr><th rowspan="2">Method</th>{groups}</tr><tr>{sub}</tr></thead>'
    return f'<table id="paper">{head}<tbody>{"".join(rows)}</tbody></table>'


def metric_table_html(runs: list[Run]) -> str:
    """Every metric with its 95 % interval; a click on a header sorts the rows (numbers by the mean)."""
    names = [n for n in M.METRICS if any(n in r.summary["metrics"] for r in runs)]
    head = "<th>run</th>" + "".join(
        f'<th title="{html.escape(M.METRICS[n].description)}">{n} {M.METRICS[n].arrow}</th>' for n in names
    )
    head += "<th>vanished</th><th>static</th><th>short</th><th>failed</th>"
    rows = []
    for r in runs:
        cells = [f"<td>{html.escape(r.name)}</td>"]
        for n in names:
            m = r.summary["metrics"].get(n)
            if m is None:
                cells.append('<td data-v="">—</td>')
                continue
            lo, hi = m["ci95"]
            ci = f'<br><span class="muted small">[{_f(lo)}, {_f(hi)}]</span>' if lo is not None else ""
            mean = m["mean"]
            cells.append(f'<td data-v="{"" if mean is None else mean}">{_f(mean)}{ci}</td>')
        c, fl = r.summary["counts"], r.summary["flags"]
        for key in ("videos_with_vanished_object", "videos_with_static_object", "videos_with_short_prediction"):
            cells.append(f'<td data-v="{fl.get(key, 0)}">{fl.get(key, 0)}/{c["evaluated"]}</td>')
        cells.append(f'<td data-v="{c["failed"]}">{c["failed"]}/{c["expected"]}</td>')
        rows.append('<tr class="run">' + "".join(cells) + "</tr>")
    return f'<table id="metrics" class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def physics_table_html(runs: list[Run]) -> str:
    """What each run's videos imply, by scenario and constant, beside the ground truth ("" without any)."""
    rows = []
    for r in runs:
        for scenario, consts in (r.summary.get("physics") or {}).items():
            for c, v in consts.items():
                lo, hi = v["pred_ci95"]
                ci = f' <span class="muted small">[{_f(lo)}, {_f(hi)}]</span>' if lo is not None else ""
                unit = f" {html.escape(v['unit'])}" if v["unit"] else ""
                rows.append(
                    f"<tr><td>{html.escape(r.name)}</td><td>{html.escape(scenario)}</td><td>{html.escape(c)}</td>"
                    f"<td>{_f(v['pred'])}{unit}{ci}</td><td>{_f(v['gt'])}{unit}</td><td>{v['n']}</td>"
                    f"<td>{v['failed']}</td></tr>"
                )
    if not rows:
        return ""
    head = "<tr><th>run</th><th>scenario</th><th>constant</th><th>implied</th><th>ground truth</th><th>videos</th><th>no estimate</th></tr>"
    return (
        "<h2>Physical constants by scenario</h2><p class='muted small'>Read off the masks on the motion plane "
        "(evaluation/physical.py): mean over the videos [bootstrap 95 % CI].</p>"
        f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _player(src: str, caption: str, extra: str = "") -> str:
    return f'<div class="player"><video src="{src}" autoplay loop muted playsinline></video><div>{caption}</div>{extra}</div>'


def video_row(sid: str, runs: list[Run], media: Path, out_dir: Path, split: str = "") -> str:
    """One video: the ground truth and each model's player, trajectories, metrics and flags."""
    cells, series, height, fps = [], {}, 1, 16.0
    for r in runs:
        rec = r.records.get(sid)
        if rec is None or rec.get("status") != "ok":
            why = html.escape((rec or {}).get("error", "not evaluated"))
            cells.append(f'<div class="player"><div class="missing">{html.escape(r.name)}: {why}</div></div>')
            continue
        gt_clip, pd_clip, c_gt, c_pd = clip_pair(rec)
        height, fps = gt_clip.shape[1], rec["pd_fps"]
        if not series:  # the ground truth once, first
            gt_dir = media / "ground_truth" / (_slug(split) if split else "")  # sample ids repeat across splits
            src = write_clip(gt_dir / f"{_slug(sid)}.mp4", gt_clip, fps, out_dir)
            cells.insert(0, _player(src, "ground truth"))
            series["ground truth"] = c_gt
        src = write_clip(media / r.key / f"{_slug(sid)}.mp4", pd_clip, fps, out_dir)
        flags = [
            f
            for f, on in (
                ("vanished", rec.get("object_vanished")),
                ("static", rec.get("object_static")),
                ("short", rec.get("short_prediction")),
            )
            if on
        ]
        stats = " · ".join(f"{m} {_f(rec.get(m))}" for m in ("l2", "chamfer_distance", "iou", "accel_ratio"))
        extra = f'<div class="muted small">{stats}</div>' + "".join(f'<span class="flag">{f}</span>' for f in flags)
        cells.append(_player(src, html.escape(r.name), extra))
        series[r.name] = c_pd
    trajs = trajectory_svg(series, 0, height, fps) + trajectory_svg(series, 1, height, fps)
    legend = " ".join(f'<span class="key k{i}">{html.escape(n)}</span>' for i, n in enumerate(series))
    return (
        f'<section class="video"><h3>{html.escape(sid)} <span class="muted small">{html.escape(split)}</span></h3><div class="players">{"".join(cells)}</div>'
        f'<div class="trajs">{trajs}<div class="legend">{legend}</div></div></section>'
    )


STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:12px 0;font-size:13px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}tr.run{background:#eef4ff}th{background:#f4f4f4}
table.sortable th{cursor:pointer}.muted{color:#888}.small{font-size:11px}
.players{display:flex;flex-wrap:wrap;gap:10px}.player{text-align:center;font-size:12px;width:200px}
video{width:200px;height:200px;background:#000}
.flag{display:inline-block;background:#ffe0d0;color:#a03000;border-radius:3px;padding:0 4px;margin:2px;font-size:11px}
.trajs{display:flex;gap:10px;align-items:center;margin-top:6px}.legend .key{margin-right:8px;font-size:12px}
.k0{color:#28b450}.k1{color:#3c5aff}.k2{color:#e0542b}.k3{color:#a040c0}.k4{color:#d0a000}.k5{color:#00a0b0}
section.video{border-top:1px solid #eee;padding:8px 0}
.missing{width:200px;height:200px;background:#eee;display:flex;align-items:center;justify-content:center}
"""
SCRIPT = """
document.querySelectorAll('table.sortable th').forEach(function(th, col){
  th.addEventListener('click', function(){
    var body = th.closest('table').tBodies[0], rows = Array.from(body.rows);
    var dir = th.dataset.dir === 'asc' ? -1 : 1;
    th.dataset.dir = dir === 1 ? 'asc' : 'desc';
    rows.sort(function(a, b){
      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
      if (x === undefined) return dir * a.cells[col].textContent.localeCompare(b.cells[col].textContent);
      return dir * ((x === '' ? Infinity : +x) - (y === '' ? Infinity : +y));
    });
    rows.forEach(function(r){ body.appendChild(r); });
  });
});
document.querySelectorAll('video').forEach(function(v){
  v.addEventListener('loadeddata', function(){ v.dataset.ready = '1'; });
  if (v.readyState >= 2) v.dataset.ready = '1';
});
"""


def render_page(runs: list[Run], videos: list[str], media: Path, out_dir: Path, title: str) -> str:
    """The whole ``index.html``: the PisaBench runs' sections, then the Physics-IQ runs' table."""
    others = physics_iq_table_html([r for r in runs if r.physics_iq])
    runs = [r for r in runs if not r.physics_iq]
    sources = ", ".join(html.escape(str(r.path)) for r in runs)
    head = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>"""
    if not runs:
        return f"{head}{others}<script>{SCRIPT}</script></body></html>"
    rows = "".join(video_row(sid, [r for r in runs if r.summary["split"] == split], media, out_dir, split)
                   for split, sid in videos)  # fmt: skip
    version = html.escape(runs[0].summary.get("benchmark_version", ""))
    return f"""{head}
<p class="muted">Benchmark {version}; {len(runs)} run(s): {sources}.</p>
<h2>Paper metrics beside the published rows</h2>{paper_table_html(runs)}
<p class="muted small">L2 and CD are the released definitions (lower is better), IoU higher is better.
Each run fills the column group of its split (the splits of one <code>--benchmark all</code> run share a row; the Newtonian split has no published rows).</p>
<h2>All metrics (mean [bootstrap 95 % CI]); click a header to sort</h2>{metric_table_html(runs)}
<p>{html.escape(PHYSICS_NOTE)}</p>
{physics_table_html(runs)}
<h2>Videos ({len(videos)} shown)</h2>
<p class="muted small">Green: the ground-truth mask of the evaluated object; blue: the model's.
Trajectories: the evaluated object's centroid in pixels.</p>
{rows}
{others}
<script>{SCRIPT}</script></body></html>"""


def common_videos(runs: list[Run], limit: int) -> list[tuple[str, str]]:
    """``(split, sample id)`` scored in at least one run, in the runs' order, at most ``limit`` (-1: all).

    A sample id names a video within its split only: runs of other splits are never shown side by side.
    """
    seen = list(dict.fromkeys((r.summary["split"], sid) for r in runs if not r.physics_iq
                              for sid, rec in r.records.items() if rec.get("status") == "ok"))  # fmt: skip
    return seen if limit < 0 else seen[:limit]


def chromium() -> str | None:
    """The Chromium executable on PATH (Debian: ``apt-get install chromium``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def screenshot(page: Path, png: Path, width: int = 1400, height: int = 2000) -> Path:
    """Render ``page`` with headless Chromium into ``png``.

    Raises:
        MissingDependencyError: no Chromium on PATH.
    """
    exe = chromium()
    if exe is None:
        raise MissingDependencyError("--screenshot needs Chromium: apt-get install chromium")
    png.parent.mkdir(parents=True, exist_ok=True)
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={width},{height}"]
    cmd += ["--virtual-time-budget=4000", f"--screenshot={png.resolve()}", page.resolve().as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    if not png.is_file():
        raise InputError(png, "Chromium wrote no screenshot")
    return png


PAGE_FILES = ("media", "leaderboard.md", "index.html")  # what a build writes (and replaces)


def build(run_dirs: list[str], out_dir: str | Path, videos: int = 12, title: str = "PisaBench comparison") -> Path:
    """Write ``leaderboard.md``, ``index.html`` and ``media/`` into ``out_dir``; returns the page.

    The new page is built whole in a temporary sibling folder and swapped in only when complete,
    so a failed rebuild (a run whose masks moved, a full disk) leaves the previous page as it was.

    Raises:
        UserError: no runs, a run folder that is not a finished evaluation, or an output folder
            that is not an earlier comparison page.
    """
    from evaluation.core.files import temp_name
    from evaluation.core.outdirs import OUTPUT_MARKER, claim_output_dir, remove_stale_temporaries

    if not run_dirs:
        raise ConfigError("give at least one evaluation run folder")
    runs = label_runs([load_run(p) for p in expand_runs(run_dirs)])
    out_dir = Path(out_dir)
    claim_output_dir(out_dir, "compare", create=False)
    remove_stale_temporaries(out_dir.absolute().parent)
    tmp = out_dir.absolute().parent / temp_name(out_dir.name)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        claim_output_dir(tmp, "compare")
        pisa = [{**r.summary, "model": r.name} for r in runs if not r.physics_iq]
        text = markdown_report(pisa, title=title) if pisa else f"# {title}\n"
        for r in runs:
            if r.physics_iq:
                from evaluation.physics_iq.report import markdown_report as physics_iq_report

                text += "\n" + physics_iq_report({**r.summary, "model": r.name}).replace(
                    "# Physics-IQ", "## Physics-IQ", 1
                )
        write_text(tmp / "leaderboard.md", text)
        write_text(tmp / "index.html", render_page(runs, common_videos(runs, videos), tmp / "media", tmp, title))
        if out_dir.is_dir():
            old = out_dir.absolute().parent / temp_name(out_dir.name + ".old")
            out_dir.rename(old)
            tmp.rename(out_dir)
            for p in old.iterdir():  # files put beside the earlier page (a screenshot) stay with the page
                if p.name not in (*PAGE_FILES, OUTPUT_MARKER):
                    p.rename(out_dir / p.name)
            shutil.rmtree(old)
        else:
            tmp.rename(out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir / "index.html"


def main(argv=None) -> int:
    """Parse the command line and build the page."""
    import argparse

    p = argparse.ArgumentParser(
        prog="python -m evaluation.compare", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("runs", nargs="+",
                   help="evaluation run folders (python -m evaluation.run --output_dir), or score_model run folders "
                        "(their eval/; every benchmark of a --benchmark all run)")  # fmt: skip
    p.add_argument("--output-dir", "--output_dir", dest="output_dir", default="outputs/compare", help="page folder")
    p.add_argument("--videos", type=int, default=12, help="per-video rows with players (-1: every video)")
    p.add_argument("--title", default="PisaBench comparison")
    p.add_argument("--screenshot", help="also render the page into this PNG with headless Chromium")
    a = p.parse_args(argv)
    try:
        page = build(a.runs, a.output_dir, a.videos, a.title)
        print(f"wrote {page} and {page.parent / 'leaderboard.md'}")
        if a.screenshot:
            print(f"screenshot: {screenshot(page, Path(a.screenshot))}")
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
