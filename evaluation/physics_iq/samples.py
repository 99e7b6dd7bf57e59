"""Generated videos given as this project's sample folders (frames + ``clip_info.json``) instead of mp4 files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evaluation.core.errors import InputError
from evaluation.physics_iq.video import Video
from evaluation.schema import CLIP_INFO_FILE, SchemaError, list_frames, read_clip_info, read_image


def sample_video(folder: Path) -> Video:
    """A sample folder's frames (as BGR, like a decoded mp4) and its fps from ``clip_info.json``."""
    try:
        info = read_clip_info(folder / CLIP_INFO_FILE)
        frames = list_frames(folder)
    except SchemaError as e:
        raise InputError(folder, str(e)) from e
    fps = info.get("fps")
    if not fps:
        raise InputError(folder / CLIP_INFO_FILE, "has no fps")
    if not frames:
        raise InputError(folder, "has no frames")
    rgb = np.stack([read_image(p) for p in frames])
    return Video(np.ascontiguousarray(rgb[..., ::-1]), float(fps), len(frames))
