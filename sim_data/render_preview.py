"""Fast preview renderer: PyBullet's TinyRenderer (CPU, no Blender).

Produces the same outputs as the Cycles renderer: RGB, per-object visible masks (from the
segmentation buffer) and depth in metres along the camera axis (from the z-buffer). Lighting is
one directional light with shadows; materials are flat colours. A procedural environment is
approximated by flat colours (floor, and walls or the sky's horizon colour as the backdrop; see
``Environment.preview_colors``). Meant for tests and quick runs.
"""

from __future__ import annotations

import numpy as np

from sim_data.assets import AssetLibrary
from sim_data.physics import Trajectory, _xyzw
from sim_data.render_common import RenderOutput, fixture_mesh, visual_mesh
from sim_data.scene import DropScene

NEAR_M, FAR_M = 0.05, 30.0  # clip planes of the OpenGL projection
FLOOR_RGBA = [0.62, 0.58, 0.52, 1.0]
WALL_RGBA = [0.80, 0.83, 0.88, 1.0]
LIGHT_DIRECTION = [-1.0, 0.6, 2.0]  # towards the light (from the camera side, above)
BACKDROP_X_M = 8.0  # the far backdrop (sky stand-in) without walls


def _projection_matrix(p, scene: DropScene) -> list[float]:
    return p.computeProjectionMatrixFOV(fov=scene.camera.vertical_fov_deg, aspect=1.0, nearVal=NEAR_M, farVal=FAR_M)


def _view_matrix(p, scene: DropScene) -> list[float]:
    eye = np.asarray(scene.camera.position)
    return p.computeViewMatrix(
        cameraEyePosition=eye.tolist(), cameraTargetPosition=(eye + [1.0, 0, 0]).tolist(), cameraUpVector=[0, 0, 1]
    )


def zbuffer_to_depth(zbuf: np.ndarray, near: float = NEAR_M, far: float = FAR_M) -> np.ndarray:
    """OpenGL depth-buffer values in [0, 1] → distance along the camera axis (m)."""
    return far * near / (far - (far - near) * zbuf)


def _mesh_body(p, cid, verts: np.ndarray, faces: np.ndarray, color) -> int:
    """A visual-only body of a triangle mesh in one colour (its segmentation id is the body id)."""
    vis = p.createVisualShape(
        p.GEOM_MESH,
        vertices=verts.tolist(),
        indices=faces.reshape(-1).tolist(),
        rgbaColor=[*color, 1.0],
        physicsClientId=cid,
    )
    return p.createMultiBody(0, -1, vis, physicsClientId=cid)


def render_preview(scene: DropScene, traj: Trajectory, library: AssetLibrary) -> RenderOutput:
    """Render every frame of ``traj``.

    Raises:
        ImportError: pybullet is not installed.
    """
    try:
        import pybullet as p
    except ImportError as e:
        raise ImportError("pybullet is needed for the preview renderer: pip install -r requirements/sim.txt") from e
    r = scene.args.resolution
    env = scene.environment
    floor_rgba, back_rgba = env.preview_colors() if env is not None else (FLOOR_RGBA, WALL_RGBA)
    back_x = env.walls.back_x_m if env is not None and env.walls.layout != "none" else BACKDROP_X_M
    cid = p.connect(p.DIRECT)
    try:
        floor = p.createVisualShape(p.GEOM_BOX, halfExtents=[15, 15, 0.01], rgbaColor=floor_rgba, physicsClientId=cid)
        p.createMultiBody(0, -1, floor, basePosition=[0, 0, -0.01], physicsClientId=cid)
        wall = p.createVisualShape(p.GEOM_BOX, halfExtents=[0.01, 15, 15], rgbaColor=back_rgba, physicsClientId=cid)
        p.createMultiBody(0, -1, wall, basePosition=[back_x, 0, 0], physicsClientId=cid)
        if env is not None and env.walls.layout == "corner":
            side = p.createVisualShape(p.GEOM_BOX, halfExtents=[15, 0.01, 15], rgbaColor=back_rgba, physicsClientId=cid)
            p.createMultiBody(0, -1, side, basePosition=[0, env.walls.side_y_m, 0], physicsClientId=cid)
        for f in scene.fixtures:  # static: drawn once, in no mask
            _mesh_body(p, cid, *fixture_mesh(f), f.material.color)
        bodies = [
            _mesh_body(p, cid, *visual_mesh(scene, i, library), o.material.color) for i, o in enumerate(scene.objects)
        ]
        view, proj = _view_matrix(p, scene), _projection_matrix(p, scene)
        t_frames = traj.positions.shape[0]
        rgb = np.zeros((t_frames, r, r, 3), np.uint8)
        depth = np.zeros((t_frames, r, r), np.float32)
        masks = np.zeros((t_frames, len(bodies), r, r), bool)
        for k in range(t_frames):
            for i, b in enumerate(bodies):
                p.resetBasePositionAndOrientation(
                    b, traj.positions[k, i].tolist(), _xyzw(traj.quaternions[k, i]), physicsClientId=cid
                )
            _, _, img, zbuf, seg = p.getCameraImage(
                r,
                r,
                view,
                proj,
                shadow=1,
                lightDirection=LIGHT_DIRECTION,
                renderer=p.ER_TINY_RENDERER,
                physicsClientId=cid,
            )
            img = np.asarray(img, np.uint8).reshape(r, r, 4)
            rgb[k] = img[..., :3]
            depth[k] = zbuffer_to_depth(np.asarray(zbuf, np.float64).reshape(r, r))
            seg = np.asarray(seg).reshape(r, r)
            for i, b in enumerate(bodies):
                masks[k, i] = seg == b
        return RenderOutput(
            rgb=rgb, masks=masks, depth=depth, renderer="preview", info={"engine": "pybullet TinyRenderer"}
        )
    finally:
        p.disconnect(physicsClientId=cid)
