"""Declarative scenes: ``SimArgs`` (the ``sim`` config section) and ``sample_scene``; drops drawn here.

The Newtonian scenarios (ramps, rolling, bounces, collisions, pendulums) are drawn in
:mod:`sim_data.scenarios` into the same :class:`DropScene`.

Imports neither pybullet nor bpy. One ``np.random.Generator`` per sample is passed in; nothing
here draws from a global RNG. Parameters follow the PISA simulator (arXiv 2503.09595, simulated data, Kubric's
movi_ab_worker.py as PISA built on it):

- 1–5 dropped objects, centre height z ∈ [0.5, 1.5] m, x, y ∈ [-1, 1], random orientation, at
  rest, non-overlapping (bounding spheres); under each a "tower" of 0–3 objects that settles
  before the drop; a dropped object that would overlap its tower is raised above it
  (+|N(0.005, 0.005)| m).
- Camera at (-2, 0, U(0.4, 0.6)) looking along +x, 35 mm lens on a 32 mm sensor, pushed back in
  steps of |N(0, 0.05)| m until every dropped object's fall column down to the floor is inside
  the image.
- Lights with an HDRI dome (``sim.hdri_dir``) or the plain background: a sun (energy U(1, 6),
  tilted U(0°, 45°) about x and y) and key / fill / back point lights (100 / 75 / 75 W at radius
  2.5 m, height 1.5 m; key at ±U(15°, 45°), fill at ∓U(15°, 60°), back at 180°).

Departures: object sizes (5–35 cm, as household objects), densities, friction and restitution
are sampled here (the released code left Kubric's asset defaults); the main dropped object is
the *last* object. Without HDRIs (``sim.background = "procedural"``, the default) the scene sits
in a procedural environment (:mod:`sim_data.environment`: physical sky, floor material, walls)
drawn from the split's environments, lit by a sun aligned with its sky and a fill light;
objects get procedural PBR materials (:func:`object_material`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from evaluation.core.errors import ConfigError
from evaluation.physical import SCENARIOS  # sim.scenario ("mix": drawn per seed)
from sim_data.assets import UNUSABLE, AssetLibrary, hdri_files, unit_volume
from sim_data.camera import Camera
from sim_data.environment import Environment, hsv_to_linear, sample_environment

RAISE_MEAN_M, RAISE_STD_M = 0.005, 0.005  # released simulator: lift a dropped object off its tower
CAMERA_STEP_STD_M = 0.05  # released simulator: move_camera_back step
VIEW_MARGIN_PX = 2.0  # a fall column must stay this far inside the image border
MAX_PLACEMENT_TRIES = 100
MAX_CAMERA_STEPS = 400
BACKGROUNDS = ("procedural", "plain")
LABELLED = ("bottle", "can", "cup")  # procedural shapes that get printed labels
BOXY = ("book", "box", "brick", "cube")  # shapes that get two-tone covers
SHAPES = ("sphere", "cylinder", "box")  # ObjectSpec.shape: a primitive collision shape instead of the mesh's hull


@dataclass
class SimArgs:
    """The ``sim`` config section."""

    resolution: int = 256
    num_frames: int = 32
    fps: int = 16
    physics_hz: int = 480  # integer multiple of fps (asserted)
    settle_steps: int = 200  # physics steps for the towers before the drop (released: 200 frames)
    num_dropped: tuple[int, int] = (1, 5)  # inclusive range
    tower_size: tuple[int, int] = (0, 3)
    drop_height_m: tuple[float, float] = (0.5, 1.5)
    xy_range_m: float = 1.0
    object_size_m: tuple[float, float] = (0.05, 0.35)  # largest extent of an object (household objects)
    density_kg_m3: tuple[float, float] = (150.0, 1200.0)
    friction: tuple[float, float] = (0.3, 1.0)
    restitution: tuple[float, float] = (0.0, 0.4)
    floor_friction: float = 1.0
    floor_restitution: float = 0.0
    gravity: float = -9.81
    camera_x_m: float = -2.0
    camera_height_m: tuple[float, float] = (0.4, 0.6)
    focal_length_mm: float = 35.0
    sensor_width_mm: float = 32.0
    asset_sources: list[str] = field(default_factory=lambda: ["procedural", "pybullet"])
    # probability of drawing from each asset group (renormalised over the groups present):
    # procedural shapes, named pybullet meshes, pybullet random_urdfs blobs, Google Scanned Objects
    group_weights: dict = field(
        default_factory=lambda: {"procedural": 0.5, "pybullet": 0.3, "random_urdfs": 0.2, "gso": 1.0}
    )
    assets: list[str] | None = None  # explicit asset ids to draw from (overrides groups and split)
    gso_dir: str | None = None
    hdri_dir: str | None = None
    split: str = "seen"  # seen | unseen | all: objects, environments and HDRIs alike
    background: str = "procedural"  # procedural (sky, floor, walls) | plain (flat sky, checker floor)
    object_color: tuple[float, float, float] | None = None  # one plain colour (linear RGB) for every object
    text: str = "a video of an object dropping"
    scenario: str = "drop"  # one of SCENARIOS, or "mix" (each seed draws one by scenario_weights)
    scenario_weights: dict = field(
        default_factory=lambda: {
            "drop": 0.3, "ramp_slide": 0.15, "roll": 0.15, "bounce": 0.15, "collide": 0.1, "pendulum": 0.15,
        }
    )  # fmt: skip
    newton: dict = field(default_factory=dict)  # ranges of the Newtonian scenarios (sim_data.scenarios.NewtonArgs)

    def __post_init__(self):
        if self.scenario not in (*SCENARIOS, "mix"):
            raise ValueError(f"sim.scenario must be one of {(*SCENARIOS, 'mix')}, got {self.scenario!r}")
        unknown = sorted(set(self.scenario_weights) - set(SCENARIOS))
        if unknown or any(w < 0 for w in self.scenario_weights.values()) or sum(self.scenario_weights.values()) <= 0:
            raise ValueError(
                f"sim.scenario_weights: non-negative weights of {SCENARIOS} with a positive sum, got {self.scenario_weights}"
            )
        from sim_data.scenarios import NewtonArgs  # checks the ranges (a typo in a key is an error)

        try:
            NewtonArgs(**self.newton)
        except TypeError as e:
            raise ValueError(f"sim.newton: {e}") from e
        if self.physics_hz % self.fps:
            raise ValueError(f"sim.physics_hz ({self.physics_hz}) must be an integer multiple of sim.fps ({self.fps})")
        lo, hi = self.num_dropped
        if not 1 <= lo <= hi:
            raise ValueError(f"sim.num_dropped must be 1 <= lo <= hi, got {self.num_dropped}")
        if not 0 <= self.tower_size[0] <= self.tower_size[1]:
            raise ValueError(f"sim.tower_size must be 0 <= lo <= hi, got {self.tower_size}")
        for name in ("drop_height_m", "object_size_m", "density_kg_m3", "friction", "restitution", "camera_height_m"):
            lo, hi = getattr(self, name)
            if not (0 <= lo <= hi):
                raise ValueError(f"sim.{name} must be 0 <= lo <= hi, got {getattr(self, name)}")
        if self.resolution < 16 or self.num_frames < 2 or self.fps < 1:
            raise ValueError("sim.resolution >= 16, sim.num_frames >= 2, sim.fps >= 1 required")
        if self.object_color is not None and (
            len(self.object_color) != 3 or not all(0 <= c <= 1 for c in self.object_color)
        ):
            raise ValueError(f"sim.object_color must be three values in [0, 1] (linear RGB), got {self.object_color}")
        if self.background not in BACKGROUNDS:
            raise ValueError(f"sim.background must be one of {BACKGROUNDS}, got {self.background!r}")
        if self.gravity >= 0:
            raise ValueError(f"sim.gravity must be negative (z up), got {self.gravity}")


@dataclass(frozen=True)
class Material:
    """Procedural PBR material: base colour (linear RGB), pattern, surface parameters.

    ``pattern``: plain | noise | checker | wood | label (a printed band round the middle, colour
    ``color2``) | two_tone (``color2`` above the object's mid-plane).
    """

    color: tuple[float, float, float]
    pattern: str
    roughness: float
    metallic: float
    color2: tuple[float, float, float] = (0.9, 0.9, 0.88)
    clearcoat: float = 0.0
    bump: float = 0.0  # strength of a fine noise bump


@dataclass(frozen=True)
class ObjectSpec:
    """One object: what it is, how it behaves, where it starts (centre of mass, quaternion wxyz)."""

    asset_id: str
    dynamic: bool  # dropped (True) or part of a tower (False)
    size_m: float
    mass_kg: float
    friction: float
    restitution: float
    position: tuple[float, float, float]
    quaternion_wxyz: tuple[float, float, float, float]
    material: Material
    shape: str | None = None  # sphere | cylinder (axis: local z) | box: exact primitive; None: the mesh's hull


@dataclass(frozen=True)
class Light:
    """A light for the Cycles renderer (``kind`` sun | point)."""

    name: str
    kind: str
    energy: float
    location: tuple[float, float, float]
    rotation_euler: tuple[float, float, float]
    color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    angle_deg: float = 0.526  # a sun's angular diameter (Blender's default); soft shadows when larger


@dataclass(frozen=True)
class Fixture:
    """A static box of the scene (a ramp's plank, a pendulum's stand): rendered, in no mask.

    ``collide``: part of the physics (a ramp) or only seen (a stand's beam, kept clear of the motion).
    """

    name: str
    half_extents: tuple[float, float, float]
    position: tuple[float, float, float]
    quaternion_wxyz: tuple[float, float, float, float]
    material: Material
    friction: float = 1.0
    restitution: float = 0.0
    collide: bool = True


@dataclass(frozen=True)
class Pendulum:
    """A rigid pendulum: object ``index`` swings on a massless rod about a hinge at ``pivot`` (axis world x)."""

    index: int
    pivot: tuple[float, float, float]
    angle_deg: float  # release angle from the downward vertical (sign: right-handed about +x)
    rod_radius_m: float = 0.006


@dataclass(frozen=True)
class DropScene:
    """Everything needed to simulate and render one clip (a drop, or a Newtonian scenario).

    The Newtonian scenarios (:mod:`sim_data.scenarios`) add static ``fixtures``, a ``pendulum``,
    per-scene floor physics and engine settings, the ``constants`` their physics implies and the
    ``motion_plane`` their motion runs in; a drop leaves them at their defaults.
    """

    seed: int
    objects: tuple[ObjectSpec, ...]  # towers first, dropped objects last (main dropped object last)
    camera: Camera
    lights: tuple[Light, ...]
    hdri: str | None
    args: SimArgs
    environment: Environment | None = None  # None: the plain background
    scenario: str = "drop"
    fixtures: tuple[Fixture, ...] = ()
    pendulum: Pendulum | None = None
    floor_friction: float | None = None  # None: sim.floor_friction
    floor_restitution: float | None = None  # None: sim.floor_restitution
    physics_hz: int | None = None  # None: sim.physics_hz
    engine: dict = field(default_factory=dict)  # extra PyBullet engine parameters (setPhysicsEngineParameter)
    exact_contacts: bool = False  # contactProcessingThreshold 0 on every body: no early (speculative) contacts
    settle_steps: int | None = None  # None: sim.settle_steps
    constants: dict = field(default_factory=dict)  # the physical constants the scenario implies (clip_info)
    motion_plane: dict | None = None  # {"point": [x, y, z], "normal": [nx, ny, nz]}: where the motion runs
    text: str | None = None  # the caption; None: sim.text

    @property
    def hz(self) -> int:
        """The physics rate of this scene."""
        return self.physics_hz or self.args.physics_hz

    @property
    def steps_per_frame(self) -> int:
        """Physics steps between two frames."""
        assert self.hz % self.args.fps == 0, "physics rate must be a multiple of the frame rate"
        return self.hz // self.args.fps

    @property
    def caption(self) -> str:
        """The clip's text prompt."""
        return self.text or self.args.text


def group_assets(ids: list[str]) -> dict[str, list[str]]:
    """Asset ids by group: procedural, pybullet (named meshes), random_urdfs, gso."""
    out: dict[str, list[str]] = {}
    for a in ids:
        group = "random_urdfs" if a.startswith("pybullet/random_urdfs/") else a.split("/", 1)[0]
        out.setdefault(group, []).append(a)
    return out


def random_quaternion(rng: np.random.Generator) -> tuple[float, float, float, float]:
    """Uniform random rotation as (w, x, y, z) (Shoemake)."""
    u1, u2, u3 = rng.random(3)
    a, b = np.sqrt(1 - u1), np.sqrt(u1)
    q = (b * np.cos(2 * np.pi * u3), a * np.sin(2 * np.pi * u2), a * np.cos(2 * np.pi * u2), b * np.sin(2 * np.pi * u3))
    return tuple(float(x) for x in q)


def _yaw_quaternion(rng: np.random.Generator) -> tuple[float, float, float, float]:
    yaw = rng.uniform(0, 2 * np.pi)
    return (float(np.cos(yaw / 2)), 0.0, 0.0, float(np.sin(yaw / 2)))


def object_material(rng: np.random.Generator, asset_id: str) -> Material:
    """A household-object material drawn for ``asset_id``'s shape.

    Colour variation, roughness / metallic / clearcoat, a noise bump, and printed labels
    (bottles, cans, cups) or two-tone covers (books, boxes) on those shapes.
    """
    base = hsv_to_linear(rng.random(), rng.uniform(0.35, 0.9), rng.uniform(0.45, 0.95))
    second = hsv_to_linear(rng.random(), rng.uniform(0.0, 0.8), rng.uniform(0.5, 0.98))
    shape = asset_id.split("/")[-1]
    if shape in LABELLED:
        patterns, p = ["label", "plain", "two_tone", "noise"], [0.6, 0.2, 0.1, 0.1]
    elif shape in BOXY:
        patterns, p = ["two_tone", "label", "plain", "checker", "noise"], [0.3, 0.25, 0.2, 0.1, 0.15]
    else:
        patterns, p = ["plain", "noise", "checker", "wood", "two_tone"], [0.35, 0.2, 0.15, 0.15, 0.15]
    metallic = float(rng.choice([0.0, 0.0, 0.0, 0.0, 1.0]))
    return Material(
        color=base,
        pattern=str(rng.choice(patterns, p=p)),
        roughness=float(rng.uniform(0.15, 0.9)),
        metallic=metallic,
        color2=second,
        clearcoat=float(rng.choice([0.0, 0.0, rng.uniform(0.3, 1.0)])) if not metallic else 0.0,
        bump=float(rng.uniform(0.0, 0.3)),
    )


def _fixed_colour(material: Material, color) -> Material:
    """``material`` as one plain colour when ``sim.object_color`` is set (drawn anyway: the seeds' streams stay)."""
    if color is None:
        return material
    return replace(material, color=tuple(float(c) for c in color), pattern="plain", metallic=0.0, clearcoat=0.0)


def _radius(library: AssetLibrary, asset_id: str, size: float) -> float:
    """Bounding-sphere radius (m) of the scaled, centred mesh."""
    return float(np.linalg.norm(library.mesh(asset_id).vertices, axis=1).max() * size)


def _object(rng, args: SimArgs, library: AssetLibrary, asset_id: str, dynamic: bool, position, quat) -> ObjectSpec:
    size = float(rng.uniform(*args.object_size_m))
    density = float(rng.uniform(*args.density_kg_m3))
    return ObjectSpec(
        asset_id=asset_id,
        dynamic=dynamic,
        size_m=size,
        mass_kg=density * unit_volume(library, asset_id) * size**3,
        friction=float(rng.uniform(*args.friction)),
        restitution=float(rng.uniform(*args.restitution)),
        position=tuple(float(x) for x in position),
        quaternion_wxyz=quat,
        material=_fixed_colour(object_material(rng, asset_id), args.object_color),
    )


def _fall_column_visible(camera: Camera, obj: ObjectSpec, radius: float) -> bool:
    """Is the column swept by the object's bounding sphere, from its start down to the floor, in view?"""
    x, y, z = obj.position
    corners = np.array(
        [[x + dx, y + dy, zz] for dx in (-radius, radius) for dy in (-radius, radius) for zz in (0.0, z + radius)]
    )
    uv, depth = camera.project(corners)
    r = camera.resolution
    return bool((depth > 0.05).all() and (uv >= VIEW_MARGIN_PX).all() and (uv <= r - VIEW_MARGIN_PX).all())


def scenario_of(args: SimArgs, seed: int) -> str:
    """The scenario of ``seed``: ``sim.scenario``, or for ``mix`` a draw by ``sim.scenario_weights``.

    The draw has its own generator (``default_rng([seed, MIX_SALT])``), so the scene of a mixed seed is
    exactly the scene that seed makes in its scenario alone.
    """
    if args.scenario != "mix":
        return args.scenario
    names = [s for s in SCENARIOS if args.scenario_weights.get(s, 0) > 0]
    w = np.array([args.scenario_weights[s] for s in names], dtype=np.float64)
    return names[int(np.random.default_rng([seed, MIX_SALT]).choice(len(names), p=w / w.sum()))]


MIX_SALT = 0x313C


def sample_scene(args: SimArgs, rng: np.random.Generator, library: AssetLibrary, seed: int) -> DropScene:
    """Draw one scene of ``sim.scenario`` (per seed for ``mix``) from ``rng``.

    Raises:
        ValueError: the split has no assets, or objects cannot be placed without overlap.
    """
    scenario = scenario_of(args, seed)
    if scenario != "drop":
        from sim_data.scenarios import sample_newton_scene

        return sample_newton_scene(scenario, args, rng, library, seed)
    return _sample_drop(args, rng, library, seed)


def asset_groups(args: SimArgs, library: AssetLibrary) -> tuple[dict[str, list[str]], dict[str, float]]:
    """The asset groups a scene draws from (``sim.assets``, else the split's) and their weights."""
    if args.assets:
        for a in args.assets:
            library.get(a)  # KeyError naming the unknown id
            if a in UNUSABLE:
                raise ConfigError(f"sim.assets: {a} cannot be simulated: {UNUSABLE[a]}")
        groups = {"explicit": list(args.assets)}
        args_weights = {"explicit": 1.0}
    else:
        groups = group_assets(library.ids(args.split))
        args_weights = args.group_weights
    return groups, args_weights


def asset_drawer(args: SimArgs, library: AssetLibrary, rng: np.random.Generator):
    """A function drawing one usable asset id of the scene's groups from ``rng``."""
    groups, args_weights = asset_groups(args, library)
    if not groups:
        raise ConfigError(f"sim.split: no assets in split {args.split!r} for sources {args.asset_sources}")
    names = sorted(groups)
    weights = np.array([args_weights.get(g, 0.0) for g in names], dtype=np.float64)
    if weights.sum() <= 0:
        raise ConfigError(f"sim.group_weights gives no weight to any of the groups {names}")
    weights /= weights.sum()

    def draw_asset() -> str:
        while True:  # an unusable asset keeps its place in the draw (other seeds unchanged) and is drawn again
            asset = str(rng.choice(groups[names[int(rng.choice(len(names), p=weights))]]))
            if asset not in UNUSABLE:
                return asset

    return draw_asset


def _sample_drop(args: SimArgs, rng: np.random.Generator, library: AssetLibrary, seed: int) -> DropScene:
    draw_asset = asset_drawer(args, library, rng)
    n_drop = int(rng.integers(args.num_dropped[0], args.num_dropped[1] + 1))
    towers: list[ObjectSpec] = []
    dropped: list[ObjectSpec] = []
    placed: list[tuple[np.ndarray, float]] = []  # (xy, radius) of dropped columns, for overlap tests
    for _ in range(n_drop):
        asset = draw_asset()
        for _try in range(MAX_PLACEMENT_TRIES):
            xy = rng.uniform(-args.xy_range_m, args.xy_range_m, 2)
            obj = _object(
                rng, args, library, asset, True, (*xy, rng.uniform(*args.drop_height_m)), random_quaternion(rng)
            )
            rad = _radius(library, asset, obj.size_m)
            # towers sit under their dropped object, so columns must not overlap in xy
            if all(np.linalg.norm(xy - p) > rad + r + 0.02 for p, r in placed):
                break
        else:
            raise ValueError(f"seed {seed}: could not place {n_drop} dropped objects without overlap")
        top = 0.0
        for _k in range(int(rng.integers(args.tower_size[0], args.tower_size[1] + 1))):
            t_asset = draw_asset()
            t_obj = _object(rng, args, library, t_asset, False, (0, 0, 0), _yaw_quaternion(rng))
            t_rad = _radius(library, t_asset, t_obj.size_m)
            t_rad = min(t_rad, rad * 1.5)  # keep towers under their object
            pos = (float(xy[0] + rng.normal(0, 0.01)), float(xy[1] + rng.normal(0, 0.01)), top + t_rad)
            towers.append(replace(t_obj, position=pos))
            top += 2 * t_rad
        if obj.position[2] - rad < top:
            z = top + rad + abs(rng.normal(RAISE_MEAN_M, RAISE_STD_M))
            obj = replace(obj, position=(obj.position[0], obj.position[1], float(z)))
        placed.append((xy, rad))
        dropped.append(obj)
    camera = Camera(
        (args.camera_x_m, 0.0, float(rng.uniform(*args.camera_height_m))),
        args.focal_length_mm,
        args.sensor_width_mm,
        args.resolution,
    )
    for _ in range(MAX_CAMERA_STEPS):
        if all(_fall_column_visible(camera, o, r) for o, (_, r) in zip(dropped, placed, strict=True)):
            break
        x, y, z = camera.position
        camera = Camera(
            (x - abs(rng.normal(0, CAMERA_STEP_STD_M)), y, z),
            camera.focal_length_mm,
            camera.sensor_width_mm,
            camera.resolution,
        )
    lights, hdri, env = backdrop(args, rng, camera)
    return DropScene(seed, tuple(towers + dropped), camera, lights, hdri, args, env)


def backdrop(
    args: SimArgs, rng: np.random.Generator, camera: Camera
) -> tuple[tuple[Light, ...], str | None, Environment | None]:
    """The lights, HDRI and procedural environment of a scene (drawn in this order from ``rng``)."""
    lights = _lights(rng)
    hdris = hdri_files(args.hdri_dir, args.split)
    hdri = str(rng.choice(hdris)) if hdris else None
    env = None
    if args.background == "procedural":
        env = sample_environment(rng, args.split)
        if hdri is None:  # the HDRI dome keeps the released lights; the sky gets matching ones
            lights = environment_lights(env, camera)
    return lights, hdri, env


def environment_lights(env: Environment, camera: Camera) -> tuple[Light, ...]:
    """The lights of a procedural environment.

    A sun lamp along the sky's sun (Blender lamps shine along their local -z) and a fill light
    behind and above the camera.
    """
    e, a = np.radians(env.sky.sun_elevation_deg), np.radians(env.sky.sun_azimuth_deg)
    sun = Light(
        "sun",
        "sun",
        env.sun_strength,
        (0.0, 0.0, 10.0),
        (float(np.pi / 2 - e), 0.0, float(np.pi - a)),
        env.sun_color,
        env.sun_angle_deg,
    )
    x, y, z = camera.position
    fill = Light("fill", "point", env.fill_strength, (x - 0.5, y, z + 1.0), (0.0, 0.0, 0.0))
    return (sun, fill)


def _lights(rng: np.random.Generator) -> tuple[Light, ...]:
    """Sun + key / fill / back point lights (released simulator's setup, from TaskMeAnything)."""
    deg = np.radians
    sun = Light(
        "sun",
        "sun",
        float(rng.uniform(1, 6)),
        (0.0, 0.0, 10.0),
        (float(deg(rng.uniform(0, 45))), float(deg(rng.uniform(0, 45))), 0.0),
    )
    side = rng.choice([-1.0, 1.0])
    out = [sun]
    for name, energy, h_ang, v_ang in (
        ("key", 100.0, side * rng.uniform(15, 45), -rng.uniform(15, 45)),
        ("fill", 75.0, -side * rng.uniform(15, 60), -rng.uniform(0, 30)),
        ("back", 75.0, 180.0, 0.0),
    ):
        a = deg(h_ang)
        # lights sit on a circle of radius 2.5 m around the origin, on the camera's side (-x)
        loc = (float(-2.5 * np.cos(a)), float(-2.5 * np.sin(a)), 1.5)
        out.append(Light(name, "point", energy, loc, (float(deg(v_ang)), 0.0, 0.0)))
    return tuple(out)
