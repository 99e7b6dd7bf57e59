"""The one data schema of PISA (README: Data schema): read, validate and write a sample directory.

Every part of the project goes through this module: the simulator writes samples with it, the
trainers and the benchmark read them with it. It needs only numpy and Pillow (PyAV, for
``movie.mp4``, is imported lazily), so the simulator can use it without torch.

A sample directory::

    rgba_00000.jpg ... (simulated) or 00000.jpg ... (real PisaBench)   frames, RGB
    movie.mp4 / movie.gif      the frames as a video, for people
    mask.npz                   "mask": bool [T, N, H, W]
    depth.npz                  "depth": float16 [T, H, W], metres (simulated only)
    flow.npz                   "forward_flow": float16 [T-1, H, W, 2], pixels, x right / y down
    clip_info.json             text, points, fps, num_frames, height, width (+ simulator metadata)

Every reader validates what it reads and raises :class:`SchemaError` naming the file and the
problem. Every writer is atomic: it writes a temporary file in the same directory and renames it.
"""

from __future__ import annotations

import json
import math
import os
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from evaluation.core.errors import InputError
from evaluation.core.files import atomic_write, write_json
from evaluation.npz import MissingKey, read_array

MASK_FILE = "mask.npz"
DEPTH_FILE = "depth.npz"
FLOW_FILE = "flow.npz"
CLIP_INFO_FILE = "clip_info.json"
MOVIE_FILE = "movie.mp4"
SIM_FRAME_PREFIX = "rgba_"  # simulated clips: rgba_00000.jpg; real PisaBench clips: 00000.jpg
# Training manifests (Open-Sora style CSV, one row per sample folder): written by
# sim_data.parallel, read by opensora.datasets.manifest; only the first two are required.
TRAINING_CSV_COLUMNS = (
    "path",
    "text",
    "num_frames",
    "height",
    "width",
    "aspect_ratio",
    "resolution",
    "sample",
    "split",
    "mask_strategy",
)
TRAINING_CSV_REQUIRED = ("path", "text")
_FRAME_RE = re.compile(r"^(rgba_)?(\d{5})\.(jpg|jpeg|png)$", re.IGNORECASE)


class SchemaError(InputError):
    """A file does not follow the data schema; the message names the file and the problem."""


# --------------------------------------------------------------------------------------------
# frames
# --------------------------------------------------------------------------------------------
def list_frames(sample_dir: str | os.PathLike) -> list[Path]:
    """Frame files of a sample in time order (``rgba_00000.jpg`` or ``00000.jpg``; jpg or png).

    Raises:
        SchemaError: no frames, both naming styles mixed, or a gap in the numbering.
    """
    sample_dir = Path(sample_dir)
    if not sample_dir.is_dir():
        raise SchemaError(sample_dir, "sample directory does not exist")
    found: dict[int, Path] = {}
    prefixes = set()
    for p in sample_dir.iterdir():
        m = _FRAME_RE.match(p.name)
        if m is None:
            continue
        idx = int(m.group(2))
        if idx in found:
            raise SchemaError(p, f"frame {idx} exists twice ({found[idx].name} and {p.name})")
        found[idx] = p
        prefixes.add(m.group(1) or "")
    if not found:
        raise SchemaError(sample_dir, "no frames (expected rgba_00000.jpg… or 00000.jpg…)")
    if len(prefixes) > 1:
        raise SchemaError(sample_dir, "mixes rgba_XXXXX and XXXXX frame names")
    missing = sorted(set(range(len(found))) - set(found))
    if missing:
        raise SchemaError(sample_dir, f"frame numbering has a gap: frame {missing[0]} is missing")
    return [found[i] for i in range(len(found))]


def read_frames(sample_dir: str | os.PathLike, *, require_square: bool = True) -> np.ndarray:
    """Read all frames of a sample as ``uint8 [T, H, W, 3]``.

    Raises:
        SchemaError: unreadable or truncated image, frames of different sizes, non-square frames
            (unless ``require_square=False``).
    """
    paths = list_frames(sample_dir)
    frames = [read_image(p) for p in paths]
    h, w = frames[0].shape[:2]
    for p, f in zip(paths, frames, strict=True):
        if f.shape[:2] != (h, w):
            raise SchemaError(p, f"frame is {f.shape[1]}x{f.shape[0]}, frame 0 is {w}x{h}")
    if require_square and h != w:
        raise SchemaError(paths[0], f"frames are {w}x{h}, not square (convert with --crop or --pad)")
    return np.stack(frames)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read one image as ``uint8 [H, W, 3]``; a truncated or corrupt file is a SchemaError."""
    try:
        with Image.open(path) as im:
            im.load()
            return np.asarray(im.convert("RGB"))
    except (OSError, ValueError, SyntaxError) as e:
        raise SchemaError(path, f"cannot read image ({e})") from e


def write_frames(
    sample_dir: str | os.PathLike, frames: np.ndarray, *, prefix: str = SIM_FRAME_PREFIX, quality: int = 95
) -> list[Path]:
    """Write ``uint8 [T, H, W, 3]`` frames as ``<prefix>00000.jpg`` …, each atomically."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 [T, H, W, 3], got {frames.dtype} {frames.shape}")
    out = []
    for i, frame in enumerate(frames):
        img = Image.fromarray(frame)
        out.append(
            atomic_write(
                Path(sample_dir) / f"{prefix}{i:05d}.jpg", lambda f, im=img: im.save(f, "JPEG", quality=quality)
            )
        )
    return out


def write_movie(path: str | os.PathLike, frames: np.ndarray, fps: float) -> Path:
    """Encode ``uint8 [T, H, W, 3]`` frames as H.264 mp4 with PyAV, atomically."""
    import av  # lazy: only writers of movies need FFmpeg

    frames = np.asarray(frames)
    h, w = frames.shape[1:3]

    def _write(f):
        with av.open(f, mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=round(fps))
            stream.width, stream.height = w + w % 2, h + h % 2  # yuv420p needs even sizes
            stream.pix_fmt = "yuv420p"
            for frame in frames:
                if frame.shape[:2] != (stream.height, stream.width):
                    frame = np.pad(frame, ((0, stream.height - h), (0, stream.width - w), (0, 0)), mode="edge")
                for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)

    return atomic_write(path, _write)


# --------------------------------------------------------------------------------------------
# npz arrays
# --------------------------------------------------------------------------------------------
def _load_npz_key(path: Path, key: str) -> np.ndarray:
    if not path.is_file():
        raise SchemaError(path, "file does not exist")
    try:
        return read_array(path, key)  # np.load's array, faster (evaluation/npz.py)
    except MissingKey as e:
        raise SchemaError(path, f"has no key {key!r} (keys: {', '.join(e.keys) or 'none'})") from None
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError) as e:
        raise SchemaError(path, f"cannot read npz ({type(e).__name__}: {e}); truncated or corrupt?") from e


def read_mask(
    path: str | os.PathLike,
    *,
    num_frames: int | None = None,
    height: int | None = None,
    width: int | None = None,
    require_square: bool = True,
) -> np.ndarray:
    """Read ``mask.npz`` (key ``mask``) as ``bool [T, N, H, W]``.

    Integer or float arrays are accepted when every value is 0 or 1 (the released files are not
    all boolean); anything else is an error.

    Raises:
        SchemaError: missing/corrupt file, missing key, wrong ndim, empty axis, NaN, non-binary
            values, non-square frames, or a shape that disagrees with the expected one.
    """
    path = Path(path)
    mask = _load_npz_key(path, "mask")
    if mask.ndim != 4:
        raise SchemaError(path, f"mask must be [T, N, H, W] (4-D), got shape {mask.shape}")
    if 0 in mask.shape:
        raise SchemaError(path, f"mask has an empty axis: shape {mask.shape}")
    mask = _as_binary(path, mask)
    t, _, h, w = mask.shape
    if require_square and h != w:
        raise SchemaError(path, f"mask frames are {w}x{h}, not square")
    for name, want, got in (("frames", num_frames, t), ("height", height, h), ("width", width, w)):
        if want is not None and want != got:
            raise SchemaError(path, f"mask has {got} {name}, expected {want}")
    return mask


def _as_binary(path: Path, arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind not in "iuf":
        raise SchemaError(path, f"mask dtype {arr.dtype} is not boolean or numeric")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise SchemaError(path, "mask contains NaN")
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        raise SchemaError(path, f"mask is not binary: contains value {arr[bad].flat[0]!r}")
    return arr.astype(bool)


def write_mask(path: str | os.PathLike, mask: np.ndarray) -> Path:
    """Write ``bool [T, N, H, W]`` as ``mask.npz`` (compressed), atomically."""
    mask = np.asarray(mask)
    if mask.ndim != 4 or mask.dtype != np.bool_:
        raise ValueError(f"mask must be bool [T, N, H, W], got {mask.dtype} {mask.shape}")
    return atomic_write(path, lambda f: np.savez_compressed(f, mask=mask))


def read_depth(path: str | os.PathLike) -> np.ndarray:
    """Read ``depth.npz`` (key ``depth``, float [T, H, W], metres; finite and non-negative)."""
    path = Path(path)
    depth = _load_npz_key(path, "depth")
    if depth.ndim != 3 or depth.dtype.kind != "f":
        raise SchemaError(path, f"depth must be float [T, H, W], got {depth.dtype} {depth.shape}")
    if not np.isfinite(depth).all() or (depth < 0).any():
        raise SchemaError(path, "depth contains NaN, inf or negative values")
    return depth


def write_depth(path: str | os.PathLike, depth: np.ndarray) -> Path:
    """Write depth (metres) as float16 ``[T, H, W]``, atomically."""
    depth = np.asarray(depth)
    if depth.ndim != 3:
        raise ValueError(f"depth must be [T, H, W], got {depth.shape}")
    return atomic_write(path, lambda f: np.savez_compressed(f, depth=depth.astype(np.float16)))


def read_flow(path: str | os.PathLike) -> np.ndarray:
    """Read ``flow.npz`` (key ``forward_flow``, float [T-1, H, W, 2], pixels; finite)."""
    path = Path(path)
    flow = _load_npz_key(path, "forward_flow")
    if flow.ndim != 4 or flow.shape[-1] != 2 or flow.dtype.kind != "f":
        raise SchemaError(path, f"forward_flow must be float [T-1, H, W, 2], got {flow.dtype} {flow.shape}")
    if not np.isfinite(flow).all():
        raise SchemaError(path, "forward_flow contains NaN or inf")
    return flow


def write_flow(path: str | os.PathLike, flow: np.ndarray) -> Path:
    """Write forward flow as float16 ``[T-1, H, W, 2]``, atomically."""
    flow = np.asarray(flow)
    if flow.ndim != 4 or flow.shape[-1] != 2:
        raise ValueError(f"flow must be [T-1, H, W, 2], got {flow.shape}")
    return atomic_write(path, lambda f: np.savez_compressed(f, forward_flow=flow.astype(np.float16)))


# --------------------------------------------------------------------------------------------
# clip_info.json
# --------------------------------------------------------------------------------------------
def read_clip_info(path: str | os.PathLike, *, height: int | None = None, width: int | None = None) -> dict:
    """Read and validate ``clip_info.json``.

    Checks the types of ``fps`` / ``num_frames`` / ``height`` / ``width`` when present and the
    ``points`` structure (one ``{"positive": [[x, y], …], "negative": […]}`` per object, every
    point inside the image). The image size comes from the arguments, else from the file.
    """
    path = Path(path)
    if not path.is_file():
        raise SchemaError(path, "file does not exist")
    try:
        info = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SchemaError(path, f"invalid JSON ({e})") from e
    if not isinstance(info, dict):
        raise SchemaError(path, f"top level must be an object, got {type(info).__name__}")
    for key, kind in (("fps", (int, float)), ("num_frames", int), ("height", int), ("width", int)):
        if key in info and (isinstance(info[key], bool) or not isinstance(info[key], kind) or info[key] <= 0):
            raise SchemaError(path, f"{key!r} must be a positive number, got {info[key]!r}")
    if "text" in info and not isinstance(info["text"], str):
        raise SchemaError(path, f"'text' must be a string, got {type(info['text']).__name__}")
    height = height or info.get("height")
    width = width or info.get("width")
    if "points" in info:
        validate_points(path, info["points"], height=height, width=width)
    return info


def validate_points(path, points: Any, *, height: int | None, width: int | None) -> None:
    """Check the per-object point prompts: structure, finite numbers, inside ``[0, W] x [0, H]``."""
    if not isinstance(points, list) or not points:
        raise SchemaError(path, "'points' must be a non-empty list with one entry per object")
    for i, obj in enumerate(points):
        if not isinstance(obj, dict) or "positive" not in obj:
            raise SchemaError(path, f"points[{i}] must be an object with a 'positive' list")
        if not obj["positive"]:
            raise SchemaError(path, f"points[{i}] has no positive point")
        for kind in ("positive", "negative"):
            for j, pt in enumerate(obj.get(kind, [])):
                where = f"points[{i}].{kind}[{j}]"
                if (
                    not isinstance(pt, (list, tuple))
                    or len(pt) != 2
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pt)
                ):
                    raise SchemaError(path, f"{where} must be [x, y], got {pt!r}")
                x, y = pt
                if not (math.isfinite(x) and math.isfinite(y)):
                    raise SchemaError(path, f"{where} is not finite: {pt!r}")
                if x < 0 or y < 0 or (width is not None and x > width) or (height is not None and y > height):
                    raise SchemaError(path, f"{where} = {pt!r} is outside the {width}x{height} image")


def write_clip_info(path: str | os.PathLike, info: dict) -> Path:
    """Write ``clip_info.json`` atomically (numpy values converted to JSON types)."""
    return write_json(path, to_jsonable(info))


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays (recursively) to plain JSON types."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def points_from_mask(mask: np.ndarray) -> list[dict]:
    """Derive one positive point per object from frame-0 masks ``bool [N, H, W]``.

    The positive point is the object pixel farthest from the object boundary (inside thin or
    concave shapes, unlike the centroid); no negative points are derived. Objects invisible in
    frame 0 raise ValueError.
    """
    from scipy.ndimage import distance_transform_edt  # scipy is a core dependency

    out = []
    for n, m in enumerate(np.asarray(mask, dtype=bool)):
        if not m.any():
            raise ValueError(f"object {n} is not visible in frame 0; cannot place a point prompt")
        dist = distance_transform_edt(np.pad(m, 1))[1:-1, 1:-1]
        y, x = np.unravel_index(np.argmax(dist), dist.shape)
        out.append({"positive": [[float(x), float(y)]], "negative": []})
    return out


# --------------------------------------------------------------------------------------------
# whole samples
# --------------------------------------------------------------------------------------------
def write_sample(
    sample_dir: str | os.PathLike,
    *,
    frames: np.ndarray,
    clip_info: dict,
    mask: np.ndarray | None = None,
    depth: np.ndarray | None = None,
    flow: np.ndarray | None = None,
    frame_prefix: str = SIM_FRAME_PREFIX,
    movie: bool = True,
) -> Path:
    """Write a complete sample directory; ``clip_info.json`` is written last.

    ``fps``, ``num_frames``, ``height`` and ``width`` are filled in from the frames when absent.
    """
    sample_dir = Path(sample_dir)
    t, h, w = frames.shape[:3]
    info = {"num_frames": t, "height": h, "width": w, **clip_info}
    if "fps" not in info:
        raise ValueError("clip_info needs 'fps'")
    write_frames(sample_dir, frames, prefix=frame_prefix)
    if mask is not None:
        if mask.shape[0] != t or mask.shape[2:] != (h, w):
            raise ValueError(f"mask shape {mask.shape} does not match frames {frames.shape}")
        write_mask(sample_dir / MASK_FILE, mask)
    if depth is not None:
        write_depth(sample_dir / DEPTH_FILE, depth)
    if flow is not None:
        write_flow(sample_dir / FLOW_FILE, flow)
    if movie:
        write_movie(sample_dir / MOVIE_FILE, frames, info["fps"])
    write_clip_info(sample_dir / CLIP_INFO_FILE, info)
    return sample_dir


def validate_sample(sample_dir: str | os.PathLike, *, require_square: bool = True) -> dict:
    """Read every file of a sample, check they agree with each other, return a short summary.

    Raises:
        SchemaError: the first problem found, naming the file.
    """
    sample_dir = Path(sample_dir)
    info_path = sample_dir / CLIP_INFO_FILE
    if not info_path.is_file():
        raise SchemaError(info_path, "missing clip_info.json")
    frames = read_frames(sample_dir, require_square=require_square)
    t, h, w = frames.shape[:3]
    info = read_clip_info(info_path, height=h, width=w)
    for key, got in (("num_frames", t), ("height", h), ("width", w)):
        if key in info and info[key] != got:
            raise SchemaError(info_path, f"{key} is {info[key]} but the frames give {got}")
    summary = {"sample": sample_dir.name, "frames": t, "height": h, "width": w, "objects": None}
    mask_path = sample_dir / MASK_FILE
    if mask_path.exists():
        mask = read_mask(mask_path, num_frames=t, height=h, width=w, require_square=require_square)
        summary["objects"] = mask.shape[1]
        if "points" in info and len(info["points"]) != mask.shape[1]:
            raise SchemaError(
                info_path, f"{len(info['points'])} point prompts but mask.npz has {mask.shape[1]} objects"
            )
    elif "points" in info:
        summary["objects"] = len(info["points"])
    if (sample_dir / DEPTH_FILE).exists():
        depth = read_depth(sample_dir / DEPTH_FILE)
        if depth.shape != (t, h, w):
            raise SchemaError(sample_dir / DEPTH_FILE, f"depth shape {depth.shape}, expected {(t, h, w)}")
    if (sample_dir / FLOW_FILE).exists():
        flow = read_flow(sample_dir / FLOW_FILE)
        if flow.shape != (t - 1, h, w, 2):
            raise SchemaError(sample_dir / FLOW_FILE, f"flow shape {flow.shape}, expected {(t - 1, h, w, 2)}")
    return summary


def is_sample_dir(path: str | os.PathLike) -> bool:
    """A sample folder holds ``clip_info.json`` or frames (``rgba_00000.jpg`` / ``00000.jpg`` …)."""
    path = Path(path)
    if (path / CLIP_INFO_FILE).is_file():
        return True
    try:
        return any(_FRAME_RE.match(p.name) for p in path.iterdir())
    except OSError:
        return False


def find_samples(root: str | os.PathLike) -> list[Path]:
    """Sample folders under ``root`` (any depth, symlinks followed, hidden folders skipped), sorted.

    A folder is a sample when it holds ``clip_info.json`` or frames; a sample may lack any other
    file (the caller decides whether that is an error). Symlink loops are visited once.
    """
    root = Path(root)
    if not root.is_dir():
        raise SchemaError(root, "directory does not exist")
    found, seen = [], set()
    for dirpath, dirnames, _ in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if Path(dirpath) != root and is_sample_dir(dirpath):
            found.append(Path(dirpath))
            dirnames[:] = []  # samples do not nest
    if not found and is_sample_dir(root):
        found.append(root)
    return sorted(found)
