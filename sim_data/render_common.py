"""What every renderer returns, and the optical flow both derive from depth and object poses."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim_data.camera import Camera
from sim_data.mesh import box, cylinder


@dataclass
class RenderOutput:
    """Rendered clip.

    Attributes:
        rgb: ``uint8 [T, H, W, 3]``.
        masks: ``bool [T, N, H, W]`` visible pixels of each object (scene order).
        depth: ``float32 [T, H, W]`` metres along the camera axis.
        renderer: ``"preview"`` or ``"cycles"``.
        info: renderer settings and versions, recorded in ``clip_info.json``.
    """

    rgb: np.ndarray
    masks: np.ndarray
    depth: np.ndarray
    renderer: str
    info: dict = field(default_factory=dict)


def quat_to_matrix(q_wxyz: np.ndarray) -> np.ndarray:
    """Rotation matrices ``[..., 3, 3]`` from unit quaternions ``[..., 4]`` (w, x, y, z)."""
    w, x, y, z = np.moveaxis(np.asarray(q_wxyz, dtype=np.float64), -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
        ],
        -2,
    )


def rigid_flow(
    camera: Camera, depth: np.ndarray, masks: np.ndarray, positions: np.ndarray, quats: np.ndarray
) -> np.ndarray:
    """Forward optical flow ``float32 [T-1, H, W, 2]`` (pixels, x right / y down) of rigid objects.

    Each visible object pixel at frame t is lifted to 3-D with its depth, carried along with its
    object to frame t+1 and projected again; the static floor and background have zero flow.
    This is the exact motion field of the simulated scene (no occlusion reasoning: a pixel whose
    point becomes hidden at t+1 still gets where that point went).
    """
    t_frames, n, h, w = masks.shape
    flow = np.zeros((t_frames - 1, h, w, 2), np.float32)
    rot = quat_to_matrix(quats)  # (T, N, 3, 3)
    for t in range(t_frames - 1):
        for i in range(n):
            vv, uu = np.nonzero(masks[t, i])
            if len(vv) == 0:
                continue
            uv = np.stack([uu + 0.5, vv + 0.5], axis=1)
            world = camera.unproject(uv, depth[t, vv, uu].astype(np.float64))
            local = (world - positions[t, i]) @ rot[t, i]  # R^T (X - p)
            moved = local @ rot[t + 1, i].T + positions[t + 1, i]
            uv1, _ = camera.project(moved)
            flow[t, vv, uu] = (uv1 - uv).astype(np.float32)
    return flow


def visual_mesh(scene, i: int, library) -> tuple[np.ndarray, np.ndarray]:
    """Vertices ``[V, 3]`` (metres, the object's frame) and faces ``[F, 3]`` both renderers draw for object ``i``.

    The object's scaled mesh; a pendulum's bob also carries its rod (a thin cylinder from the
    bob's centre to the hinge, fixed in the bob's frame), so the rod is in the bob's mask.
    """
    obj = scene.objects[i]
    mesh = library.mesh(obj.asset_id)
    verts, faces = mesh.vertices * obj.size_m, mesh.faces
    pend = scene.pendulum
    if pend is None or pend.index != i:
        return verts, faces
    to_pivot = quat_to_matrix(np.asarray(obj.quaternion_wxyz)).T @ (np.asarray(pend.pivot) - np.asarray(obj.position))
    length = float(np.linalg.norm(to_pivot))
    rod = cylinder(pend.rod_radius_m, length, segments=12)  # along z, centred
    axis = to_pivot / length
    rot = _rotation_from_z(axis)
    rod_verts = rod.vertices @ rot.T + to_pivot / 2
    return np.concatenate([verts, rod_verts]), np.concatenate([faces, rod.faces + len(verts)])


def _rotation_from_z(axis: np.ndarray) -> np.ndarray:
    """A rotation taking +z to the unit vector ``axis``."""
    z = np.array([0.0, 0.0, 1.0])
    v, c = np.cross(z, axis), float(z @ axis)
    if np.linalg.norm(v) < 1e-12:
        return np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1 + c)


def fixture_mesh(f) -> tuple[np.ndarray, np.ndarray]:
    """World vertices ``[8, 3]`` and faces of a static box fixture."""
    m = box(2 * np.asarray(f.half_extents))
    return m.vertices @ quat_to_matrix(np.asarray(f.quaternion_wxyz)).T + np.asarray(f.position), m.faces
