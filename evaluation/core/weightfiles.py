"""Check weight files before a library loads them, so a truncated or corrupt file is named.

Loaders (``transformers`` / ``diffusers`` ``from_pretrained``, ``safetensors``, ``torch.load``)
fail on a cut file with messages that do not say which file (``HeaderTooLarge``, ``PytorchStreamReader
failed reading zip archive``, a JSON decode error in the middle of a config). :func:`check_weights`
reads only headers and sizes — no tensor data, no third-party imports — and raises
:class:`~evaluation.core.errors.InputError` naming the file and "truncated or corrupt".

- ``.safetensors``: the 8-byte header length, the JSON header, and the file size against the
  largest tensor end offset the header declares;
- ``.bin`` / ``.pt`` / ``.pth`` / ``.distcp``-free torch zip files: the zip central directory and
  every member's CRC (``torch.save`` writes zip archives);
- ``.json`` (``config.json``, indexes, processor configs): parses.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
from pathlib import Path

from evaluation.core.errors import InputError

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".json")


def check_safetensors(path: Path) -> None:
    """Header parses and the file holds every byte its header declares."""
    size = path.stat().st_size
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise InputError(path, f"truncated or corrupt safetensors file ({size} bytes, no header)")
            (n,) = struct.unpack("<Q", head)
            if n > size - 8:
                raise InputError(path, f"truncated or corrupt safetensors file (header of {n} bytes, file {size})")
            header = json.loads(f.read(n))
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(path, f"truncated or corrupt safetensors file (header: {e})") from e
    if not isinstance(header, dict):
        raise InputError(path, "truncated or corrupt safetensors file (header is not an object)")
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            end = max(end, int(entry["data_offsets"][1]))
        except (KeyError, TypeError, IndexError, ValueError) as e:
            raise InputError(path, f"truncated or corrupt safetensors file (entry {name!r})") from e
    if 8 + n + end != size:
        raise InputError(path, f"truncated or corrupt safetensors file ({size} bytes, header says {8 + n + end})")


def check_torch_zip(path: Path) -> None:
    """A ``torch.save`` zip archive whose members all pass their CRC check."""
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as f:
            magic = f.read(2)
        if magic == b"\x80\x02" or magic[:1] == b"\x80":  # legacy (pre-1.6) pickle format: not checkable here
            return
        raise InputError(path, "truncated or corrupt weights file (not a torch.save archive)")
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise InputError(path, f"truncated or corrupt weights file ({e})") from e
    if bad is not None:
        raise InputError(path, f"truncated or corrupt weights file (member {bad!r} fails its CRC)")


def check_json(path: Path) -> None:
    """The file is valid JSON."""
    try:
        json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(path, f"truncated or corrupt JSON ({e})") from e


def check_weight_file(path: str | os.PathLike) -> None:
    """Check one file by its suffix (other suffixes pass)."""
    path = Path(path)
    if path.suffix == ".safetensors":
        check_safetensors(path)
    elif path.suffix in (".bin", ".pt", ".pth"):
        check_torch_zip(path)
    elif path.suffix == ".json":
        check_json(path)


def check_weights(name_or_path: str | os.PathLike, remedy: str = "") -> None:
    """Check a local weights file, or every weight/config file of a local folder (two levels).

    A hub id (``owner/name``, no such local path) passes: the hub client verifies its own
    downloads. A name that can only be a path (``/…``, ``./…``, ``~…``, or more than one ``/``)
    and does not exist is an error naming it (and ``remedy``), before any library turns it into a
    hub lookup.
    """
    p = Path(name_or_path)
    if p.is_file():
        check_weight_file(p)
        return
    if not p.is_dir():
        text = str(name_or_path)
        if text.startswith(("/", ".", "~")) or text.count("/") > 1:
            hint = f"; {remedy}" if remedy else ""
            raise InputError(
                name_or_path, f"does not exist (a local weights path; a hub id looks like owner/name){hint}"
            )
        return
    for f in sorted([*p.glob("*"), *p.glob("*/*")]):
        if f.is_file() and f.suffix in _WEIGHT_SUFFIXES and not f.name.startswith("."):
            check_weight_file(f)
