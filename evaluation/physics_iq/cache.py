"""Real-take masks and physical variance cached by the content of the files they came from.

The release caches masks by folder name (``video-masks/generated/<folder name>/``), so a second
model in a folder of the same name silently reuses the first model's masks. Here only the real
takes' masks (and, with ``physics_iq.cache_frames``, their frames at the working size: the MSE
needs them, and decoding them is most of a run's time) are cached, under a key made of each source file's size, mtime and the
sha256 of its first and last MiB (:func:`quick_key`) and every setting that changes them; a
generated video is always read afresh.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from evaluation.core.files import atomic_write
from evaluation.core.identity import digest

VERSION = 1  # bump when what is cached changes
EDGE = 1 << 20


def quick_key(path: str | os.PathLike) -> str:
    """``size:mtime_ns:sha256(first MiB + last MiB)`` of a file (a 4K video need not be read whole)."""
    st = os.stat(path)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read(EDGE))
        if st.st_size > 2 * EDGE:
            f.seek(-EDGE, os.SEEK_END)
            h.update(f.read(EDGE))
    return f"{st.st_size}:{st.st_mtime_ns}:{h.hexdigest()}"


def entry(cache_dir: Path, sources: list[Path], settings: dict) -> Path:
    """The cache file for masks made from ``sources`` with ``settings``."""
    key = digest({"version": VERSION, "settings": settings,
                  "sources": [(p.name, quick_key(p)) for p in sources if p.is_file()]}, length=24)  # fmt: skip
    return cache_dir / "real" / f"{key}.npz"


def load(path: Path) -> dict | None:
    """A cached entry, or None when absent or damaged.

    Holds 0/1 masks of take 1 and take 2 at the working size (``mask1``, ``mask2``) and, when stored,
    both takes' working-size frames (``take1``, ``take2``).
    """
    if not path.is_file():
        return None
    try:
        with np.load(path) as z:
            shape = tuple(int(x) for x in z["shape"])
            n = int(np.prod(shape))
            out = {k: np.unpackbits(z[k])[:n].reshape(shape).astype(np.uint8) for k in ("mask1", "mask2")}
            out |= {k: z[k] for k in ("take1", "take2") if k in z.files}
            return out
    except (OSError, ValueError, KeyError):
        return None  # a damaged entry is recomputed (and rewritten)


def save(path: Path, mask1: np.ndarray, mask2: np.ndarray, frames: tuple | None = None) -> None:
    """Store both takes' 0/1 masks (bit-packed) and, with ``frames``, their working-size frames; atomically."""
    arrays = {"shape": np.asarray(mask1.shape), "mask1": np.packbits(mask1 > 0), "mask2": np.packbits(mask2 > 0)}
    if frames is not None:
        arrays |= {"take1": frames[0], "take2": frames[1]}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: np.savez(f, **arrays))
