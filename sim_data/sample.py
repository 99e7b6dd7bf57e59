"""One simulated sample in the data schema (README: Data schema), written through ``evaluation.schema``.

The sample is assembled in a temporary sibling folder (``.<seed>.tmp-<host>-<pid>``) and renamed
into place with a ``DONE`` record written last (every file with its size and sha256,
``evaluation.core.outdirs``), so a finished sample is never half-written, a killed run leaves at most
a temporary folder that the next run removes, and a sample damaged later (a file deleted or
truncated) is recognised and made again.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from evaluation.core.outdirs import DONE_FILE, completion_problem, staged_folder
from evaluation.core.runinfo import git_state, package_versions
from evaluation.schema import points_from_mask, write_sample
from sim_data.physics import Trajectory
from sim_data.render_common import RenderOutput, rigid_flow
from sim_data.scene import DropScene

__all__ = ["DONE_FILE", "is_done", "write_simulated_sample", "clip_info", "prompt_points"]


def is_done(sample_dir: str | os.PathLike) -> bool:
    """A sample is finished when its ``DONE`` record exists and every file it lists is there, whole."""
    return completion_problem(sample_dir) is None


def prompt_points(scene: DropScene, masks0: np.ndarray) -> list[dict]:
    """Frame-0 point prompts per object (the visible pixel farthest from the mask boundary).

    An object hidden in frame 0 gets the projection of its centre, flagged ``occluded: true``.
    """
    out = []
    for i, m in enumerate(masks0):
        if m.any():
            out.append(points_from_mask(m[None])[0])
        else:
            uv, _ = scene.camera.project(np.asarray(scene.objects[i].position))
            uv = np.clip(uv, 0, scene.args.resolution - 1).tolist()
            out.append({"positive": [uv], "negative": [], "occluded": True})
    return out


def clip_info(scene: DropScene, traj: Trajectory, render: RenderOutput) -> dict:
    """``clip_info.json`` content: the schema's keys plus the resolved simulation settings."""
    args = scene.args
    objects = []
    for i, o in enumerate(scene.objects):
        entry = {
            "asset_id": o.asset_id,
            "dynamic": o.dynamic,
            "mass": o.mass_kg,
            "friction": o.friction,
            "restitution": o.restitution,
            "scale": o.size_m,
            "material": o.material.__dict__,
            "positions": traj.positions[:, i].tolist(),
            "quaternions": traj.quaternions[:, i].tolist(),
            "final_speed": float(traj.final_speed[i]),
            "shape": o.shape,
        }
        if traj.linear_velocities is not None:
            entry["linear_velocities"] = traj.linear_velocities[:, i].tolist()
            entry["angular_velocities"] = traj.angular_velocities[:, i].tolist()
            entry["contacts"] = traj.contacts[i]
        if o.dynamic:
            entry["first_contact_frame"] = int(traj.first_contact_frame[i])
        objects.append(entry)
    return {
        "text": scene.caption,
        "scenario": scene.scenario,
        "constants": scene.constants or {"g": -args.gravity},
        "motion_plane": scene.motion_plane,
        "fixtures": [
            {k: (v.__dict__ if k == "material" else v) for k, v in f.__dict__.items()} for f in scene.fixtures
        ],
        "pendulum": scene.pendulum.__dict__ if scene.pendulum is not None else None,
        "points": prompt_points(scene, render.masks[0]),
        "fps": args.fps,
        "num_frames": args.num_frames,
        "height": args.resolution,
        "width": args.resolution,
        "seed": scene.seed,
        "gravity": [0.0, 0.0, args.gravity],
        "camera": scene.camera.to_json(),
        "objects": objects,
        "first_contact_frame": [int(traj.first_contact_frame[i]) for i, o in enumerate(scene.objects) if o.dynamic],
        "quaternion_format": "wxyz",
        "split": args.split,
        "hdri": scene.hdri,
        "background": args.background,
        "environment": scene.environment.to_json() if scene.environment is not None else None,
        "lights": [light.__dict__ for light in scene.lights],
        "renderer": {"name": render.renderer, **render.info},
        "physics": {
            "engine": "pybullet",
            "hz": scene.hz,
            "settle_steps": args.settle_steps if scene.settle_steps is None else scene.settle_steps,
            "parameters": scene.engine,
            "exact_contacts": scene.exact_contacts,
            "floor_friction": args.floor_friction if scene.floor_friction is None else scene.floor_friction,
            "floor_restitution": args.floor_restitution if scene.floor_restitution is None else scene.floor_restitution,
        },
        "sim_args": {k: (list(v) if isinstance(v, tuple) else v) for k, v in args.__dict__.items()},
        "versions": {"git": git_state(), "packages": package_versions()},
    }


def write_simulated_sample(
    sample_dir: str | os.PathLike,
    scene: DropScene,
    traj: Trajectory,
    render: RenderOutput,
    *,
    movie: bool = True,
    identity: dict | None = None,
) -> Path:
    """Write frames, movie, mask/depth/flow npz, clip_info.json, the stage record (``identity``) and DONE; atomic.

    Raises:
        InputError: ``sample_dir`` exists and is not a sample written by us (nothing is deleted).
    """
    sample_dir = Path(sample_dir)
    flow = rigid_flow(scene.camera, render.depth, render.masks, traj.positions, traj.quaternions)
    with staged_folder(sample_dir, identity) as tmp:
        write_sample(
            tmp,
            frames=render.rgb,
            clip_info=clip_info(scene, traj, render),
            mask=render.masks,
            depth=render.depth,
            flow=flow,
            movie=movie,
        )
    return sample_dir
