"""Atomic file writing: a crash leaves the old file or no file, never a partial one."""

from __future__ import annotations

import functools
import json
import os
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluation.core.errors import InputError


@functools.cache
def host_name() -> str:
    """This host's name as it appears in temporaries (cached: every atomic write uses it)."""
    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname()) or "host"


@functools.cache
def process_start(pid: int | None = None) -> int | None:
    """A process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22; None off Linux).

    Recorded in temporaries' names, so a reused PID is not mistaken for the process that wrote one.
    """
    try:
        stat = Path(f"/proc/{pid or os.getpid()}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])  # fields after the (comm): state is 3rd, starttime 22nd


def temp_name(name: str) -> str:
    """``.<name>.tmp-<host>-<pid>[-<start>]``: the temporary sibling this process writes ``name`` in."""
    start = process_start(os.getpid())
    return f".{name}.tmp-{host_name()}-{os.getpid()}" + (f"-{start}" if start is not None else "")


def atomic_write(path: str | os.PathLike, write: Callable[[Any], None], mode: str = "wb") -> Path:
    """Call ``write(file_object)`` on a temporary file next to ``path``, then rename it.

    A crash leaves either the old file or no file, never a partial one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(temp_name(path.name))
    try:
        with open(tmp, mode) as f:
            write(f)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` atomically."""
    return atomic_write(path, lambda f: f.write(text), mode="w")


def read_json_object(path: str | os.PathLike) -> dict:
    """The JSON object in ``path``; an InputError names the file when it is corrupt or not an object."""
    try:
        data = json.loads(Path(path).read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(path, f"truncated or corrupt JSON ({e})") from e
    if not isinstance(data, dict):
        raise InputError(path, "must hold a JSON object")
    return data


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically."""
    return atomic_write(path, lambda f: json.dump(obj, f, indent=2, allow_nan=True), mode="w")
