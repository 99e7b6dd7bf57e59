"""Pinhole camera of the drop scenes: intrinsics, OpenCV extrinsics, projection.

Conventions: world is metres with z up. The camera follows OpenCV (x right, y down, z forward),
so ``pixel = K @ (R @ X + t) / z`` gives continuous pixel coordinates in which pixel (i, j)
covers [i, i+1) × [j, j+1) (its centre is at i + 0.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# world→camera rotation of a level camera looking along world +x: camera x (right) = world -y,
# camera y (down) = world -z, camera z (forward) = world +x
R_LOOK_PLUS_X = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])


@dataclass(frozen=True)
class Camera:
    """A level camera at ``position`` looking along +x."""

    position: tuple[float, float, float]
    focal_length_mm: float
    sensor_width_mm: float
    resolution: int  # square images

    @property
    def focal_px(self) -> float:
        """Focal length in pixels."""
        return self.focal_length_mm / self.sensor_width_mm * self.resolution

    @property
    def K(self) -> np.ndarray:  # noqa: N802 - the standard name
        """3×3 intrinsics in pixels."""
        f, c = self.focal_px, self.resolution / 2
        return np.array([[f, 0.0, c], [0.0, f, c], [0.0, 0.0, 1.0]])

    @property
    def world_to_camera(self) -> np.ndarray:
        """4×4 OpenCV extrinsics [R | t]."""
        m = np.eye(4)
        m[:3, :3] = R_LOOK_PLUS_X
        m[:3, 3] = -R_LOOK_PLUS_X @ np.asarray(self.position)
        return m

    @property
    def vertical_fov_deg(self) -> float:
        """Full field of view (square image: same both ways)."""
        return float(np.degrees(2 * np.arctan(self.sensor_width_mm / 2 / self.focal_length_mm)))

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points ``[..., 3]`` → continuous pixels ``[..., 2]`` (x right, y down) and depth ``[...]`` (m)."""
        pts = np.asarray(points, dtype=np.float64)
        cam = pts @ self.world_to_camera[:3, :3].T + self.world_to_camera[:3, 3]
        z = cam[..., 2]
        uv = (cam @ self.K.T)[..., :2] / z[..., None]
        return uv, z

    def unproject(self, uv: np.ndarray, depth: np.ndarray) -> np.ndarray:
        """Continuous pixels ``[..., 2]`` at depth ``[...]`` (along the camera axis) → world points ``[..., 3]``."""
        uv1 = np.concatenate([uv, np.ones_like(uv[..., :1])], axis=-1)
        cam = (uv1 @ np.linalg.inv(self.K).T) * depth[..., None]
        r, t = self.world_to_camera[:3, :3], self.world_to_camera[:3, 3]
        return (cam - t) @ r

    def to_json(self) -> dict:
        """The ``camera`` block of ``clip_info.json``."""
        return {
            "position": list(self.position),
            "look_direction": [1.0, 0.0, 0.0],
            "focal_length_mm": self.focal_length_mm,
            "sensor_width_mm": self.sensor_width_mm,
            "K": self.K.tolist(),
            "world_to_camera": self.world_to_camera.tolist(),
            "convention": "opencv: x right, y down, z forward; pixel = K (R X + t) / z; pixel i spans [i, i+1)",
        }
