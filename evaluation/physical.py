"""Physical constants read off a video's masks: g, μ, e, momentum and rolling acceleration, in SI units.

Pure functions (numpy only). A mask centroid is carried onto the clip's motion plane (recorded
by the simulator in ``clip_info.json``: camera ``K`` and ``world_to_camera``, ``motion_plane``),
which turns a pixel trajectory into metres; each scenario's estimator then fits the law of its
motion to that trajectory:

| scenario | estimate | how |
|---|---|---|
| ``drop`` | ``g`` | parabola through the free fall (release to the first frame that falls slower) |
| ``bounce`` | ``g``, ``e`` | one parabola per flight between bounces, sharing g; at each impact the two flights meet and e = −v_out / v_in |
| ``ramp_slide`` | ``mu`` | a = g(sin θ − μ cos θ) from the parabola of the distance down the plank while on it; an object that never moves gives μ = tan θ, a lower bound (flagged ``static``) |
| ``roll`` | ``rolling_accel_ratio`` | that acceleration over g sin θ (1/(1 + I/(m r²)): 5/7 sphere, 2/3 cylinder) |
| ``collide`` | ``momentum_ratio`` | (m_b v_b' + m_t v_t') / (m_b v_b) at the impact (between the last frame the box rests and the first it moved): a line through the ball's three frames before, parabolas through both objects' three frames after, the recorded masses |
| ``pendulum`` | ``period``, ``g`` | zero crossings of the rod's angle about the recorded pivot give T; g = 16 L_eff K(sin(θ₀/2))² / T² |

θ, the plank, the pivot, L_eff and the masses come from the ground truth's ``constants``: they
are what the first frame shows (or, for masses, what the scene is), not what the model implies.
An estimate that cannot be made — the object is not visible, never moves, never bounces, never
swings through the vertical, leaves the plank too soon — is an :class:`Estimate` with a
``failure`` reason, never a silent NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

MIN_POINTS = 4  # positions a parabola is fitted through (three determine it; one more checks it)
MIN_MOTION_M = 0.01  # less displacement than this (or 2 px, whichever is more) is "never moved"
MIN_MOTION_PX = 2.0
AREA_TOLERANCE = 0.1  # drop / bounce: a mask area this far from frame 0's is occluded
BOUNCE_RISE_M = 0.01  # a bounce must lift the object at least this much
COLLIDE_WINDOW = 3  # frames on each side of the impact (16 fps: the impact itself lasts milliseconds)
SCENARIO_CONSTANTS = {  # the simulator's scenarios (sim.scenario) and the constants each implies
    "drop": ("g",),
    "ramp_slide": ("mu",),
    "roll": ("rolling_accel_ratio",),
    "bounce": ("g", "e"),
    "collide": ("momentum_ratio",),
    "pendulum": ("period", "g"),
}
SCENARIOS = tuple(SCENARIO_CONSTANTS)
REQUIRED_CONSTANTS = {  # what each estimator reads from the ground truth's constants
    "ramp_slide": ("theta_deg", "ramp"),
    "roll": ("theta_deg", "ramp"),
    "collide": ("direction", "masses", "roles"),
    "pendulum": ("pivot", "length_m", "length_eff_m"),
}
UNITS = {"g": "m/s²", "e": "", "mu": "", "rolling_accel_ratio": "", "momentum_ratio": "", "period": "s"}


@dataclass
class Estimate:
    """What one video implies: ``values`` (constant → number), ``failure`` when it implies nothing.

    ``missing``: constants this video cannot give although others are there (a ball that never
    bounces gives g from its fall but no e), with the reason.
    """

    values: dict = field(default_factory=dict)
    failure: str | None = None
    details: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The record in ``per_sample.jsonl``."""
        return {
            **self.values,
            "failure": self.failure,
            **({"missing": self.missing} if self.missing else {}),
            **self.details,
        }

    def why_not(self, constant: str) -> str:
        """Why ``constant`` has no value."""
        return self.failure or self.missing.get(constant) or "no estimate"


@dataclass(frozen=True)
class Geometry:
    """What the ground truth records about a clip: camera, motion plane, scenario and its constants."""

    scenario: str
    K: np.ndarray
    world_to_camera: np.ndarray
    plane_point: np.ndarray
    plane_normal: np.ndarray
    constants: dict

    @staticmethod
    def from_clip_info(info: dict) -> Geometry | None:
        """The geometry of a simulated clip; None for clips that record none (real videos, older samples).

        Raises:
            ValueError: the clip names a scenario but lacks what its estimator reads (names the keys).
        """
        cam, plane = info.get("camera"), info.get("motion_plane")
        scenario = info.get("scenario")
        if not cam or "K" not in cam or scenario is None:
            return None
        if scenario not in SCENARIO_CONSTANTS:
            raise ValueError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIO_CONSTANTS)})")
        missing = [k for k in REQUIRED_CONSTANTS.get(scenario, ()) if k not in (info.get("constants") or {})]
        if missing or "world_to_camera" not in cam:
            raise ValueError(f"scenario {scenario} needs constants {missing or []} and camera.world_to_camera")
        if plane is None:  # a drop: the vertical plane through the main object's start, facing the camera
            objects = info.get("objects") or []
            if not objects or "positions" not in objects[-1]:
                return None
            plane = {"point": objects[-1]["positions"][0], "normal": [1.0, 0.0, 0.0]}
        return Geometry(
            scenario,
            np.asarray(cam["K"], dtype=np.float64),
            np.asarray(cam["world_to_camera"], dtype=np.float64),
            np.asarray(plane["point"], dtype=np.float64),
            np.asarray(plane["normal"], dtype=np.float64),
            dict(info.get("constants") or {}),
        )

    def resized(self, scale_x: float, scale_y: float, left: float = 0.0, top: float = 0.0) -> Geometry:
        """The geometry of the frames scaled by ``(scale_x, scale_y)`` then cropped at ``(left, top)``.

        Pixel coordinates are continuous (pixel i spans [i, i+1), as :func:`mask_centroids`), so a
        point at ``u`` lands at ``scale_x · u − left``: the intrinsics change, the pose does not.
        """
        k = self.K.copy()
        k[0] = k[0] * scale_x
        k[1] = k[1] * scale_y
        k[0, 2] -= left
        k[1, 2] -= top
        return replace(self, K=k)

    def to_plane(self, uv: np.ndarray) -> np.ndarray:
        """Continuous pixels ``[T, 2]`` (x right, y down; NaN allowed) → world points ``[T, 3]`` on the motion plane."""
        r, t = self.world_to_camera[:3, :3], self.world_to_camera[:3, 3]
        centre = -r.T @ t
        uv1 = np.concatenate([uv, np.ones_like(uv[:, :1])], axis=1)
        rays = (uv1 @ np.linalg.inv(self.K).T) @ r  # camera → world directions (R^T d)
        lam = ((self.plane_point - centre) @ self.plane_normal) / (rays @ self.plane_normal)
        return centre + lam[:, None] * rays

    def metres_per_pixel(self) -> float:
        """Size of one pixel on the motion plane at the image centre."""
        depth = (self.world_to_camera[:3, :3] @ self.plane_point + self.world_to_camera[:3, 3])[2]
        return float(depth / self.K[0, 0])


def mask_centroids(mask: np.ndarray) -> np.ndarray:
    """Continuous-pixel centroids ``[T, 2]`` (pixel i spans [i, i+1)) of ``bool [T, H, W]``; NaN where empty."""
    t = mask.shape[0]
    out = np.full((t, 2), np.nan)
    for k in range(t):
        ys, xs = np.nonzero(mask[k])
        if len(xs):
            out[k] = xs.mean() + 0.5, ys.mean() + 0.5
    return out


def trajectory(mask: np.ndarray, geom: Geometry) -> np.ndarray:
    """World positions ``[T, 3]`` of an object's mask centroid on the motion plane (NaN where not visible)."""
    return geom.to_plane(mask_centroids(mask))


def _min_motion(geom: Geometry) -> float:
    return max(MIN_MOTION_M, MIN_MOTION_PX * geom.metres_per_pixel())


def _visible_run(x: np.ndarray) -> int:
    """Length of the leading run of visible (finite) frames."""
    bad = np.flatnonzero(~np.isfinite(x))
    return int(bad[0]) if len(bad) else len(x)


def _complete_elliptic_k(k: float) -> float:
    a, b = 1.0, math.sqrt(max(1 - k * k, 0.0))
    for _ in range(60):
        a, b = (a + b) / 2, math.sqrt(a * b)
    return math.pi / (2 * a)


# --------------------------------------------------------------------------------------------
# estimators (one per scenario); all take world positions [T, 3] per object and the frame rate
# --------------------------------------------------------------------------------------------
def estimate_drop(z: np.ndarray, fps: float, geom: Geometry) -> Estimate:
    """G from the free fall: frames from the release until the fall stops speeding up (an impact).

    In free fall the drop per frame grows by g/fps² every frame; the fall ends before the first
    frame whose growth is less than half the median growth so far (with a falling object's
    discrete steps, an impact between two frames shows exactly there).
    """
    n = _visible_run(z)
    if n < MIN_POINTS:
        return Estimate(failure="object not visible in the first frames")
    z = z[:n]
    drop = z[0] - z
    if drop.max() < _min_motion(geom):
        return Estimate(failure="never moved")
    step = -np.diff(z)  # downward displacement per frame
    end = n
    for k in range(1, len(step)):
        growth = step[k] - step[k - 1]
        before = np.median(np.diff(step[:k])) if k >= 2 else 0.0
        if growth < 0.5 * before or (k == 1 and growth <= 0):
            end = k + 1  # frames 0..k: the impact falls between frame k and k + 1
            break
    if end < MIN_POINTS:
        return Estimate(failure=f"free fall only {end} frames long")
    t = np.arange(end) / fps
    a = np.polyfit(t, z[:end], 2)[0]
    return Estimate({"g": float(-2 * a)}, details={"fall_frames": end})


def estimate_bounce(z: np.ndarray, fps: float, geom: Geometry) -> Estimate:
    """G and e from the flights between bounces (parabolas sharing g; e at the first impact)."""
    n = _visible_run(z)
    z = z[:n]
    if n < MIN_POINTS or (z[0] - np.nanmin(z)) < _min_motion(geom):
        return Estimate(failure="never moved" if n >= MIN_POINTS else "object not visible in the first frames")
    minima = [k for k in range(1, n - 1) if z[k] < z[k - 1] and z[k] <= z[k + 1]]
    minima = [k for k in minima if np.max(z[k:]) - z[k] >= BOUNCE_RISE_M]
    if not minima:  # it lands and stays: g from the fall, no e
        fall = estimate_drop(z, fps, geom)
        return Estimate(fall.values, fall.failure, fall.details, missing={"e": "never bounced"})
    # the first two flights (release → first bounce → second bounce or rest); a flight ends at the
    # next bounce or where the ball is back within one rise-threshold of its lowest height (at rest)
    floor = float(np.min(z)) + _min_motion(geom)
    ends = [*minima, n][:2]
    starts = [0, minima[0] + 1]
    flights = []
    for a, b in zip(starts, [ends[0], ends[1] if len(ends) > 1 else n], strict=True):
        ks = np.arange(a, b)
        low = np.flatnonzero(z[ks] <= floor)
        ks = ks[: low[0]] if len(low) else ks
        # a flight is concave (gravity pulls down): where the height bends upwards, the ball has
        # hit the floor again between this frame and the next (a hop too small to be a minimum)
        bend = np.flatnonzero(z[ks[1:-1] + 1] - 2 * z[ks[1:-1]] + z[ks[1:-1] - 1] > 0) if len(ks) > 2 else []
        flights.append(ks[: bend[0] + 2] if len(bend) else ks)
    if len(flights[0]) < 3 or len(flights[1]) < 2:
        return Estimate(failure="too few frames between bounces")
    rows, rhs = [], []
    for j, f in enumerate(flights):
        for k in f:
            t = k / fps
            rows.append([t * t, t if j == 0 else 0.0, 1.0 if j == 0 else 0.0, t if j else 0.0, 1.0 if j else 0.0])
            rhs.append(z[k])
    a, b0, c0, b1, c1 = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0]
    if b0 == b1:
        return Estimate(failure="flights do not meet in an impact")
    t_hit = (c1 - c0) / (b0 - b1)  # the two parabolas share a, so they meet once: the impact
    v_in, v_out = 2 * a * t_hit + b0, 2 * a * t_hit + b1
    if v_in >= 0 or v_out <= 0:
        return Estimate(failure="flights do not meet in an impact")
    e = float(-v_out / v_in)
    return Estimate(
        {"g": float(-2 * a), "e": e}, details={"impact_s": float(t_hit), "flight_frames": [len(f) for f in flights]}
    )


def _down_plank(pos: np.ndarray, geom: Geometry) -> tuple[np.ndarray, float, float]:
    ramp = geom.constants["ramp"]
    s = (pos - np.asarray(ramp["foot"])) @ np.asarray(ramp["up"])
    return s, math.radians(geom.constants["theta_deg"]), float(ramp.get("min_s_m", 0.0))


def _plank_acceleration(pos: np.ndarray, fps: float, geom: Geometry) -> tuple[float | None, str | None, dict]:
    """Acceleration down the plank (m/s²) while on it; None and a reason when there is none to fit."""
    s, _, min_s = _down_plank(pos, geom)
    n = _visible_run(s)
    if n < MIN_POINTS:
        return None, "object not visible in the first frames", {}
    s = s[:n]
    if (s[0] - s).max() < _min_motion(geom):
        return 0.0, None, {"static": True}
    off = np.flatnonzero(s < min_s)
    end = int(off[0]) if len(off) else n
    if end < MIN_POINTS:
        return None, f"on the plank for only {end} frames", {}
    t = np.arange(end) / fps
    return float(-2 * np.polyfit(t, s[:end], 2)[0]), None, {"plank_frames": end, "static": False}


def estimate_ramp_slide(pos: np.ndarray, fps: float, geom: Geometry) -> Estimate:
    """μ = (sin θ − a/g) / cos θ; an object at rest gives tan θ, a lower bound (``static``)."""
    a, failure, details = _plank_acceleration(pos, fps, geom)
    if failure:
        return Estimate(failure=failure)
    _, theta, _ = _down_plank(pos, geom)
    g = float(geom.constants.get("g", 9.81))
    mu = (math.sin(theta) - a / g) / math.cos(theta)
    return Estimate({"mu": float(mu)}, details={"accel": a, **details})


def estimate_roll(pos: np.ndarray, fps: float, geom: Geometry) -> Estimate:
    """Acceleration down the plank over g sin θ."""
    a, failure, details = _plank_acceleration(pos, fps, geom)
    if failure:
        return Estimate(failure=failure)
    if details.get("static"):
        return Estimate(failure="never moved")
    _, theta, _ = _down_plank(pos, geom)
    g = float(geom.constants.get("g", 9.81))
    return Estimate({"rolling_accel_ratio": a / (g * math.sin(theta))}, details={"accel": a, **details})


def estimate_collide(ball: np.ndarray, target: np.ndarray, fps: float, geom: Geometry) -> Estimate:
    """Momentum after / before the impact along the line of motion, with the recorded masses."""
    d = np.asarray(geom.constants["direction"], dtype=np.float64)
    masses = geom.constants["masses"]
    ub, ut = ball @ d, target @ d
    if not np.isfinite(ut[0]):
        return Estimate(failure="struck object not visible in the first frame")
    moved = np.flatnonzero(np.abs(ut - ut[0]) >= _min_motion(geom))
    if not len(moved):
        return Estimate(failure="the struck object never moved")
    k = int(moved[0])
    w = COLLIDE_WINDOW
    before = np.arange(max(k - w, 0), k)
    after = np.arange(k, min(k + w, len(ut)))
    if len(before) < 2 or len(after) < 3 or not (np.isfinite(ub[before]).all() and np.isfinite(ub[after]).all()):
        return Estimate(failure="too few visible frames around the impact")
    if not np.isfinite(ut[after]).all():
        return Estimate(failure="struck object not visible after the impact")
    t = np.arange(len(ut)) / fps
    t_hit = float(t[k - 1] + t[k]) / 2  # the impact falls between the last frame at rest and the first moved
    vb_in = np.polyfit(t[before], ub[before], 1)[0]  # rolling on the floor: a line
    # after: parabolas through the first three frames (the box decelerates by friction, the ball's
    # spin speeds it up again); their slopes at the impact
    vb_out = np.polyval(np.polyder(np.polyfit(t[after], ub[after], 2)), t_hit)
    vt_out = np.polyval(np.polyder(np.polyfit(t[after], ut[after], 2)), t_hit)
    if vb_in <= 0:
        return Estimate(failure="the ball does not move towards the struck object")
    ratio = (masses["ball"] * vb_out + masses["target"] * vt_out) / (masses["ball"] * vb_in)
    return Estimate(
        {"momentum_ratio": float(ratio)},
        details={
            "impact_frame": k,
            "v_ball_in": float(vb_in),
            "v_ball_out": float(vb_out),
            "v_target_out": float(vt_out),
        },
    )


def estimate_pendulum(pos: np.ndarray, fps: float, geom: Geometry) -> Estimate:
    """Period from the zero crossings of the swing angle; g = 16 L_eff K(sin(θ₀/2))² / T²."""
    c = geom.constants
    pivot = np.asarray(c["pivot"], dtype=np.float64)
    n = _visible_run(pos[:, 1])
    if n < MIN_POINTS:
        return Estimate(failure="object not visible in the first frames")
    rel = pos[:n] - pivot
    theta = np.arctan2(rel[:, 1], -rel[:, 2])
    if np.abs(theta - theta[0]).max() * float(c["length_m"]) < _min_motion(geom):
        return Estimate(failure="never moved")
    t = np.arange(n) / fps
    k = np.flatnonzero(np.sign(theta[:-1]) * np.sign(theta[1:]) < 0)
    if not len(k):
        return Estimate(failure="never swung through the vertical")
    cross = t[k] - theta[k] * (t[k + 1] - t[k]) / (theta[k + 1] - theta[k])
    period = 2 * float(np.mean(np.diff(cross))) if len(cross) >= 2 else 4 * float(cross[0])
    amp = abs(float(theta[0]))
    kk = _complete_elliptic_k(math.sin(amp / 2))
    g = 16 * float(c["length_eff_m"]) * kk * kk / period**2
    return Estimate({"period": period, "g": g}, details={"crossings": len(cross), "amplitude_deg": math.degrees(amp)})


def estimate(masks: np.ndarray, fps: float, geom: Geometry, main: int) -> Estimate:
    """The constants one video implies: ``masks`` ``bool [T, N, H, W]`` (every object), ``main`` the scored object.

    A fit that numpy cannot make (degenerate positions) is a failure with its reason, like any other.
    """
    try:
        return _estimate(masks, fps, geom, main)
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError) as e:
        return Estimate(failure=f"the fit failed ({type(e).__name__}: {e})")


def _estimate(masks: np.ndarray, fps: float, geom: Geometry, main: int) -> Estimate:
    if geom.scenario not in SCENARIO_CONSTANTS:
        return Estimate(failure=f"no estimator for scenario {geom.scenario!r}")
    pos = trajectory(masks[:, main], geom)
    if geom.scenario in ("drop", "bounce"):
        # a falling body translates in a plane facing the camera: its mask keeps its area; a frame
        # where the area changes by more than AREA_TOLERANCE is occluded (or the body turned) and
        # ends the visible run the fit may use
        area = masks[:, main].sum(axis=(1, 2)).astype(np.float64)
        if area[0] > 0:
            pos[np.abs(area / area[0] - 1) > AREA_TOLERANCE] = np.nan
    if geom.scenario == "drop":
        return estimate_drop(pos[:, 2], fps, geom)
    if geom.scenario == "bounce":
        return estimate_bounce(pos[:, 2], fps, geom)
    if geom.scenario == "ramp_slide":
        return estimate_ramp_slide(pos, fps, geom)
    if geom.scenario == "roll":
        return estimate_roll(pos, fps, geom)
    if geom.scenario == "pendulum":
        return estimate_pendulum(pos, fps, geom)
    roles = geom.constants["roles"]
    if max(roles.values()) >= masks.shape[1]:
        return Estimate(failure=f"collide needs the masks of objects {sorted(roles.values())}")
    ball = trajectory(masks[:, roles["ball"]], geom)
    target = trajectory(masks[:, roles["target"]], geom)
    return estimate_collide(ball, target, fps, geom)


def relative_error(pred: Estimate, gt: Estimate, name: str) -> float | None:
    """|pred − gt| / |gt| of constant ``name``; None when either side has no estimate of it."""
    if name not in pred.values or name not in gt.values:
        return None
    ref = gt.values[name]
    if ref == 0:
        return None
    return abs(pred.values[name] - ref) / abs(ref)
