"""What made a result: the identity of its inputs and settings, recorded with it and compared on a rerun.

The rule (README "Errors and recovery"), after DVC's ``dvc.lock`` (each stage records its
dependencies' hashes and its parameters; ``dvc repro`` redoes exactly the stages whose record no
longer matches) and Snakemake's rerun triggers (input set, parameters, code):

- every resumable unit (a generated or imported sample, a masks file, an evaluation, a page, a
  training run) writes a **stage record** beside itself: the stage's name and code version, the
  fingerprints of its inputs and the settings that change its output;
- on a rerun the record is compared with what this run would record: the same → the unit is
  skipped (and the run says so); different → it is redone, or, where redoing would overwrite work
  the user may want (generated videos, a training run), refused with a message naming what
  differs (:class:`StaleResult`); no record (a folder of an older version, or the user's own
  file) → the caller decides, and never reports it as fresh.

Fingerprints are of **content**, not paths: a file up to :data:`WHOLE_HASH_LIMIT` bytes is
hashed whole (``sha256:…``, so a copy with a new mtime is still the same input); a larger one
(weights) by its size, mtime and the sha256 of its first and last MiB (``quick:…``: replacing or
rewriting it changes the fingerprint; only a same-size file written with its old mtime forged
would not). A folder's fingerprint hashes its files' relative paths and fingerprints, leaving out
our own bookkeeping files. A name that is not a local path (a hub id) is fingerprinted as
itself and the commit its local cache holds, when it is cached: the hub client checks its
downloads.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from evaluation.core.errors import UserError
from evaluation.core.files import write_json

WHOLE_HASH_LIMIT = 64 << 20  # videos, masks, frames, configs: hashed whole; weights above this: quick
EDGE_BYTES = 1 << 20  # quick fingerprints hash this much of each end of a large file
RECORD_SUFFIX = ".pisa-stage.json"
# bookkeeping files of ours, left out of a folder's fingerprint (they change when nothing else does)
_BOOKKEEPING = (".pisa-output.json", "DONE", "masks_run.json")


class StaleResult(UserError):
    """A result made by other inputs or settings would be overwritten; the message names what differs."""


# --------------------------------------------------------------------------------------------
# fingerprints
# --------------------------------------------------------------------------------------------
@functools.cache
def _file_fingerprint(path: str, size: int, mtime_ns: int, inode: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        if size <= WHOLE_HASH_LIMIT:
            while block := f.read(1 << 20):
                h.update(block)
            return f"sha256:{h.hexdigest()}"
        h.update(f.read(EDGE_BYTES))
        f.seek(max(size - EDGE_BYTES, 0))
        h.update(f.read(EDGE_BYTES))
    return f"quick:{size}:{mtime_ns}:{h.hexdigest()}"


def file_fingerprint(path: str | os.PathLike) -> str:
    """``sha256:<hex>`` of a file's content (``quick:<size>:<mtime>:<hex>`` above the limit); cached per process."""
    st = os.stat(path)
    return _file_fingerprint(os.path.realpath(path), st.st_size, st.st_mtime_ns, st.st_ino)


def _is_bookkeeping(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name in _BOOKKEEPING or name.endswith(RECORD_SUFFIX) or ".tmp-" in name


def files_fingerprint(root: str | os.PathLike, files: Iterable[str | os.PathLike]) -> str:
    """``tree:<hex>`` over the paths (relative to ``root``) and fingerprints of ``files``, bookkeeping left out."""
    root = Path(root)
    h = hashlib.sha256()
    for p in sorted(Path(f) for f in files):
        rel = p.relative_to(root).as_posix()
        if not _is_bookkeeping(rel):
            h.update(f"{rel}\0{file_fingerprint(p)}\n".encode())
    return f"tree:{h.hexdigest()}"


def folder_fingerprint(path: str | os.PathLike) -> str:
    """``tree:<hex>`` of every file under a folder (our bookkeeping files left out)."""
    return files_fingerprint(path, (p for p in Path(path).rglob("*") if p.is_file()))


def hub_revision(repo_id: str) -> str | None:
    """The commit of ``repo_id``'s ``main`` in the local Hugging Face cache (None when it is not cached).

    Read from the cache's documented layout (``$HF_HUB_CACHE`` or ``$HF_HOME/hub``, else
    ``~/.cache/huggingface/hub``: ``models--<owner>--<name>/refs/main``), so a new revision of a
    hub model gives a new fingerprint without importing the hub client.
    """
    cache = os.environ.get("HF_HUB_CACHE") or os.path.join(
        os.environ.get("HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface")), "hub"
    )
    ref = Path(cache) / f"models--{repo_id.replace('/', '--')}" / "refs" / "main"
    try:
        return ref.read_text().strip() or None
    except OSError:
        return None


def fingerprint(spec: str | os.PathLike | None) -> str | None:
    """A file's or folder's content fingerprint; a hub id as ``name:<id>[@<cached commit>]``."""
    if spec is None:
        return None
    p = Path(spec)
    if p.is_file():
        return file_fingerprint(p)
    if p.is_dir():
        return folder_fingerprint(p)
    revision = hub_revision(str(spec)) if str(spec).count("/") == 1 else None
    return f"name:{spec}" + (f"@{revision}" if revision else "")


def digest(obj: Any, length: int = 10) -> str:
    """A short stable hex digest of a JSON-able object (run-folder names, cache keys)."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


# --------------------------------------------------------------------------------------------
# stage records
# --------------------------------------------------------------------------------------------
def stage_identity(stage: str, version: int, *, inputs: Mapping[str, Any], settings: Mapping[str, Any]) -> dict:
    """The record of one unit: ``{"stage", "version", "inputs", "settings"}`` (JSON-normalised)."""
    ident = {"stage": stage, "version": version, "inputs": dict(inputs), "settings": dict(settings)}
    return json.loads(json.dumps(ident, sort_keys=True, default=str))


def record_path(result: str | os.PathLike) -> Path:
    """Where the record of ``result`` lives: ``<folder>/.pisa-stage.json`` or ``<dir>/.<file>.pisa-stage.json``."""
    result = Path(result)
    if result.is_dir():
        return result / RECORD_SUFFIX
    return result.with_name(f".{result.name}{RECORD_SUFFIX}")


def read_record(result: str | os.PathLike) -> dict | None:
    """The stage record of ``result`` (None when there is none or it does not read)."""
    try:
        data = json.loads(record_path(result).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_record(result: str | os.PathLike, identity: Mapping) -> Path:
    """Write the stage record of ``result`` (atomically; ``result`` must exist)."""
    return write_json(record_path(result), dict(identity))


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, str) and value.startswith(("sha256:", "quick:", "tree:")):
        return "content " + value.split(":")[-1][:10]
    return text if len(text) <= width else text[: width - 1] + "…"


def _flat(d: Mapping, prefix: str) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, Mapping) and v:
            out |= _flat(v, f"{prefix}{k}.")
        else:
            out[f"{prefix}{k}"] = v
    return out


def differences(old: Mapping | None, new: Mapping) -> list[str]:
    """What differs between two records, one readable line per leaf (``settings.seed: 1024 → 7``)."""
    if old is None:
        return ["no record of what made it"]
    a, b = _flat(old, ""), _flat(new, "")
    out = []
    for k in sorted(set(a) | set(b), key=lambda k: (not k.startswith(("stage", "version")), k)):
        if a.get(k, "∅") != b.get(k, "∅"):
            was = _short(a[k]) if k in a else "(absent)"
            now = _short(b[k]) if k in b else "(absent)"
            out.append(f"{k}: {was} → {now}")
    return out


def compare(result: str | os.PathLike, identity: Mapping) -> tuple[str, list[str]]:
    """``("absent" | "same" | "unrecorded" | "changed", differences)`` of ``result`` against ``identity``."""
    result = Path(result)
    if not result.exists():
        return "absent", []
    old = read_record(result)
    if old is None:
        return "unrecorded", ["no record of what made it"]
    diffs = differences(old, identity)
    return ("same", []) if not diffs else ("changed", diffs)


def refuse(result: str | os.PathLike, diffs: list[str], remedy: str, more: int = 0) -> StaleResult:
    """The error for a result of other inputs/settings that this run would overwrite (``more``: others like it)."""
    shown = "; ".join(diffs[:4]) + (f"; … ({len(diffs) - 4} more)" if len(diffs) > 4 else "")
    others = f" (and {more} more like it)" if more else ""
    return StaleResult(f"{result}{others} was made with other inputs or settings ({shown}); {remedy}")
