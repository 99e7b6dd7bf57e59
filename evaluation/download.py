"""Fetch the released PisaBench archives, verify, unpack and validate every clip.

Usage::

    python -m evaluation.download configs/data_processing/download_pisabench.py
    python -m evaluation.download --archive-dir /path/with/real.zip_and_sim.zip   # no hub access

Steps per split (``real``, ``sim``):

1. get ``pisabench/<split>.zip`` from the Hugging Face hub dataset ``nyu-visionx/pisa-experiments``
   with ``huggingface_hub`` (or take ``<archive_dir>/<split>.zip`` already on disk);
2. verify it: the CRC of every member (``zipfile.testzip``), no member escaping the target
   folder, and the sha256 against ``expected_sha256`` when one is configured (the sha256 is
   always recorded in ``<out_dir>/download_manifest.json``);
3. unpack into a temporary folder and rename it to ``<out_dir>/<split>`` (atomic; a split
   unpacked from the same archive is skipped on re-runs; a ``<split>`` folder that this tool did
   not unpack is an error, never deleted);
4. validate every sample with ``evaluation.schema.validate_sample`` and print a summary.

Invalid clips are listed; without ``--allow-failures`` the run then writes only
``failed-download.json`` (no ``download_manifest.json``) and exits 1.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.core.batch import Outcome, finish, run_jobs
from evaluation.core.config import config_to_dict, copy_flags, parse_cli, run_reporting_errors, section
from evaluation.core.errors import ConfigError, MissingDependencyError
from evaluation.core.files import temp_name, write_json
from evaluation.core.outdirs import file_sha256, remove_stale_temporaries
from evaluation.schema import SchemaError, find_samples, validate_sample

UNPACKED_STAMP = ".unpacked_from"  # sha256 of the archive a split folder was unpacked from

DEFAULT_CONFIG = "configs/data_processing/download_pisabench.py"


@dataclass
class DownloadArgs:
    """The ``download`` config section."""

    repo_id: str = "nyu-visionx/pisa-experiments"
    repo_type: str = "dataset"
    revision: str | None = None
    archives: dict = field(default_factory=lambda: {"real": "pisabench/real.zip", "sim": "pisabench/sim.zip"})
    splits: list[str] = field(default_factory=lambda: ["real", "sim"])
    out_dir: str = "data/pisabench"
    archive_dir: str | None = None  # take <archive_dir>/<split>.zip instead of the hub
    expected_sha256: dict = field(default_factory=dict)  # split -> hex digest, checked when given
    allow_failures: bool = False


def fetch_archive(split: str, args: DownloadArgs) -> Path:
    """Path of ``<split>.zip``: from ``archive_dir`` if set, else downloaded from the hub."""
    if split not in args.archives:
        raise ConfigError(f"download.splits: unknown split {split!r}; known: {sorted(args.archives)}")
    if args.archive_dir:
        path = Path(args.archive_dir) / Path(args.archives[split]).name
        if not path.is_file():
            raise SchemaError(path, "archive not found in --archive-dir")
        return path
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as e:  # pragma: no cover - huggingface_hub is in requirements/eval.txt
        raise MissingDependencyError("huggingface_hub is needed: pip install -r requirements/eval.txt") from e
    try:
        return Path(
            hf_hub_download(
                repo_id=args.repo_id,
                repo_type=args.repo_type,
                filename=args.archives[split],
                revision=args.revision,
                local_dir=str(Path(args.out_dir) / "_archives"),
            )
        )
    except Exception as e:  # the hub client raises many types (offline, 404, auth)
        raise SchemaError(
            f"hf://{args.repo_type}s/{args.repo_id}/{args.archives[split]}",
            f"download failed ({type(e).__name__}: {e}); without hub access, put {Path(args.archives[split]).name} "
            "in a folder and pass --archive-dir",
        ) from e


def verify_archive(path: Path, expected_sha256: str | None) -> str:
    """Check CRCs, member paths and (optionally) the sha256; returns the sha256."""
    digest = file_sha256(path)
    if expected_sha256 and digest != expected_sha256.lower():
        raise SchemaError(path, f"sha256 is {digest}, expected {expected_sha256}")
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise SchemaError(path, f"member {bad!r} fails its CRC check (corrupt download)")
            for name in zf.namelist():
                p = Path(name)
                if p.is_absolute() or ".." in p.parts:
                    raise SchemaError(path, f"member {name!r} would be written outside the target folder")
    except zipfile.BadZipFile as e:
        raise SchemaError(path, f"not a valid zip archive ({e})") from e
    return digest


def unpack(path: Path, target: Path, digest: str) -> Path:
    """Extract into ``target`` via a temporary sibling folder renamed at the end.

    An existing ``target`` is replaced only when this tool unpacked it (it has the stamp).

    Raises:
        SchemaError: ``target`` exists, holds files and was not unpacked by this tool.
    """
    if target.exists() and not (target / UNPACKED_STAMP).is_file() and any(target.iterdir()):
        raise SchemaError(
            target, "exists and was not unpacked by this tool; nothing was deleted — choose another --out-dir"
        )
    remove_stale_temporaries(target.parent)
    tmp = target.with_name(temp_name(target.name))
    try:
        with zipfile.ZipFile(path) as zf:
            zf.extractall(tmp)
        (tmp / UNPACKED_STAMP).write_text(digest + "\n")
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target


def _validate(sample: Path) -> dict:
    return validate_sample(sample, require_square=False)


def validate_split(root: Path) -> list[Outcome]:
    """Validate every sample under ``root`` (one outcome per clip)."""
    return run_jobs(find_samples(root), _validate, desc=f"validating {root.name}", unit="clip")


def run(cfg) -> int:
    """Fetch, verify, unpack and validate every configured split; returns the exit status."""
    args = section(cfg, "download", DownloadArgs)
    for split in args.splits:
        if split not in args.archives:
            raise ConfigError(f"download.splits: unknown split {split!r}; known: {sorted(args.archives)}")
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest, outcomes = {}, []
    for split in args.splits:
        archive = fetch_archive(split, args)
        digest = verify_archive(archive, args.expected_sha256.get(split))
        target = out / split
        stamp = target / UNPACKED_STAMP
        if not (stamp.is_file() and stamp.read_text().strip() == digest):
            unpack(archive, target, digest)
        results = validate_split(target)
        outcomes += results
        good = [o.value for o in results if o.status == "done"]
        sizes = sorted({(g["height"], g["width"]) for g in good})
        manifest[split] = {
            "archive": str(archive),
            "sha256": digest,
            "clips": len(results),
            "valid": len(good),
            "sizes": sizes,
        }
        print(f"{split}: {len(good)} valid clips, {len(results) - len(good)} invalid, frame sizes {sizes} -> {target}")
    return finish(
        out,
        "download",
        outcomes,
        allow=args.allow_failures,
        allow_flag="--allow-failures",
        write_results=lambda: write_json(out / "download_manifest.json", manifest),
        result_names=("download_manifest.json",),
        info={"splits": manifest, "config": config_to_dict(cfg)},
    )


def _flags(p):
    p.add_argument("--out-dir", "--out_dir", dest="out_dir", help="where the splits are unpacked")
    p.add_argument(
        "--archive-dir", "--archive_dir", dest="archive_dir", help="folder holding real.zip / sim.zip (skip the hub)"
    )
    p.add_argument("--splits", nargs="+", help="which splits (real sim)")
    p.add_argument(
        "--allow-failures",
        dest="allow_failures",
        action="store_true",
        default=None,
        help="exit 0 despite invalid clips",
    )


def main(argv=None) -> int:
    """Parse the command line and run."""
    flags, cfg = parse_cli(
        argv, prog="python -m evaluation.download", description=__doc__, default_config=DEFAULT_CONFIG, add_flags=_flags
    )
    copy_flags(cfg, "download", flags, ("out_dir", "archive_dir", "splits", "allow_failures"))
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    sys.exit(main())
