"""Triangle meshes: OBJ read/write, procedural shapes, convex-hull volume and centre of mass.

Every simulated object is a mesh. PyBullet collides with its convex hull (the usual choice for
dynamic bodies), the renderers draw the mesh itself, and mass = density × hull volume. Meshes
are re-centred on the hull's centre of mass so a body's position *is* its centre of mass.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation.core.errors import InputError


@dataclass(frozen=True)
class Mesh:
    """``vertices`` float [V, 3] (metres, z up), ``faces`` int [F, 3] (counter-clockwise = outward)."""

    vertices: np.ndarray
    faces: np.ndarray

    def scaled(self, s: float | np.ndarray) -> Mesh:
        """A copy scaled by ``s`` (scalar or per-axis)."""
        return Mesh(self.vertices * np.asarray(s, dtype=np.float64), self.faces)

    def translated(self, d: np.ndarray) -> Mesh:
        """A copy moved by ``d``."""
        return Mesh(self.vertices + np.asarray(d, dtype=np.float64), self.faces)

    @property
    def extent(self) -> np.ndarray:
        """Axis-aligned bounding-box size [3]."""
        return self.vertices.max(axis=0) - self.vertices.min(axis=0)


def read_obj(path: str | Path) -> Mesh:
    """Read the vertices and faces of a Wavefront OBJ (polygons are fan-triangulated).

    Raises:
        InputError: the file has no vertices or faces, a vertex coordinate is not a finite number,
            or a face refers to a missing vertex.
    """
    path = Path(path)
    verts, faces = [], []
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "v":
            verts.append([float(x) for x in parts[1:4]])
        elif parts[0] == "f":
            idx = [int(p.split("/")[0]) for p in parts[1:]]
            idx = [i - 1 if i > 0 else len(verts) + i for i in idx]
            faces += [[idx[0], idx[k], idx[k + 1]] for k in range(1, len(idx) - 1)]
    if not verts or not faces:
        raise InputError(path, "OBJ has no vertices or no faces")
    v, f = np.array(verts, dtype=np.float64), np.array(faces, dtype=np.int64)
    bad = ~np.isfinite(v).all(axis=1)
    if bad.any():
        raise InputError(path, f"{int(bad.sum())} of {len(v)} vertices have a coordinate that is NaN or infinite")
    if f.min() < 0 or f.max() >= len(v):
        raise InputError(path, "a face refers to a vertex that does not exist")
    return Mesh(v, f)


def write_obj(path: str | Path, mesh: Mesh) -> Path:
    """Write vertices and faces as OBJ (atomic rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in mesh.vertices]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in mesh.faces]
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(path)
    return path


def hull_mass_properties(mesh: Mesh) -> tuple[float, np.ndarray]:
    """Volume (m³) and centre of mass [3] of the mesh's convex hull (uniform density)."""
    from scipy.spatial import ConvexHull

    hull = ConvexHull(mesh.vertices)
    pts = mesh.vertices[hull.simplices]  # (F, 3, 3)
    ref = mesh.vertices[hull.vertices].mean(axis=0)
    # tetrahedra from an interior point to every hull triangle
    vols = np.abs(np.einsum("ij,ij->i", pts[:, 0] - ref, np.cross(pts[:, 1] - ref, pts[:, 2] - ref))) / 6.0
    centroids = (pts.sum(axis=1) + ref) / 4.0
    return float(vols.sum()), (vols[:, None] * centroids).sum(axis=0) / vols.sum()


# --------------------------------------------------------------------------------------------
# procedural shapes (unit-ish sizes; the scene scales them)
# --------------------------------------------------------------------------------------------
def _revolve(profile: np.ndarray, segments: int = 32) -> Mesh:
    """Surface of revolution about z of a profile [(r, z), …] from bottom to top (closed at r=0 ends)."""
    ang = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    verts, faces = [], []
    rings = []
    for r, z in profile:
        if r == 0:
            rings.append([len(verts)])
            verts.append([0.0, 0.0, z])
        else:
            rings.append(list(range(len(verts), len(verts) + segments)))
            verts += [[r * np.cos(a), r * np.sin(a), z] for a in ang]
    for lo, hi in zip(rings[:-1], rings[1:], strict=True):
        for k in range(segments):
            k1 = (k + 1) % segments
            if len(lo) == 1:
                faces.append([lo[0], hi[k1], hi[k]])
            elif len(hi) == 1:
                faces.append([lo[k], lo[k1], hi[0]])
            else:
                faces += [[lo[k], lo[k1], hi[k1]], [lo[k], hi[k1], hi[k]]]
    return Mesh(np.array(verts), np.array(faces))


def box(size=(1.0, 1.0, 1.0)) -> Mesh:
    """Axis-aligned box centred at the origin."""
    s = np.asarray(size, dtype=np.float64) / 2
    v = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64) * s
    f = [
        [0, 1, 3],
        [0, 3, 2],
        [4, 6, 7],
        [4, 7, 5],
        [0, 4, 5],
        [0, 5, 1],
        [2, 3, 7],
        [2, 7, 6],
        [0, 2, 6],
        [0, 6, 4],
        [1, 5, 7],
        [1, 7, 3],
    ]
    return Mesh(v, np.array(f))


def sphere(radius=0.5, rings: int = 12, segments: int = 24) -> Mesh:
    """UV sphere."""
    th = np.linspace(0, np.pi, rings + 1)
    return _revolve(np.stack([radius * np.sin(th), -radius * np.cos(th)], axis=1).round(12), segments)


def cylinder(radius=0.5, height=1.0, segments: int = 32) -> Mesh:
    """Closed cylinder along z, centred."""
    h = height / 2
    return _revolve(np.array([[0, -h], [radius, -h], [radius, h], [0, h]]), segments)


def capsule(radius=0.3, height=1.0, segments: int = 24) -> Mesh:
    """Cylinder with hemispherical caps; total height ``height``."""
    h = max(height / 2 - radius, 0.0)
    th = np.linspace(0, np.pi / 2, 7)
    bottom = np.stack([radius * np.sin(th), -h - radius * np.cos(th)], axis=1)
    top = np.stack([radius * np.cos(th), h + radius * np.sin(th)], axis=1)
    return _revolve(np.concatenate([bottom, top]).round(12), segments)


def bottle(radius=0.35, height=1.0, segments: int = 32) -> Mesh:
    """A bottle: body, shoulder, neck."""
    h = height
    prof = [
        [0, 0],
        [radius, 0],
        [radius, 0.6 * h],
        [0.45 * radius, 0.78 * h],
        [0.3 * radius, 0.82 * h],
        [0.3 * radius, h],
        [0, h],
    ]
    return _revolve(np.array(prof), segments).translated([0, 0, -h / 2])


def cup(radius=0.4, height=0.8, wall=0.06, segments: int = 32) -> Mesh:
    """An open cup with a wall thickness (rendered open; collides as its hull)."""
    h = height
    prof = [[0, 0], [radius * 0.85, 0], [radius, h], [radius - wall, h], [radius * 0.85 - wall, wall], [0, wall]]
    return _revolve(np.array(prof), segments).translated([0, 0, -h / 2])


def torus(major=0.4, minor=0.12, segments: int = 32, sides: int = 12) -> Mesh:
    """Torus around z (collides as its convex hull, a disc)."""
    u = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    v = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    verts = np.stack(
        [(major + minor * np.cos(vv)) * np.cos(uu), (major + minor * np.cos(vv)) * np.sin(uu), minor * np.sin(vv)],
        axis=-1,
    ).reshape(-1, 3)
    faces = []
    for i in range(segments):
        for j in range(sides):
            a, b = i * sides + j, ((i + 1) % segments) * sides + j
            c, d = ((i + 1) % segments) * sides + (j + 1) % sides, i * sides + (j + 1) % sides
            faces += [[a, b, c], [a, c, d]]
    return Mesh(verts, np.array(faces))


PROCEDURAL = {
    "box": lambda: box((1.0, 0.8, 0.6)),
    "cube": lambda: box((1.0, 1.0, 1.0)),
    "sphere": lambda: sphere(0.5),
    "ball": lambda: sphere(0.5, rings=16, segments=32),
    "cylinder": lambda: cylinder(0.35, 1.0),
    "capsule": lambda: capsule(0.25, 1.0),
    "torus": lambda: torus(),
    "bottle": lambda: bottle(),
    "cup": lambda: cup(),
    "book": lambda: box((0.75, 1.0, 0.18)),
    "can": lambda: cylinder(0.3, 0.8),
    "brick": lambda: box((1.0, 0.5, 0.3)),
}
