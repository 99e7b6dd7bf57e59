"""Procedural environments: a catalogue of sky + floor + walls looks, made from what Blender ships.

PISA's simulated clips sit in Kubric's HDRI dome, and its test set has seen and unseen
*backgrounds* (10 % of the HDRIs held out; arXiv 2503.09595, simulated data). Without HDRI files
this module provides the same structure: a fixed catalogue of ``NUM_ENVIRONMENTS`` environments,
environment ``k`` drawn from its own generator (``default_rng([ENV_SALT, k])``), so an id rebuilds
it exactly, and a seen / unseen split by the same deterministic hash as the assets
(:func:`sim_data.assets.in_split` of ``"env/<k>"``). Each environment is

- a **sky**: Blender's physical sky texture (``SINGLE_SCATTERING``, Nishita's model, as Blender
  5.0 names it): sun elevation and azimuth, air / aerosol ("dust") / ozone densities, strength;
- a **floor** material: wood planks, ceramic tiles, concrete, carpet, flagstones or marble, with
  two colours, pattern scale, roughness and bump drawn per environment;
- **walls**: none, a back wall, or a room corner (back + side wall, 4 m high), far enough from
  the drop area (x ≥ 3 m, |y| ≥ 2.5 m; objects fall within |x|, |y| ≤ 1 m) that they are
  backdrop only and take no part in the physics;
- a **sun lamp** aligned with the sky's sun (direction, warmer and weaker when low; from the
  camera's side when there are walls, which would otherwise shade the drop area) and a fill
  light behind the camera (brighter indoors, where the walls hide part of the sky): the lighting
  matches the sky.

Everything is plain data (``to_json`` / ``from_json``), recorded in ``clip_info.json``. Imports
neither bpy nor pybullet; the renderers build it (``render_cycles``, ``render_preview``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sim_data.assets import in_split

NUM_ENVIRONMENTS = 1000
ENV_SALT = 0x5CE7E  # keeps the environment generators apart from the scene seeds
FLOOR_KINDS = ("wood", "tiles", "concrete", "carpet", "stone", "marble")
WALL_LAYOUTS = ("none", "back", "corner")
WALL_WEIGHTS = (0.4, 0.35, 0.25)

# per floor kind: (hue range, saturation range, value range) of its base colour, pattern scale (m),
# roughness range
_FLOOR_LOOKS = {
    "wood": ((0.05, 0.11), (0.35, 0.7), (0.25, 0.6), (0.12, 0.25), (0.35, 0.7)),
    "tiles": ((0.0, 1.0), (0.0, 0.35), (0.45, 0.9), (0.2, 0.6), (0.1, 0.4)),
    "concrete": ((0.05, 0.15), (0.0, 0.12), (0.35, 0.7), (0.5, 2.0), (0.7, 0.95)),
    "carpet": ((0.0, 1.0), (0.2, 0.7), (0.2, 0.6), (0.02, 0.06), (0.9, 1.0)),
    "stone": ((0.05, 0.14), (0.05, 0.3), (0.3, 0.65), (0.3, 0.7), (0.6, 0.9)),
    "marble": ((0.0, 1.0), (0.0, 0.12), (0.6, 0.95), (0.4, 1.2), (0.05, 0.3)),
}


def hsv_to_linear(h: float, s: float, v: float) -> tuple[float, float, float]:
    """HSV (display-referred) → linear RGB (the sRGB transfer curve undone)."""
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return tuple(float(srgb_to_linear(c)) for c in rgb)


def srgb_to_linear(c):
    """sRGB-encoded value(s) in [0, 1] → linear."""
    c = np.asarray(c, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(c):
    """Linear value(s) → sRGB-encoded in [0, 1]."""
    c = np.clip(np.asarray(c, dtype=np.float64), 0, 1)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


@dataclass(frozen=True)
class Sky:
    """Blender's physical sky (``ShaderNodeTexSky``, ``SINGLE_SCATTERING``); angles in degrees."""

    sun_elevation_deg: float
    sun_azimuth_deg: float  # Blender's sun_rotation: 0 = towards +y, 90 = towards +x (the camera looks along +x)
    air: float
    aerosol: float
    ozone: float
    strength: float

    def sun_direction(self) -> np.ndarray:
        """Unit vector from the scene towards the sun."""
        e, a = np.radians(self.sun_elevation_deg), np.radians(self.sun_azimuth_deg)
        return np.array([np.cos(e) * np.sin(a), np.cos(e) * np.cos(a), np.sin(e)])


@dataclass(frozen=True)
class Floor:
    """A procedural floor material (colours linear RGB; ``scale`` = pattern size in metres)."""

    kind: str
    color_a: tuple[float, float, float]
    color_b: tuple[float, float, float]
    scale_m: float
    roughness: float
    bump: float
    pattern_seed: float  # the texture's 4D noise offset: two floors of a kind differ in detail


@dataclass(frozen=True)
class Walls:
    """Backdrop walls: ``layout`` none | back | corner; back wall at x = ``back_x_m``, side at y = ``side_y_m``."""

    layout: str
    back_x_m: float
    side_y_m: float
    color: tuple[float, float, float]
    roughness: float


@dataclass(frozen=True)
class Environment:
    """One catalogue entry (``env_id`` = ``env/<index:04d>``)."""

    env_id: str
    sky: Sky
    floor: Floor
    walls: Walls
    sun_strength: float  # W/m² of the sun lamp aligned with the sky's sun
    sun_color: tuple[float, float, float]
    sun_angle_deg: float  # angular diameter: softness of the shadows
    fill_strength: float  # W of the fill point light behind the camera

    @property
    def index(self) -> int:
        """Position in the catalogue."""
        return int(self.env_id.split("/")[1])

    def to_json(self) -> dict:
        """Plain data for ``clip_info.json``."""
        return asdict(self)

    @staticmethod
    def from_json(d: dict) -> Environment:
        """Rebuild from :meth:`to_json`'s output."""
        tup = lambda v: tuple(float(x) for x in v)  # noqa: E731
        floor = {**d["floor"], "color_a": tup(d["floor"]["color_a"]), "color_b": tup(d["floor"]["color_b"])}
        walls = {**d["walls"], "color": tup(d["walls"]["color"])}
        return Environment(
            env_id=d["env_id"],
            sky=Sky(**d["sky"]),
            floor=Floor(**floor),
            walls=Walls(**walls),
            sun_strength=float(d["sun_strength"]),
            sun_color=tup(d["sun_color"]),
            sun_angle_deg=float(d["sun_angle_deg"]),
            fill_strength=float(d["fill_strength"]),
        )

    def preview_colors(self) -> tuple[list[float], list[float]]:
        """Display (sRGB) colours of the floor and the backdrop for the flat-shaded preview renderer."""
        floor = linear_to_srgb(0.5 * (np.asarray(self.floor.color_a) + np.asarray(self.floor.color_b)))
        if self.walls.layout != "none":
            back = linear_to_srgb(np.asarray(self.walls.color))
        else:  # the sky near the horizon: paler, and warmer when the sun is low
            warm = float(np.clip(1 - self.sky.sun_elevation_deg / 60, 0, 1))
            back = np.array([0.70 + 0.15 * warm, 0.78 + 0.02 * warm, 0.90 - 0.15 * warm])
        return [*map(float, floor), 1.0], [*map(float, back), 1.0]


def environment_key(index: int) -> str:
    """The catalogue id of environment ``index`` (what the seen / unseen hash reads)."""
    return f"env/{index:04d}"


def environment_ids(split: str) -> list[int]:
    """Indices of the catalogue's environments in ``split`` (seen | unseen | all)."""
    return [k for k in range(NUM_ENVIRONMENTS) if in_split(environment_key(k), split)]


def _floor(rng: np.random.Generator) -> Floor:
    kind = str(rng.choice(FLOOR_KINDS))
    hue, sat, val, scale, rough = _FLOOR_LOOKS[kind]
    h, s, v = rng.uniform(*hue), rng.uniform(*sat), rng.uniform(*val)
    a = hsv_to_linear(h, s, v)
    # the second colour: darker grain / grout / veins, or a contrasting tile
    if kind == "tiles" and rng.random() < 0.3:
        b = hsv_to_linear(rng.random(), rng.uniform(0, 0.3), rng.uniform(0.2, 0.9))
    else:
        b = hsv_to_linear(
            (h + rng.normal(0, 0.02)) % 1, min(1.0, s * rng.uniform(0.8, 1.3)), v * rng.uniform(0.45, 0.8)
        )
    return Floor(
        kind=kind,
        color_a=a,
        color_b=b,
        scale_m=float(rng.uniform(*scale)),
        roughness=float(rng.uniform(*rough)),
        bump=float(rng.uniform(0.05, 0.4)),
        pattern_seed=float(rng.uniform(0, 100)),
    )


def environment(index: int) -> Environment:
    """Environment ``index`` of the catalogue (deterministic).

    Raises:
        ValueError: ``index`` outside ``[0, NUM_ENVIRONMENTS)``.
    """
    if not 0 <= index < NUM_ENVIRONMENTS:
        raise ValueError(f"environment index {index} outside [0, {NUM_ENVIRONMENTS})")
    rng = np.random.default_rng([ENV_SALT, index])
    layout = str(rng.choice(WALL_LAYOUTS, p=WALL_WEIGHTS))
    elevation = float(rng.uniform(12, 75))
    # behind walls (+x) the sun would leave the drop area in their shadow: then it shines from the camera's side
    azimuth = float(rng.uniform(0, 360) if layout == "none" else rng.uniform(200, 340))
    sky = Sky(
        sun_elevation_deg=elevation,
        sun_azimuth_deg=azimuth,
        air=float(rng.uniform(0.5, 2.0)),
        aerosol=float(rng.uniform(0.0, 3.0)),
        ozone=float(rng.uniform(0.5, 2.0)),
        strength=float(rng.uniform(0.12, 0.3)),
    )
    floor = _floor(rng)
    wall_h = rng.uniform(0.05, 0.16)
    walls = Walls(
        layout=layout,
        back_x_m=float(rng.uniform(3.0, 5.0)),
        side_y_m=float(rng.choice([-1.0, 1.0]) * rng.uniform(2.5, 4.0)),
        color=hsv_to_linear(wall_h, rng.uniform(0.02, 0.25), rng.uniform(0.6, 0.92)),
        roughness=float(rng.uniform(0.6, 0.95)),
    )
    low = float(np.clip(1 - (elevation - 12) / 40, 0, 1))  # 1 near the horizon, 0 from ~50° up
    sun_color = (1.0, 1.0 - 0.15 * low, 1.0 - 0.35 * low)
    return Environment(
        env_id=environment_key(index),
        sky=sky,
        floor=floor,
        walls=walls,
        sun_strength=float(rng.uniform(3.0, 5.0) * (0.6 + 0.4 * np.sin(np.radians(elevation)))),
        sun_color=sun_color,
        sun_angle_deg=float(rng.uniform(0.5, 4.0)),
        fill_strength=float(rng.uniform(30, 60) * (1.0 if layout == "none" else 2.0)),
    )


def sample_environment(rng: np.random.Generator, split: str) -> Environment:
    """An environment of ``split`` drawn uniformly from the catalogue."""
    ids = environment_ids(split)
    return environment(int(rng.choice(ids)))
