"""Analytic drop clips: exact ballistic motion of simple shapes, projected by a pinhole camera.

Used by the benchmark self-test (``python -m evaluation.selftest``), the metric tests and the
speed benchmark. No physics engine and no renderer: the object's height follows
``z(t) = max(z_rest, z0 - g t² / 2)`` (restitution 0, as the simulator's floor), every object is a
sphere (drawn as a disk) or a cube seen face-on (drawn as a square) at a fixed depth, and the
camera is the PISA simulator's (at (-2, 0, h) looking along +x, 35 mm lens on a 32 mm sensor).

Physically perturbed predictions (:data:`VARIANTS`) change only the dropped object's motion:
gravity ×0.5 and ×2, a frozen object, a constant-velocity fall that lands at the right time, and
an object that vanishes half-way through the clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluation.schema import points_from_mask

FOCAL_MM = 35.0  # the Kubric camera PISA uses (kubric: challenges/movi/movi_ab_worker.py)
SENSOR_MM = 32.0
CAMERA_X_M = -2.0  # starting camera position; moved back until the fall is in view
VIEW_MARGIN = 0.9  # keep objects inside the central 90 % of the half field of view
GRAVITY = 9.81
VARIANTS = ("ground_truth", "gravity_x0.5", "gravity_x2", "frozen", "constant_velocity", "vanish")
_PALETTE = np.array(
    [[200, 60, 50], [60, 120, 200], [230, 180, 40], [80, 170, 90], [150, 80, 170], [220, 120, 40]], dtype=np.float64
)


@dataclass(frozen=True)
class Body:
    """A sphere or cube. ``x`` is depth-axis position, ``y`` lateral, ``z0`` the starting centre height (m)."""

    shape: str  # "sphere" | "cube"
    half_size_m: float
    x: float
    y: float
    z0: float
    z_rest: float  # centre height when resting on whatever is below
    dynamic: bool
    color: int


@dataclass(frozen=True)
class AnalyticScene:
    """One clip: bodies (dropped object last, the simulated-clip convention) and the camera."""

    bodies: tuple[Body, ...]
    camera_x_m: float
    camera_z_m: float
    resolution: int
    num_frames: int
    fps: float
    seed: int

    @property
    def focal_px(self) -> float:
        """Focal length in pixels."""
        return FOCAL_MM / SENSOR_MM * self.resolution


def sample_scene(rng: np.random.Generator, *, resolution: int, num_frames: int, fps: float, seed: int) -> AnalyticScene:
    """Draw one scene: a dropped object, sometimes landing on a static cube below it."""
    half = float(rng.uniform(0.08, 0.16))
    colors = rng.permutation(len(_PALETTE))
    x, y = float(rng.uniform(-0.4, 0.4)), float(rng.uniform(-0.4, 0.4))
    bodies = []
    floor = 0.0
    if rng.random() < 0.5:  # a static "tower" block under the dropped object
        block = float(rng.uniform(0.08, 0.15))
        bodies.append(Body("cube", block, x + 0.05, y, block, block, False, int(colors[1])))
        floor = 2 * block
    shape = "sphere" if rng.random() < 0.6 else "cube"
    z0 = float(rng.uniform(0.5, 1.5)) + floor * 0.5
    bodies.append(Body(shape, half, x, y, z0, floor + half, True, int(colors[0])))
    cam_z = float(rng.uniform(0.4, 0.6))
    return AnalyticScene(tuple(bodies), _camera_x(bodies, cam_z), cam_z, resolution, num_frames, fps, seed)


def _camera_x(bodies: list[Body], cam_z: float) -> float:
    """Move the camera back from x = -2 m until every body, from its start to the floor, is in view."""
    tan_half = SENSOR_MM / 2 / FOCAL_MM * VIEW_MARGIN
    cam_x = CAMERA_X_M
    for b in bodies:
        reach = max(b.z0 + b.half_size_m - cam_z, cam_z, abs(b.y) + b.half_size_m)  # top, floor, side
        cam_x = min(cam_x, b.x - reach / tan_half)
    return cam_x


def heights(body: Body, t: np.ndarray, variant: str = "ground_truth", g: float = GRAVITY) -> np.ndarray:
    """Centre height ``float [T]`` (m) of ``body`` at times ``t`` (s) under a motion variant."""
    if not body.dynamic:
        return np.full_like(t, body.z0)
    fall = body.z0 - body.z_rest
    if variant in ("ground_truth", "vanish"):
        return np.maximum(body.z_rest, body.z0 - 0.5 * g * t**2)
    if variant.startswith("gravity_x"):
        return np.maximum(body.z_rest, body.z0 - 0.5 * g * float(variant[len("gravity_x") :]) * t**2)
    if variant == "frozen":
        return np.full_like(t, body.z0)
    if variant == "constant_velocity":
        t_contact = np.sqrt(2 * fall / g)
        return np.maximum(body.z_rest, body.z0 - fall * t / t_contact)
    raise ValueError(f"unknown variant {variant!r}; choose from {VARIANTS}")


def contact_frame(body: Body, fps: float, g: float = GRAVITY) -> int:
    """First frame index at which the dropped body rests (ground truth)."""
    return int(np.ceil(np.sqrt(2 * (body.z0 - body.z_rest) / g) * fps))


def render(scene: AnalyticScene, variant: str = "ground_truth") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render a clip.

    Returns:
        frames ``uint8 [T, H, W, 3]``, visible masks ``bool [T, N, H, W]`` (N = bodies, in scene
        order) and world positions ``float [T, N, 3]``.
    """
    r, n_t = scene.resolution, scene.num_frames
    t = np.arange(n_t) / scene.fps
    yy, xx = np.mgrid[0:r, 0:r] + 0.5
    frames = np.empty((n_t, r, r, 3), np.uint8)
    masks = np.zeros((n_t, len(scene.bodies), r, r), bool)
    pos = np.zeros((n_t, len(scene.bodies), 3))
    background = _background(scene)
    vanish_from = n_t // 2 if variant == "vanish" else n_t
    for i, body in enumerate(scene.bodies):
        pos[:, i] = np.stack([np.full(n_t, body.x), np.full(n_t, body.y), heights(body, t, variant)], axis=1)
    order = np.argsort([-b.x for b in scene.bodies])  # far to near: nearer bodies paint over
    for k in range(n_t):
        img = background.copy()
        for i in order:
            body = scene.bodies[i]
            if body.dynamic and k >= vanish_from:
                continue
            depth = body.x - scene.camera_x_m
            u = r / 2 - scene.focal_px * body.y / depth
            v = r / 2 - scene.focal_px * (pos[k, i, 2] - scene.camera_z_m) / depth
            half_px = scene.focal_px * body.half_size_m / depth
            if body.shape == "sphere":
                d2 = ((xx - u) ** 2 + (yy - v) ** 2) / half_px**2
                shape = d2 <= 1.0
                shade = 1.0 - 0.35 * d2
            else:
                shape = (np.abs(xx - u) <= half_px) & (np.abs(yy - v) <= half_px)
                shade = 1.0 - 0.25 * (yy - v + half_px) / (2 * half_px)
            masks[k, :, shape] = False
            masks[k, i] = shape
            img[shape] = (_PALETTE[body.color] * shade[shape, None]).clip(0, 255)
        frames[k] = img.astype(np.uint8)
    return frames, masks, pos


def _background(scene: AnalyticScene) -> np.ndarray:
    """Wall above the horizon, floor below it (float [H, W, 3])."""
    r = scene.resolution
    rows = np.arange(r)[:, None, None] + 0.5
    horizon = r / 2  # the camera looks horizontally
    wall = np.array([215.0, 220.0, 228.0]) - 25 * rows / r
    floor = np.array([150.0, 130.0, 110.0]) + 40 * (rows - horizon) / r
    return np.broadcast_to(np.where(rows < horizon, wall, floor), (r, r, 3)).astype(np.float64)


def clip_info(scene: AnalyticScene, masks: np.ndarray, positions: np.ndarray) -> dict:
    """``clip_info.json`` content in the simulator's layout (README: Data schema)."""
    dropped = scene.bodies[-1]
    return {
        "text": "a video of an object dropping",
        "points": points_from_mask(masks[0]),
        "fps": scene.fps,
        "num_frames": scene.num_frames,
        "height": scene.resolution,
        "width": scene.resolution,
        "seed": scene.seed,
        "gravity": [0.0, 0.0, -GRAVITY],
        "source": "evaluation.analytic",
        "camera": {
            "position": [scene.camera_x_m, 0.0, scene.camera_z_m],
            "focal_length_mm": FOCAL_MM,
            "sensor_width_mm": SENSOR_MM,
        },
        "objects": [
            {
                "asset_id": f"analytic_{b.shape}",
                "dynamic": b.dynamic,
                "scale": b.half_size_m,
                "positions": positions[:, i].tolist(),
            }
            for i, b in enumerate(scene.bodies)
        ],
        "first_contact_frame": [contact_frame(dropped, scene.fps)],
    }
