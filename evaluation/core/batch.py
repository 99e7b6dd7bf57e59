"""The one batch-job runner: run jobs → collect failures → write results or a failure record → exit status.

Every batch CLI (``evaluation.run``, ``evaluation.convert``, ``evaluation.generate_masks``,
``evaluation.download``, ``sim_data.parallel``, ``opensora.inference``) goes through it, so the
rules of README "Errors and recovery" hold everywhere by construction:

- :func:`run_jobs` runs ``fn(job)`` for every job (in order, in a process pool, or on Ray), with
  one progress bar (in a log, when the output is not a terminal: a plain line at most once a
  minute, so a long batch written to a file is not silent for an hour). A job that raises one of the
  ``catch`` types becomes a ``failed`` :class:`Outcome` naming the job and the problem; the
  other jobs go on.
- :func:`finish` decides the run's fate. Without failures (or with them and ``allow``) it writes
  the results (each atomically) and, when there were failures, ``failed-<job>.json`` beside
  them. With failures and without ``allow`` it writes **only** ``failed-<job>.json`` (every
  failure, the config, the versions), removes result files an earlier run of the same job left
  in the folder, and returns exit status 1, so a failed run never leaves something that looks
  like a result.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evaluation.core.errors import MissingDependencyError, UserError

DONE, SKIPPED, FAILED = "done", "skipped", "failed"


@dataclass
class Outcome:
    """What became of one job: ``done`` / ``skipped`` (with a value) or ``failed`` (with the error)."""

    key: str
    status: str
    value: Any = None
    error: str | None = None
    traceback: str | None = None

    def record(self) -> dict:
        """JSON-safe summary for the failure record."""
        out = {"job": self.key, "status": self.status}
        if self.error is not None:
            out["error"] = self.error
        if self.traceback:
            out["traceback"] = self.traceback
        return out


def skipped(value: Any = None) -> Outcome:
    """What a job function returns for work that was already done (the key is filled in)."""
    return Outcome("", SKIPPED, value)


def _guarded(fn: Callable, key: Callable, catch: tuple, job) -> Outcome:
    name = str(key(job))
    try:
        value = fn(job)
    except catch as e:
        tb = None if isinstance(e, UserError) else traceback.format_exc(limit=6)
        msg = str(e) if isinstance(e, UserError) else f"{type(e).__name__}: {e}"
        return Outcome(name, FAILED, error=msg, traceback=tb)
    if isinstance(value, Outcome):
        value.key = value.key or name
        return value
    return Outcome(name, DONE, value)


def _one_thread_per_worker() -> None:
    """Pool initializer: each worker process runs its jobs on one thread.

    So workers × threads stays at the number of cores (numba's kernels, e.g. the metric kernel,
    read this variable).
    """
    os.environ["NUMBA_NUM_THREADS"] = "1"


def _local(jobs: Sequence, fn: Callable, workers: int, ordered: bool) -> Iterator[Outcome]:
    if workers == 1 or len(jobs) <= 1:
        yield from map(fn, jobs)
        return
    with get_context("spawn").Pool(min(workers, len(jobs)), initializer=_one_thread_per_worker) as pool:
        it = pool.imap(fn, jobs) if ordered else pool.imap_unordered(fn, jobs)
        yield from it


def _ray(jobs: Sequence, fn: partial, workers: int, address: str | None) -> Iterator[Outcome]:
    try:
        import ray
    except ImportError as e:
        raise MissingDependencyError("--launcher ray needs Ray: pip install 'ray[default]'") from e
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else workers, log_to_driver=False)
    try:
        remote = ray.remote(_guarded)
        pending = [remote.remote(*fn.args, job) for job in jobs]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()


def run_jobs(
    jobs: Iterable,
    fn: Callable,
    *,
    key: Callable = str,
    workers: int = 1,
    desc: str = "jobs",
    unit: str = "job",
    catch: tuple[type[BaseException], ...] = (UserError,),
    ordered: bool = True,
    launcher: str = "local",
    ray_address: str | None = None,
) -> list[Outcome]:
    """Run ``fn`` on every job; returns one :class:`Outcome` per job (input order when ``ordered``).

    ``fn`` and ``key`` must be picklable (module-level functions or partials of them) when
    ``workers > 1``. Exceptions outside ``catch`` (bugs) propagate with their traceback.
    """
    jobs = list(jobs)
    call = partial(_guarded, fn, key, catch)
    if launcher == "ray":
        stream = _ray(jobs, call, workers, ray_address)
    else:
        stream = _local(jobs, call, workers, ordered)
    return list(_progress(stream, len(jobs), desc, unit))


LOG_EVERY_S = 60.0  # a log's progress lines: at most one per this many seconds


def _progress(stream: Iterable, total: int, desc: str, unit: str) -> Iterator:
    """``stream`` with a tqdm bar on a terminal, else ``desc: i/total units, elapsed, ~left`` lines."""
    if sys.stderr.isatty():
        yield from tqdm(stream, total=total, desc=desc, unit=unit, mininterval=1.0)
        return
    t0 = last = time.monotonic()
    for i, item in enumerate(stream, 1):
        yield item
        now = time.monotonic()
        if now - last >= LOG_EVERY_S and i < total:
            last = now
            left = (now - t0) / i * (total - i)
            elapsed, eta = tqdm.format_interval(now - t0), tqdm.format_interval(left)
            print(f"{desc}: {i}/{total} {unit}s, {elapsed} elapsed, ~{eta} left", file=sys.stderr, flush=True)


def counts(outcomes: Sequence[Outcome]) -> dict[str, int]:
    """``{"done": n, "skipped": n, "failed": n, "total": n}``."""
    out = {s: sum(o.status == s for o in outcomes) for s in (DONE, SKIPPED, FAILED)}
    out["total"] = len(outcomes)
    return out


def failure_record_path(out_dir: str | os.PathLike, job: str) -> Path:
    """``<out_dir>/failed-<job>.json``."""
    return Path(out_dir) / f"failed-{job}.json"


def _remove(out_dir: Path, names: Sequence[str]) -> None:
    for name in names:
        p = out_dir / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()


def finish(
    out_dir: str | os.PathLike,
    job: str,
    outcomes: Sequence[Outcome],
    *,
    allow: bool,
    allow_flag: str,
    write_results: Callable[[], None] | None = None,
    result_names: Sequence[str] = (),
    info: dict | None = None,
) -> int:
    """Write the results or the failure record; print the failures; return the exit status.

    Args:
        out_dir: where results and ``failed-<job>.json`` go.
        job: the job's name in the failure record's file name (``eval``, ``convert``, …).
        outcomes: from :func:`run_jobs` (plus any failures found while collecting results).
        allow: the user's ``--allow-…`` flag: failures are listed but the results are written.
        allow_flag: that flag's spelling, for the message.
        write_results: writes every result file (called only when the run may produce results).
        result_names: the files/folders ``write_results`` makes; removed when the run fails
            (an earlier run's results) or when writing them raised.
        info: extra fields of the failure record (config, versions, counts).
    """
    from evaluation.core.files import write_json
    from evaluation.core.runinfo import environment

    out_dir = Path(out_dir)
    failed = [o for o in outcomes if o.status == FAILED]
    record_path = failure_record_path(out_dir, job)
    record = {
        "job": job,
        "counts": counts(outcomes),
        "failures": [o.record() for o in failed],
        **(info or {}),
        "versions": environment(),
    }
    for o in failed:
        print(f"  FAILED {o.key}: {o.error}", file=sys.stderr)
    if failed and not allow:
        _remove(out_dir, result_names)
        write_json(record_path, record)
        print(
            f"{len(failed)} of {len(outcomes)} failed; no results written, failures listed in {record_path} "
            f"(exit status 1; {allow_flag} writes the results of the rest)",
            file=sys.stderr,
        )
        return 1
    if write_results is not None:
        try:
            write_results()
        except BaseException:
            _remove(out_dir, result_names)
            raise
    if failed:
        write_json(record_path, record)
        print(f"{len(failed)} of {len(outcomes)} failed ({allow_flag}); listed in {record_path}", file=sys.stderr)
    elif record_path.exists():
        record_path.unlink()  # an earlier failed run's record: this run succeeded
    return 0
