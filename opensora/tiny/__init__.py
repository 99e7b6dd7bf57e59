"""``tiny:`` weight specs — the one package where random tiny weights are made (tests and tiny configs only).

Wherever a config names weights by hub id or local path (``model.text_encoder_path``, a reward's
``model`` / ``weights``, ``validation.sam2_path``), it may instead name ``tiny:<family>`` with the
writer's options as a query, e.g. ``tiny:t5``, ``tiny:sam2?image_size=64``, ``tiny:depth_anything``,
``tiny:raft``, and a diffusers pipeline folder per video backbone (``tiny:cogvideox_5b_i2v``,
``tiny:wan2_1_i2v_14b_480p``, ``tiny:wan2_2_ti2v_5b``, ``tiny:ltx_video``). :func:`resolve_weights` writes random tiny weights of the real class in its real
on-disk format once, under ``$PISA_CKPT_ROOT/tiny/<family>[-<options>]-<source>`` (``<source>``: a
hash of the module that writes the family, so editing a preset writes a fresh folder instead of
reusing a stale one; atomically: a temporary
folder renamed into place, one process at a time; under torch.distributed rank 0 writes and the
others wait, because transformers 5 writes weights on rank 0 only), and returns the path the
ordinary loader then reads. Any other spec
comes back unchanged: a hub id is fetched by its loader, and a local path that does not exist is
the loader's error, naming it — real configs never fall back to random weights.

Specs are resolved **once, at the config edge**: every entry point of ``opensora`` passes its
loaded config through :func:`resolve_specs`, so loaders (the backbones, the perception adapters,
the rewards, validation) only ever see a hub id or a folder. The diffusers pipeline writers are
:mod:`opensora.tiny.pipelines`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from evaluation.core.config import artifact_root
from evaluation.core.errors import ConfigError
from evaluation.core.files import temp_name

SCHEME = "tiny:"


def _t5(folder: Path, **kw) -> Path:
    from opensora.models.text_encoder.t5 import save_tiny_t5

    return save_tiny_t5(folder, **kw)


def _sam2(folder: Path, **kw) -> Path:
    from evaluation.perception.sam2 import save_tiny_sam2

    return save_tiny_sam2(folder, **kw)


def _depth(folder: Path, **kw) -> Path:
    from evaluation.perception.depth import save_tiny_depth

    return save_tiny_depth(folder, **kw)


def _raft(folder: Path, **kw) -> Path:
    from evaluation.perception.raft import build_raft, save_raft

    save_raft(build_raft("raft_tiny", None, device="cpu"), folder / "raft_tiny.pth", "raft_tiny")
    return folder


def _pipeline(name: str):
    def write(folder: Path) -> Path:
        from opensora.tiny.pipelines import WRITERS as PIPELINES

        return PIPELINES[name](folder)

    return write


# family → (writer, option types); a writer makes the folder and returns it
WRITERS = {
    **{
        name: (_pipeline(name), {})
        for name in ("cogvideox_5b_i2v", "wan2_1_i2v_14b_480p", "wan2_2_ti2v_5b", "ltx_video")
    },
    "t5": (_t5, {"d_model": int}),
    "sam2": (_sam2, {"image_size": int, "seed": int, "mask_gain": float}),
    "depth_anything": (_depth, {"seed": int}),
    "raft": (_raft, {}),
}
# family → the module whose source defines its weights (hashed into the folder name)
SOURCES = {
    **{name: "opensora.tiny.pipelines" for name in WRITERS if "_" in name},
    "t5": "opensora.models.text_encoder.t5",
    "sam2": "evaluation.perception.sam2",
    "depth_anything": "evaluation.perception.depth",
    "raft": "evaluation.perception.raft",
}
FILES = {"raft": "raft_tiny.pth"}  # families whose loader takes a file inside the folder


def source_hash(family: str) -> str:
    """Eight hex digits of the SHA-1 of the module that writes ``family`` (read, not imported)."""
    import hashlib
    import importlib.util

    origin = importlib.util.find_spec(SOURCES[family]).origin
    return hashlib.sha1(Path(origin).read_bytes()).hexdigest()[:8]


def is_tiny(spec) -> bool:
    """Whether ``spec`` is a ``tiny:`` weight spec."""
    return isinstance(spec, str) and spec.startswith(SCHEME)


def parse(spec: str) -> tuple[str, dict]:
    """``"tiny:sam2?image_size=64"`` → ``("sam2", {"image_size": 64})``.

    Raises:
        ConfigError: unknown family or option, or an option value of the wrong type.
    """
    family, _, query = spec[len(SCHEME) :].partition("?")
    if family not in WRITERS:
        raise ConfigError(f"{spec!r}: unknown tiny family {family!r}; known: {sorted(WRITERS)}")
    types = WRITERS[family][1]
    options = {}
    for part in filter(None, query.split("&")):
        key, _, value = part.partition("=")
        if key not in types:
            raise ConfigError(f"{spec!r}: unknown option {key!r} for tiny:{family}; known: {sorted(types)}")
        try:
            options[key] = types[key](value)
        except ValueError as e:
            raise ConfigError(f"{spec!r}: option {key}={value!r} is not a {types[key].__name__}") from e
    return family, options


def _rank() -> int:
    """This process's rank when a torch.distributed process group is up (else 0)."""
    import sys

    dist = sys.modules.get("torch.distributed")  # only a process that imported torch can be in a group
    return dist.get_rank() if dist is not None and dist.is_available() and dist.is_initialized() else 0


def _wait_for(folder: Path, spec: str, timeout_s: float = 600.0) -> None:
    """Wait until rank 0 has renamed ``folder`` into place."""
    import time

    start = time.monotonic()
    while not folder.is_dir():
        if time.monotonic() - start > timeout_s:
            raise ConfigError(f"{spec}: rank {_rank()} waited {timeout_s:.0f} s for rank 0 to write {folder}")
        time.sleep(0.2)


def resolve_weights(spec: str | None, root: str | os.PathLike | None = None) -> str | None:
    """The path a loader should read for ``spec`` (``tiny:`` specs are written on first use).

    ``root`` defaults to ``$PISA_CKPT_ROOT/tiny`` (``./models/tiny``).
    """
    if not is_tiny(spec):
        return spec
    family, options = parse(spec)
    root = Path(root or artifact_root("PISA_CKPT_ROOT") / "tiny")
    name = family + "".join(f"-{k}{v}" for k, v in sorted(options.items())) + "-" + source_hash(family)
    folder = root / name
    if not folder.is_dir() and _rank() != 0:
        _wait_for(folder, spec)  # transformers writes weights on rank 0 only: let rank 0 make the folder
    if not folder.is_dir():
        import fcntl

        root.mkdir(parents=True, exist_ok=True)
        with open(root / f".{name}.lock", "w") as lock:  # one writer at a time (ranks start together)
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not folder.is_dir():  # the writer before us may have made it
                tmp = root / temp_name(name)
                try:
                    WRITERS[family][0](tmp, **options)
                    tmp.rename(folder)
                finally:
                    if tmp.exists():
                        shutil.rmtree(tmp)
    return str(folder / FILES[family]) if family in FILES else str(folder)


def resolve_specs(cfg):
    """Replace every ``tiny:`` spec among ``cfg``'s values (sections, lists, nested) by its folder; returns ``cfg``."""

    def walk(node):
        items = node.items() if hasattr(node, "items") else enumerate(node)
        for key, value in list(items):
            if is_tiny(value):
                node[key] = resolve_weights(value)
            elif hasattr(value, "items") or isinstance(value, list):
                walk(value)
            elif isinstance(value, tuple):
                node[key] = type(value)(resolve_weights(v) if is_tiny(v) else v for v in value)

    walk(cfg)
    return cfg
