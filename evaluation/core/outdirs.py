"""Folders the project writes: who owns them, when they are complete, how they appear atomically.

The rules (README "Errors and recovery"), the same for every writer:

- **Never delete what we did not create.** A batch output folder (an evaluation run, a simulated
  batch, a conversion, generated videos, a training run) carries a marker ``.pisa-output.json``
  naming the job that made it. A job writes only into a folder that is new, empty or marked by
  the same job; anything else is an error that names the folder, and nothing is touched.
- **Complete means complete and valid.** A sample folder (or a training checkpoint) is assembled
  in a temporary sibling ``.<name>.tmp-<host>-<pid>``, then a completion record (``DONE``: every
  file with its size and sha256) is written last and the folder is renamed into place. On a
  re-run the record is checked against the files; a sample of ours that no longer matches it is
  regenerated (and said so), never silently kept.
- **Temporaries of dead processes are removed.** Only names of our temporary pattern, only on
  this host, only when that process no longer runs: gone, a zombie (``/proc/<pid>/stat``), or a
  PID now used by another process (the writer's start time is part of the name). Batches sweep
  again when they end, so a temporary whose killed writer was still being reaped at the start
  does not stay.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

from evaluation.core.errors import InputError
from evaluation.core.files import host_name, temp_name
from evaluation.core.identity import compare, write_record

OUTPUT_MARKER = ".pisa-output.json"
DONE_FILE = "DONE"
_TMP_RE = re.compile(r"^\.(?P<name>.+)\.tmp-(?:(?P<host>[A-Za-z0-9_.]+)-)?(?P<pid>\d+)(?:-(?P<start>\d+))?$")


def _pid_alive(pid: int, start: int | None = None) -> bool:
    """Whether the process that wrote a temporary still runs: not gone, not a zombie, not a reused PID."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):  # a zombie (killed, not yet reaped) or dead: it writes nothing more
        return False
    return start is None or int(fields[19]) == start  # another process now has this PID


def remove_stale_temporaries(parent: str | os.PathLike) -> list[Path]:
    """Delete our temporaries in ``parent`` whose process (on this host) is gone; returns them."""
    parent = Path(parent)
    if not parent.is_dir():
        return []
    removed = []
    host = host_name()
    for p in parent.iterdir():
        m = _TMP_RE.match(p.name)
        start = int(m["start"]) if m and m["start"] else None
        if m is None or (m["host"] or host) != host or _pid_alive(int(m["pid"]), start):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p)
    return removed


# --------------------------------------------------------------------------------------------
# output folders
# --------------------------------------------------------------------------------------------
def claim_output_dir(path: str | os.PathLike, job: str, *, create: bool = True) -> Path:
    """Make ``path`` this job's output folder, or fail without touching it.

    Accepted: a folder that does not exist (created when ``create``), an empty folder, or one
    whose marker names ``job``.

    Raises:
        InputError: the folder holds files and no marker of ``job`` (a user's folder, or another
            job's output).
    """
    path = Path(path)
    marker = path / OUTPUT_MARKER
    if path.exists() and not path.is_dir():
        raise InputError(path, "output path exists and is not a folder")
    if path.is_dir():
        owner = output_owner(path)
        if owner == job:
            return path
        entries = sorted(p.name for p in path.iterdir())
        if entries:
            what = f"the output of {owner!r}" if owner else f"files not written by PISA ({', '.join(entries[:4])}…)"
            raise InputError(
                path,
                f"output folder already holds {what}; nothing was written or deleted — "
                f"choose a new folder for this {job} run (outputs of PISA versions before the "
                f"{OUTPUT_MARKER} marker count as foreign: move them away yourself)",
            )
    if create:
        path.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"job": job}) + "\n")
    return path


def check_writable(path: str | os.PathLike) -> None:
    """Fail early (before models load) when ``path`` or its nearest existing parent cannot be written.

    Tries to create (and at once removes) a temporary file there: permission bits say nothing for
    root, nor for read-only or virtual file systems (``/sys``, ``/proc``).

    Raises:
        InputError: names the folder that is not writable.
    """
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    probe = p / temp_name("write-probe")
    try:
        if not p.is_dir():
            raise OSError("not a folder")
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise InputError(
            p, f"cannot write here ({e.strerror or e}; output folder {path}); choose another output folder"
        ) from e


def output_owner(path: str | os.PathLike) -> str | None:
    """The job named by the folder's marker (None without a readable marker)."""
    try:
        return json.loads((Path(path) / OUTPUT_MARKER).read_text()).get("job")
    except (OSError, ValueError, AttributeError):
        return None


# --------------------------------------------------------------------------------------------
# completion records
# --------------------------------------------------------------------------------------------
def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def write_done(folder: str | os.PathLike, name: str = DONE_FILE, *, hashes: bool = True) -> Path:
    """Record every file under ``folder`` (relative path, size and, when ``hashes``, sha256) in ``name``, written last.

    ``hashes=False`` suits multi-gigabyte training checkpoints, where sizes catch a cut file.
    """
    folder = Path(folder)
    files = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != name:
            entry = {"size": p.stat().st_size}
            if hashes:
                entry["sha256"] = file_sha256(p)
            files[p.relative_to(folder).as_posix()] = entry
    out = folder / name
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps({"complete": True, "files": files}, indent=1) + "\n")
    os.replace(tmp, out)
    return out


def completion_problem(folder: str | os.PathLike, name: str = DONE_FILE, *, hashes: bool = False) -> str | None:
    """Why ``folder`` is not complete (None when it is): missing record, missing or resized files.

    Sizes are always checked (a truncated file is caught); ``hashes=True`` also re-hashes every
    file (catches same-size corruption, costs a full read).
    """
    folder = Path(folder)
    try:
        record = json.loads((folder / name).read_text())
        files = record["files"]
    except FileNotFoundError:
        return f"no {name} record (unfinished)"
    except (OSError, ValueError, KeyError, TypeError):
        return f"its {name} record is unreadable"
    if not isinstance(files, dict):
        return f"its {name} record is unreadable"
    if not files:  # a DONE of an older version of the writer, without a file list
        return f"its {name} record lists no files (written by an older version)"
    for rel, want in files.items():
        p = folder / rel
        if not p.is_file():
            return f"{rel} is missing"
        size = p.stat().st_size
        if size != want.get("size"):
            return f"{rel} is {size} bytes, {want.get('size')} when written (truncated or changed)"
        if hashes and "sha256" in want and file_sha256(p) != want["sha256"]:
            return f"{rel} differs from its sha256 when written"
    return None


def has_done_record(folder: str | os.PathLike, name: str = DONE_FILE) -> bool:
    """Whether ``folder`` carries a completion record of ours (complete or not)."""
    return (Path(folder) / name).is_file()


def check_sample_target(final: str | os.PathLike) -> str:
    """State of a sample folder before it is (re)made: ``absent``, ``done``, ``broken: <why>``.

    Raises:
        InputError: it exists and is not ours (no completion record, not empty): it is never
            deleted or written into.
    """
    final = Path(final)
    if not final.exists() and not final.is_symlink():
        return "absent"
    if not final.is_dir():
        raise InputError(final, "exists and is not a folder; nothing was written or deleted")
    if not has_done_record(final):
        if any(final.iterdir()):
            raise InputError(
                final,
                "folder exists with files that are not a complete sample written by PISA (no DONE record); "
                "nothing was written or deleted — move it away or choose another output folder",
            )
        return "absent"
    problem = completion_problem(final)
    return "done" if problem is None else f"broken: {problem}"


def commit_folder(tmp: str | os.PathLike, final: str | os.PathLike, identity: dict | None = None) -> Path:
    """Write the stage record (``identity``, when given) and the completion record into ``tmp``, rename it to ``final``.

    ``final`` may be absent, an empty folder, or an earlier folder of ours (with a ``DONE``
    record) that is replaced; anything else raises :class:`InputError` and ``tmp`` is removed.
    """
    tmp, final = Path(tmp), Path(final)
    if identity is not None:
        write_record(tmp, identity)  # listed in DONE: part of what the folder holds
    write_done(tmp)
    try:
        state = check_sample_target(final)
    except InputError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if final.is_dir():
        if state == "absent":
            final.rmdir()  # empty
        else:
            shutil.rmtree(final)  # ours: its DONE record says we wrote it
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(final)
    return final


def sample_state(final: str | os.PathLike, identity: dict) -> tuple[str, list[str]]:
    """:func:`check_sample_target` and the stage record: ``absent``, ``same``, ``broken: …`` or ``changed`` (+ differences).

    Raises:
        InputError: the folder exists and is not ours.
    """
    state = check_sample_target(final)
    if state != "done":
        return state, []
    state, diffs = compare(final, identity)
    return ("same", []) if state == "same" else ("changed", diffs)


@contextlib.contextmanager
def staged_folder(final: str | os.PathLike, identity: dict | None = None):
    """Yield a temporary sibling of ``final`` to write a sample into; committed with :func:`commit_folder` on success.

    On any error the temporary folder is removed and ``final`` is left as it was.
    """
    final = Path(final)
    tmp = final.with_name(temp_name(final.name))
    if tmp.exists():
        shutil.rmtree(tmp)  # this process's own leftover
    try:
        yield tmp
        commit_folder(tmp, final, identity)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
