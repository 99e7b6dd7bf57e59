"""Physics-IQ's released layout: test cases from ``descriptions.csv`` and where each file of a case lives.

``descriptions.csv`` (columns ``scenario, description, category, generated_video_name``) has one row
per real take: ``<id>_<view>_take-<k>_<scenario>.mp4``. A **case** is one scenario seen from one
view; take 1's id (0001–0198 in the release) names it and the generated video
(``generated_video_name``: ``<id>_<view>_<scenario>.mp4``; the release accepts any name that starts
with ``<id>_``). Under ``--real-root`` (the downloaded ``physics-IQ-benchmark`` folder):

- real takes: ``split-videos/testing/<fps>FPS/<id>_testing-videos_<fps>FPS_<view>_take-<k>_<scenario>.mp4``
  (``split-videos/testing-videos/`` is accepted too: the release's README names it so);
- real masks: ``video-masks/real/<fps>FPS/<id>_video-masks_<fps>FPS_<view>_take-<k>_<scenario>.mp4``;
- switch frames (the i2v condition): ``switch-frames/<id>_switch-frames_anyFPS_<view>_<scenario>.jpg``;
- conditioning videos (v2v): ``split-videos/conditioning/<fps>FPS/<id>_conditioning-videos_<fps>FPS_<view>_take-1_<scenario>.mp4``.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

from evaluation.core.errors import InputError

REAL_FPS = (8, 16, 24, 30)  # the frame rates the release ships
NAME = re.compile(r"^(?P<id>\d{4})_(?P<view>perspective-[a-z]+)_take-(?P<take>[12])_(?P<scenario>[^_]+)\.mp4$")


@dataclass(frozen=True)
class Case:
    """One scenario from one view: take 1 and take 2 ids, its category and description."""

    case_id: str  # take 1's id, e.g. "0001"
    take2_id: str
    view: str
    scenario: str
    category: str
    description: str
    generated_name: str

    @property
    def key(self) -> str:
        """``<id>_<view>_<scenario>``: the release's name of the generated video (without .mp4)."""
        return f"{self.case_id}_{self.view}_{self.scenario}"


def read_descriptions(path: str | os.PathLike) -> list[Case]:
    """Every case of ``descriptions.csv``; a malformed row or a take without its pair is an error naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "descriptions.csv does not exist (bash scripts/data_processing/download_physics_iq.sh)")
    takes: dict[tuple[str, str], dict] = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = {"scenario", "description", "category"} - set(reader.fieldnames or [])
        if missing:
            raise InputError(path, f"missing column(s) {sorted(missing)} (header: {reader.fieldnames})")
        for line, row in enumerate(reader, start=2):
            m = NAME.match(row["scenario"])
            if not m:
                raise InputError(
                    path, f"line {line}: scenario {row['scenario']!r} is not <id>_<view>_take-<k>_<name>.mp4"
                )
            entry = takes.setdefault((m["scenario"], m["view"]), {})
            if m["take"] in entry:
                raise InputError(path, f"line {line}: take {m['take']} of {m['scenario']} / {m['view']} appears twice")
            entry[m["take"]] = (m["id"], row)
    cases = []
    for (scenario, view), entry in sorted(takes.items(), key=lambda kv: kv[1].get("1", ("9999",))[0]):
        if set(entry) != {"1", "2"}:
            raise InputError(path, f"{scenario} / {view} has take(s) {sorted(entry)} only; the score needs both")
        (id1, row), (id2, _) = entry["1"], entry["2"]
        gen = row.get("generated_video_name") or f"{id1}_{view}_{scenario}.mp4"
        cases.append(Case(id1, id2, view, scenario, row["category"], row["description"], gen))
    return cases


def _first_existing(*paths: Path) -> Path:
    return next((p for p in paths if p.exists()), paths[0])


def testing_dir(root: Path, fps: int) -> Path:
    """The real takes' folder at ``fps``."""
    base = _first_existing(root / "split-videos" / "testing", root / "split-videos" / "testing-videos")
    return base / f"{fps}FPS"


def real_take(root: Path, case: Case, take: int, fps: int) -> Path:
    """A real take's video."""
    i = case.case_id if take == 1 else case.take2_id
    return testing_dir(root, fps) / f"{i}_testing-videos_{fps}FPS_{case.view}_take-{take}_{case.scenario}.mp4"


def real_mask(root: Path, case: Case, take: int, fps: int) -> Path:
    """A real take's released motion-mask video."""
    i = case.case_id if take == 1 else case.take2_id
    return (
        root
        / "video-masks"
        / "real"
        / f"{fps}FPS"
        / f"{i}_video-masks_{fps}FPS_{case.view}_take-{take}_{case.scenario}.mp4"
    )


def switch_frame(root: Path, case: Case) -> Path:
    """The i2v condition: the frame where the conditioning part ends."""
    return root / "switch-frames" / f"{case.case_id}_switch-frames_anyFPS_{case.view}_{case.scenario}.jpg"


def conditioning_video(root: Path, case: Case, fps: int) -> Path:
    """The v2v condition: the 3 s before the switch frame."""
    base = _first_existing(root / "split-videos" / "conditioning", root / "split-videos" / "conditioning-videos")
    return base / f"{fps}FPS" / f"{case.case_id}_conditioning-videos_{fps}FPS_{case.view}_take-1_{case.scenario}.mp4"


def match_predictions(pred_root: Path, cases: list[Case]) -> tuple[dict[str, Path], list[str], list[Path]]:
    """Generated videos by case id, the case ids without one, and entries that match no case or one twice.

    A generated video is any ``<id>_*.mp4`` or a sample folder ``<id>_*/`` of this project's schema.
    """
    if not pred_root.is_dir():
        raise InputError(pred_root, "--pred-root is not a folder")
    ids = {c.case_id for c in cases}
    found: dict[str, list[Path]] = {}
    extra = []
    for p in sorted(pred_root.iterdir()):
        if p.name.startswith("."):
            continue
        if not (p.suffix == ".mp4" or p.is_dir()):
            extra.append(p)
            continue
        i = p.name[:4]
        if i in ids and p.name[4:5] == "_":
            found.setdefault(i, []).append(p)
        else:
            extra.append(p)
    twice = [q for ps in found.values() if len(ps) > 1 for q in ps]
    matched = {i: ps[0] for i, ps in found.items() if len(ps) == 1}
    missing = sorted(ids - set(found))
    return matched, missing, extra + twice
