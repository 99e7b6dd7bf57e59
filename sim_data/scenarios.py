"""The Newtonian scenarios: ramp slides, rolling, bounces, collisions and pendulums with exact constants.

Each scenario is a :class:`~sim_data.scene.DropScene` drawn from one ``np.random.Generator`` like a
drop, and, like a drop, **starts at rest** (released from an invisible hold), so the first frame
determines the rest of the clip. The motion runs in the vertical plane ``x = newton.plane_x_m``
(recorded as ``motion_plane``), parallel to the image plane of the level camera, which
:func:`frame_camera` places after the physics so that the whole motion is in view.

| scenario | set-up | constants recorded |
|---|---|---|
| ``ramp_slide`` | a box, book or brick on a plank tilted θ; friction μ = ratio·tan θ, so ratio > 1 stays put | θ, μ (object, ramp, effective), a = g(sin θ − μ cos θ) |
| ``roll`` | a sphere or cylinder (axis towards the camera) on a plank | θ, shape, k = I/(m r²), a / (g sin θ) = 1/(1+k) |
| ``bounce`` | a ball released above the floor; restitution e | e, release height, g |
| ``collide`` | a ball rolls down a short plank along the floor into a box at rest | masses, e, μ of the box on the floor |
| ``pendulum`` | a ball on a massless rigid rod, hinged on a stand, released at an angle | L, L_eff = L + 2r²/(5L), angle, exact period |

What PyBullet needs for each (measured against the closed forms in ``tests/sim_data/test_newton_physics.py``):
damping off (as for drops); friction and restitution combine as the *product* of both bodies', so
planks and the floor of a bounce get 1.0 and the object carries the drawn value; primitive
collision shapes (``ObjectSpec.shape``) for spheres, cylinders and boxes (a mesh hull rolls
bumpily); rolling friction 0; bounces at 1920 Hz with ``contactERP`` 0 (the default error
reduction pushes a penetrating ball out with extra velocity: apex ratios 15 % above e²) and
``contactProcessingThreshold`` 0 on every body (a contact found before the ball touches the
floor takes its restitution from a reduced velocity: up to 22 % lost on one bounce); the
pendulum a multibody with one revolute joint (its motor off, joint damping 0) — a point-to-point
constraint runs 0.3–0.8 % slow and loses amplitude; for collisions, a struck box as tall as the
ball (the impulse through its centre of mass: a taller box tips and its edge's floor friction
takes 2–4 % of the momentum) and low friction on the ball (0.1–0.15, enough to roll down a 15°
plank) and the box (0.1–0.2), so the vertical friction at the box's face presses it into the
floor only weakly (momentum over the impact step: 2.2 % lost at μ 0.6–1.0, < 1 % here).

Clutter: 0–2 objects of the split (as the drops' towers, settled before the release) stand on
the floor behind the motion plane, where they cannot take part in it. Objects: the scenario's
shape family (box-like, round), restricted to the split's members of that family when it has
any (the procedural catalogue's unseen 10 % holds only ``can``); environments, lights and clutter
follow ``sim.split`` exactly as for drops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from sim_data.assets import AssetLibrary, in_split
from sim_data.camera import Camera
from sim_data.environment import hsv_to_linear
from sim_data.scene import (
    DropScene,
    Fixture,
    Material,
    ObjectSpec,
    Pendulum,
    SimArgs,
    _object,
    _radius,
    _yaw_quaternion,
    asset_drawer,
    backdrop,
    environment_lights,
)

BOX_FAMILY = ("procedural/box", "procedural/book", "procedural/brick")  # lie flat: no tipping at μ ≤ 1.3
ROUND_FAMILY = ("procedural/ball", "procedural/sphere")
CYLINDER_FAMILY = ("procedural/cylinder", "procedural/can")
TARGET_FAMILY = ("procedural/cube",)  # a cube as tall and deep as the ball: it hides none of the ball at impact
INERTIA_RATIO = {"sphere": 2.0 / 5.0, "cylinder": 0.5}  # I / (m r²) of a solid sphere and cylinder
PLANK_WIDTH_M = 0.4
PLANK_THICKNESS_M = 0.03
GAP_M = 0.0005  # an object starts this far above the surface it rests on
BOUNCE_HZ = 1920  # bounces: see the module docstring
SETTLE_S = 1.0  # clutter settles for this long before the release
FRAME_PX = 3.0  # framed motion stays this many pixels inside the image


@dataclass
class NewtonArgs:
    """The ``sim.newton`` dict: ranges the Newtonian scenarios draw from (uniform, inclusive)."""

    plane_x_m: float = 0.0  # the motion plane x = plane_x_m
    clutter: tuple[int, int] = (0, 2)
    framing_margin: tuple[float, float] = (0.1, 0.3)  # extra field of view around the motion
    ramp_angle_deg: tuple[float, float] = (15.0, 45.0)
    ramp_length_m: tuple[float, float] = (1.0, 1.6)
    slide_friction_ratio: tuple[float, float] = (0.2, 1.3)  # μ / tan θ: above 1 the object stays put
    slide_size_m: tuple[float, float] = (0.1, 0.2)
    roll_angle_deg: tuple[float, float] = (5.0, 15.0)  # gentle: the roll stays mostly on the plank
    roll_length_m: tuple[float, float] = (1.0, 1.6)
    ball_size_m: tuple[float, float] = (0.08, 0.2)  # diameter of balls and cylinders
    bounce_restitution: tuple[float, float] = (0.3, 0.9)
    bounce_height_m: tuple[float, float] = (0.6, 1.2)  # the ball's lowest point at release
    collide_angle_deg: tuple[float, float] = (8.0, 15.0)
    collide_ramp_m: tuple[float, float] = (0.4, 0.6)
    collide_gap_m: tuple[float, float] = (0.4, 0.7)  # ramp foot to the struck box
    collide_restitution: tuple[float, float] = (0.3, 0.8)
    collide_friction: tuple[float, float] = (0.1, 0.2)  # the struck box on the floor
    collide_ball_m: tuple[float, float] = (0.1, 0.16)
    collide_mass_ratio: tuple[float, float] = (0.5, 2.0)  # struck box / ball
    pendulum_length_m: tuple[float, float] = (0.3, 0.8)
    pendulum_angle_deg: tuple[float, float] = (10.0, 60.0)

    def __post_init__(self):
        for name, value in self.__dict__.items():
            if isinstance(value, (tuple, list)):
                lo, hi = value
                if not lo <= hi:
                    raise ValueError(f"sim.newton.{name} must be (lo, hi) with lo <= hi, got {value}")
        if self.ramp_angle_deg[1] >= 80 or self.pendulum_angle_deg[1] >= 90 or self.clutter[0] < 0:
            raise ValueError("sim.newton: ramp angles below 80°, pendulum angles below 90°, clutter >= 0")
        if self.slide_friction_ratio[1] > 1.3:
            raise ValueError("sim.newton.slide_friction_ratio above 1.3: a box would tip instead of sliding")


# --------------------------------------------------------------------------------------------
# geometry
# --------------------------------------------------------------------------------------------
def rot_x_quaternion(angle: float) -> tuple[float, float, float, float]:
    """(w, x, y, z) of a rotation by ``angle`` (rad) about world x."""
    return (float(math.cos(angle / 2)), float(math.sin(angle / 2)), 0.0, 0.0)


def quat_multiply(a, b) -> tuple[float, float, float, float]:
    """Hamilton product ``a ∘ b`` of (w, x, y, z) quaternions (``b`` applied first)."""
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    return (
        w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
        w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
        w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
        w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
    )


@dataclass(frozen=True)
class Incline:
    """A plank's top surface: it meets the floor at ``foot`` and rises against ``downhill`` (±1 along y)."""

    foot: np.ndarray  # (x, y, 0)
    downhill: float
    angle: float  # rad
    length: float

    @property
    def up(self) -> np.ndarray:
        """Unit vector up the surface."""
        return np.array([0.0, -self.downhill * math.cos(self.angle), math.sin(self.angle)])

    @property
    def normal(self) -> np.ndarray:
        """Unit surface normal (upwards)."""
        return np.array([0.0, self.downhill * math.sin(self.angle), math.cos(self.angle)])

    @property
    def quaternion(self) -> tuple[float, float, float, float]:
        """Orientation of the plank (and of a box lying on it): local z along the normal."""
        return rot_x_quaternion(-self.downhill * self.angle)

    def point(self, s: float, height: float) -> tuple[float, float, float]:
        """The point ``s`` metres up the surface from the foot and ``height`` above it."""
        return tuple(float(v) for v in self.foot + s * self.up + height * self.normal)

    def plank(self, material: Material) -> Fixture:
        """The static plank (its top surface passes through the foot: no step onto the floor)."""
        centre = self.foot + self.up * self.length / 2 - self.normal * PLANK_THICKNESS_M / 2
        half = (PLANK_WIDTH_M / 2, self.length / 2, PLANK_THICKNESS_M / 2)
        return Fixture("ramp", half, tuple(float(v) for v in centre), self.quaternion, material, friction=1.0)


def _wood(rng: np.random.Generator) -> Material:
    color = hsv_to_linear(rng.uniform(0.05, 0.1), rng.uniform(0.3, 0.6), rng.uniform(0.35, 0.75))
    return Material(color, "wood", float(rng.uniform(0.4, 0.8)), 0.0, color2=hsv_to_linear(0.07, 0.5, 0.3))


def _metal(rng: np.random.Generator) -> Material:
    v = float(rng.uniform(0.3, 0.7))
    return Material((v, v, v), "plain", float(rng.uniform(0.2, 0.5)), 1.0)


def _family(options: tuple[str, ...], split: str) -> tuple[str, ...]:
    """The members of a shape family in ``split`` (all of them when it has none)."""
    inside = tuple(a for a in options if in_split(a, split))
    return inside or options


def _main_object(rng, args: SimArgs, library: AssetLibrary, family, size: float, shape: str, **fields) -> ObjectSpec:
    """An object of ``family`` with ``size`` (largest extent, m), its mass from a drawn density."""
    asset = str(rng.choice(_family(family, args.split)))
    obj = _object(rng, args, library, asset, True, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0))
    mass = obj.mass_kg / obj.size_m**3 * size**3
    return replace(obj, size_m=size, mass_kg=mass, shape=shape, **fields)


def _extent(library: AssetLibrary, obj: ObjectSpec) -> np.ndarray:
    """The object's axis-aligned size in its own frame (m)."""
    return library.mesh(obj.asset_id).extent * obj.size_m


def _clutter(rng, args: SimArgs, n: NewtonArgs, library: AssetLibrary) -> list[ObjectSpec]:
    """0–2 objects of the split standing on the floor behind the motion plane (settled first, as towers)."""
    draw = asset_drawer(args, library, rng)
    out: list[ObjectSpec] = []
    placed: list[tuple[np.ndarray, float]] = []
    for _ in range(int(rng.integers(n.clutter[0], n.clutter[1] + 1))):
        asset = draw()
        obj = _object(rng, args, library, asset, False, (0.0, 0.0, 0.0), _yaw_quaternion(rng))
        rad = _radius(library, asset, obj.size_m)
        for _try in range(50):
            xy = np.array([n.plane_x_m + rng.uniform(0.7, 1.6), rng.uniform(-1.0, 1.0)])
            if all(np.linalg.norm(xy - p) > rad + r + 0.02 for p, r in placed):
                break
        else:
            continue
        lowest = -float(library.mesh(asset).vertices[:, 2].min()) * obj.size_m  # upright: rests on its bottom
        out.append(replace(obj, position=(float(xy[0]), float(xy[1]), lowest + GAP_M)))
        placed.append((xy, rad))
    return out


def _floor_words(env) -> str:
    return f"{env.floor.kind} floor" if env is not None else "floor"


# --------------------------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------------------------
def _ramp_slide(rng, args, n, library, x0):
    theta = math.radians(rng.uniform(*n.ramp_angle_deg))
    length = float(rng.uniform(*n.ramp_length_m))
    inc = Incline(np.array([x0, float(rng.uniform(-0.2, 0.2)), 0.0]), float(rng.choice([-1.0, 1.0])), theta, length)
    ratio = float(rng.uniform(*n.slide_friction_ratio))
    size = float(rng.uniform(*n.slide_size_m))
    mu = ratio * math.tan(theta)
    obj = _main_object(rng, args, library, BOX_FAMILY, size, "box")
    ext = _extent(library, obj)
    s0 = length - ext[1] / 2 - 0.05
    obj = replace(obj, friction=mu, position=inc.point(s0, ext[2] / 2 + GAP_M), quaternion_wxyz=inc.quaternion)
    g = -args.gravity
    slides = mu < math.tan(theta)
    constants = {
        "theta_deg": math.degrees(theta),
        "mu": mu,
        "mu_object": mu,
        "mu_ramp": 1.0,
        "g": g,
        "slides": slides,
        "accel": g * (math.sin(theta) - mu * math.cos(theta)) if slides else 0.0,
        # the object is on the plank while its centre is at least half its length up from the foot
        "ramp": {"foot": inc.foot.tolist(), "up": inc.up.tolist(), "length_m": length, "min_s_m": float(ext[1] / 2)},
    }
    shape = obj.asset_id.split("/")[-1]
    return [obj], (inc.plank(_wood(rng)),), constants, {}, f"a {shape} is released on a wooden ramp"


def _roll(rng, args, n, library, x0):
    theta = math.radians(rng.uniform(*n.roll_angle_deg))
    length = float(rng.uniform(*n.roll_length_m))
    inc = Incline(np.array([x0, float(rng.uniform(-0.2, 0.2)), 0.0]), float(rng.choice([-1.0, 1.0])), theta, length)
    shape = str(rng.choice(["sphere", "cylinder"]))
    size = float(rng.uniform(*n.ball_size_m))
    if shape == "sphere":
        obj = _main_object(rng, args, library, ROUND_FAMILY, size, "sphere", friction=float(rng.uniform(0.6, 1.0)))
        radius = size / 2
        quat = obj.quaternion_wxyz
    else:
        obj = _main_object(rng, args, library, CYLINDER_FAMILY, 1.0, "cylinder", friction=float(rng.uniform(0.6, 1.0)))
        ext = library.mesh(obj.asset_id).extent
        scale = size / ext[0]  # the diameter is ``size``
        obj = replace(obj, size_m=float(scale), mass_kg=obj.mass_kg * scale**3)
        radius = size / 2
        quat = (math.cos(math.pi / 4), 0.0, math.sin(math.pi / 4), 0.0)  # local z (the axis) along world x
    s0 = length - radius - 0.05
    obj = replace(obj, position=inc.point(s0, radius + GAP_M), quaternion_wxyz=quat)
    k = INERTIA_RATIO[shape]
    constants = {
        "theta_deg": math.degrees(theta),
        "shape": shape,
        "inertia_ratio": k,
        "accel_ratio": 1.0 / (1.0 + k),
        "radius_m": radius,
        "g": -args.gravity,
        "ramp": {"foot": inc.foot.tolist(), "up": inc.up.tolist(), "length_m": length, "min_s_m": radius},
    }
    word = "ball" if shape == "sphere" else "cylinder"
    return [obj], (inc.plank(_wood(rng)),), constants, {}, f"a {word} rolls down a wooden ramp"


def _bounce(rng, args, n, library, x0):
    size = float(rng.uniform(*n.ball_size_m))
    e = float(rng.uniform(*n.bounce_restitution))
    h = float(rng.uniform(*n.bounce_height_m))
    obj = _main_object(rng, args, library, ROUND_FAMILY, size, "sphere", restitution=e)
    obj = replace(obj, position=(x0, float(rng.uniform(-0.3, 0.3)), h + size / 2))
    constants = {"e": e, "g": -args.gravity, "release_height_m": h, "radius_m": size / 2}
    physics = {"floor_restitution": 1.0, "physics_hz": BOUNCE_HZ, "engine": {"contactERP": 0.0}, "exact": True}
    return [obj], (), constants, physics, "a ball bounces on the {floor}"


def _collide(rng, args, n, library, x0):
    theta = math.radians(rng.uniform(*n.collide_angle_deg))
    length = float(rng.uniform(*n.collide_ramp_m))
    downhill = float(rng.choice([-1.0, 1.0]))
    gap = float(rng.uniform(*n.collide_gap_m))
    foot_y = -downhill * float(rng.uniform(0.2, 0.4))  # the motion spans the middle of the view
    inc = Incline(np.array([x0, foot_y, 0.0]), downhill, theta, length)
    d_ball = float(rng.uniform(*n.collide_ball_m))
    # low friction: it still rolls down the plank (μ ≥ 2/7 tan θ) but drags the box's face down only
    # weakly at impact, so that the floor's friction on the box takes < 1 % of the momentum
    ball = _main_object(rng, args, library, ROUND_FAMILY, d_ball, "sphere", friction=float(rng.uniform(0.1, 0.15)))
    e = float(rng.uniform(*n.collide_restitution))
    ball = replace(ball, restitution=e, position=inc.point(length - d_ball / 2 - 0.03, d_ball / 2 + GAP_M))
    target = _main_object(rng, args, library, TARGET_FAMILY, 1.0, "box")
    unit = library.mesh(target.asset_id).extent
    size = d_ball / unit[2]  # as tall as the ball: the impulse runs through the box's centre of mass (no tipping)
    mass = ball.mass_kg * float(rng.uniform(*n.collide_mass_ratio))  # comparable masses: a visible transfer
    target = replace(
        target, size_m=size, mass_kg=mass, friction=float(rng.uniform(*n.collide_friction)), restitution=1.0
    )
    ext = unit * size
    y = foot_y + downhill * (gap + ext[1] / 2)
    target = replace(target, position=(x0, float(y), ext[2] / 2 + GAP_M), quaternion_wxyz=(1.0, 0.0, 0.0, 0.0))
    constants = {
        "theta_deg": math.degrees(theta),
        "masses": {"ball": ball.mass_kg, "target": target.mass_kg},
        "e": e,
        "mu_target": target.friction,
        "roles": {"target": -2, "ball": -1},  # object indices (the ball is the last object)
        "direction": [0.0, downhill, 0.0],
        "g": -args.gravity,
        "ramp": {"foot": inc.foot.tolist(), "up": inc.up.tolist(), "length_m": length},
    }
    shape = target.asset_id.split("/")[-1]
    return (
        [target, ball],
        (inc.plank(_wood(rng)),),
        constants,
        {},
        f"a ball rolls down a ramp and hits a {shape} on the {{floor}}",
    )


def exact_pendulum_period(length_eff: float, g: float, angle_rad: float) -> float:
    """Period of a rigid pendulum released at rest from ``angle_rad``: 4 √(L/g) K(sin(θ₀/2)).

    ``K`` is the complete elliptic integral of the first kind (by the arithmetic-geometric mean).
    """
    k = math.sin(abs(angle_rad) / 2)
    a, b = 1.0, math.sqrt(1 - k * k)
    for _ in range(60):
        a, b = (a + b) / 2, math.sqrt(a * b)
    return 4 * math.sqrt(length_eff / g) * (math.pi / (2 * a))


def _pendulum(rng, args, n, library, x0):
    length = float(rng.uniform(*n.pendulum_length_m))
    size = float(rng.uniform(*n.ball_size_m)) * 0.7
    r = size / 2
    z_pivot = length + r + float(rng.uniform(0.15, 0.4))
    pivot = (x0, float(rng.uniform(-0.15, 0.15)), z_pivot)
    angle = math.radians(rng.uniform(*n.pendulum_angle_deg)) * float(rng.choice([-1.0, 1.0]))
    bob = _main_object(rng, args, library, ROUND_FAMILY, size, "sphere")
    pos = (x0, pivot[1] + length * math.sin(angle), z_pivot - length * math.cos(angle))
    bob = replace(bob, position=pos, quaternion_wxyz=rot_x_quaternion(angle))
    metal = _metal(rng)
    beam = Fixture(
        "beam", (0.2, 0.015, 0.015), (x0 + 0.14, pivot[1], z_pivot), (1.0, 0.0, 0.0, 0.0), metal, collide=False
    )
    post = Fixture("post", (0.015, 0.015, z_pivot / 2), (x0 + 0.325, pivot[1], z_pivot / 2), (1.0, 0.0, 0.0, 0.0), metal,
                   collide=False)  # fmt: skip
    g = -args.gravity
    l_eff = length + 2 * r * r / (5 * length)  # solid sphere on a massless rod: I = m (L² + 2r²/5) about the hinge
    constants = {
        "length_m": length,
        "length_eff_m": l_eff,
        "angle_deg": math.degrees(angle),
        "g": g,
        "period_s": exact_pendulum_period(l_eff, g, angle),
        "period_small_angle_s": 2 * math.pi * math.sqrt(l_eff / g),
        "pivot": list(pivot),
        "radius_m": r,
    }
    return [bob], (beam, post), constants, {"pendulum": (pivot, math.degrees(angle))}, "a pendulum swings"


SAMPLERS = {"ramp_slide": _ramp_slide, "roll": _roll, "bounce": _bounce, "collide": _collide, "pendulum": _pendulum}


def newton_args(args: SimArgs) -> NewtonArgs:
    """The scenario ranges (``sim.newton`` over the defaults)."""
    return NewtonArgs(**args.newton)


def sample_newton_scene(
    scenario: str, args: SimArgs, rng: np.random.Generator, library: AssetLibrary, seed: int
) -> DropScene:
    """Draw one scene of ``scenario`` from ``rng`` (the camera is placed by :func:`frame_camera`)."""
    n = newton_args(args)
    x0 = n.plane_x_m
    clutter = _clutter(rng, args, n, library)
    moving, fixtures, constants, physics, text = SAMPLERS[scenario](rng, args, n, library, x0)
    camera = Camera((x0 - 3.0, 0.0, 0.5), args.focal_length_mm, args.sensor_width_mm, args.resolution)
    lights, hdri, env = backdrop(args, rng, camera)
    objects = tuple(clutter + moving)
    pendulum = None
    if "pendulum" in physics:
        pivot, angle = physics["pendulum"]
        pendulum = Pendulum(len(objects) - 1, tuple(float(v) for v in pivot), angle)
    if "roles" in constants:
        constants["roles"] = {k: len(objects) + v for k, v in constants["roles"].items()}
    hz = physics.get("physics_hz", args.physics_hz)
    margin = float(rng.uniform(*n.framing_margin))
    return DropScene(
        seed,
        objects,
        camera,
        lights,
        hdri,
        args,
        env,
        scenario=scenario,
        fixtures=fixtures,
        pendulum=pendulum,
        floor_restitution=physics.get("floor_restitution"),
        physics_hz=hz,
        engine=physics.get("engine", {}),
        exact_contacts=physics.get("exact", False),
        settle_steps=int(SETTLE_S * hz),
        constants=constants,
        motion_plane={"point": [x0, 0.0, 0.0], "normal": [1.0, 0.0, 0.0], "framing_margin": margin},
        text=text.replace("{floor}", _floor_words(env)),
    )


# --------------------------------------------------------------------------------------------
# framing
# --------------------------------------------------------------------------------------------
def _fixture_corners(f: Fixture) -> np.ndarray:
    from sim_data.render_common import quat_to_matrix

    h = np.asarray(f.half_extents)
    local = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * h
    return local @ quat_to_matrix(np.asarray(f.quaternion_wxyz)).T + np.asarray(f.position)


def frame_camera(scene: DropScene, positions: np.ndarray, library: AssetLibrary) -> DropScene:
    """``scene`` with a level camera that sees the whole motion (``positions`` ``[T, N, 3]``) and the fixtures.

    The camera looks along +x at the middle of the moving objects' swept boxes and the colliding
    fixtures, from as far as the widest of them needs plus the scene's drawn framing margin.
    Drops keep the camera they were drawn with.
    """
    if scene.scenario == "drop":
        return scene
    pts, pad = [], []
    for i, o in enumerate(scene.objects):
        if o.dynamic:
            r = _radius(library, o.asset_id, o.size_m)
            pts.append(positions[:, i])
            pad.append(np.full(len(positions), r))
    for f in scene.fixtures:
        if f.collide or f.name == "beam":
            c = _fixture_corners(f)
            pts.append(c)
            pad.append(np.zeros(len(c)))
    p, r = np.concatenate(pts), np.concatenate(pad)
    lo, hi = (p - r[:, None]).min(axis=0), (p + r[:, None]).max(axis=0)
    lo[2] = max(lo[2], 0.0)
    centre = (lo + hi) / 2
    margin = scene.motion_plane["framing_margin"]
    base = Camera((0.0, 0.0, 0.0), scene.args.focal_length_mm, scene.args.sensor_width_mm, scene.args.resolution)
    tan_half = math.tan(math.radians(base.vertical_fov_deg / 2))
    half = max(hi[1] - lo[1], hi[2] - lo[2]) / 2 * (1 + margin)
    dist = half / tan_half
    cam_z = max(float(centre[2]), 0.08)
    for _ in range(200):
        cam = Camera((float(lo[0]) - dist, float(centre[1]), cam_z), base.focal_length_mm, base.sensor_width_mm,
                     base.resolution)  # fmt: skip
        corners = np.concatenate([p + np.array([0, sy, sz]) * r[:, None] for sy in (-1, 1) for sz in (-1, 1)])
        uv, depth = cam.project(corners)
        res = scene.args.resolution
        if (depth > 0.05).all() and (uv >= FRAME_PX).all() and (uv <= res - FRAME_PX).all():
            break
        dist *= 1.05
    lights = scene.lights
    if scene.environment is not None and scene.hdri is None:
        lights = environment_lights(scene.environment, cam)
    return replace(scene, camera=cam, lights=lights)
