"""The Newtonian scenarios against their closed forms (issue 25's bounds, none loosened).

Each test records the clip at the physics rate (``fps = physics_hz``) so the closed form is
checked on PyBullet's own steps, not on 16 fps frames: slide acceleration within 1 % of
g(sin θ − μ cos θ) and a sub-critical box that stays put; rolling acceleration within 2 % of
g sin θ / (1 + I/(m r²)) for a sphere and a cylinder; bounce apex ratios within 3 % of e²;
momentum along the line of motion conserved within 2 % over a collision; the pendulum's period
within 1 % of the elliptic-integral period.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim_data.assets import AssetLibrary
from sim_data.physics import simulate
from sim_data.scenarios import BOUNCE_HZ, exact_pendulum_period
from sim_data.scene import SimArgs, sample_scene

LIB = AssetLibrary(["procedural", "pybullet"])
G = 9.81


def scene_of(scenario: str, seed: int, seconds: float, hz: int = 480, **newton):
    args = SimArgs(scenario=scenario, resolution=64, fps=hz, physics_hz=hz, num_frames=int(seconds * hz), newton=newton)
    return sample_scene(args, np.random.default_rng(seed), LIB, seed)


def on_ramp(scene, traj, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Times and distances up the plank of object ``i`` while it touches only the plank (after the first frame)."""
    ramp = scene.constants["ramp"]
    s = (traj.positions[:, i] - np.asarray(ramp["foot"])) @ np.asarray(ramp["up"])
    touching = {}
    for k, partner in traj.contacts[i]:
        touching.setdefault(k, set()).add(partner)
    frames = [k for k in range(1, len(s)) if touching.get(k) == {"ramp"}]
    last = frames[0]
    for k in frames[1:]:  # the first unbroken run on the plank
        if k != last + 1:
            break
        last = k
    ks = np.arange(frames[0], last + 1)
    return ks / scene.args.fps, s[ks]


def accel(t: np.ndarray, s: np.ndarray) -> float:
    return 2 * np.polyfit(t, s, 2)[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_slide_acceleration_matches_friction_law(seed):
    scene = scene_of("ramp_slide", seed, 0.6, slide_friction_ratio=(0.3, 0.7))
    traj = simulate(scene, LIB)
    t, s = on_ramp(scene, traj, -1)
    assert len(t) > 50
    c = scene.constants
    th, mu = math.radians(c["theta_deg"]), c["mu"]
    expected = G * (math.sin(th) - mu * math.cos(th))
    assert c["slides"] and expected == pytest.approx(c["accel"])
    assert -accel(t, s) == pytest.approx(expected, rel=0.01)


def test_box_above_the_friction_angle_stays_put():
    scene = scene_of("ramp_slide", 3, 1.0, slide_friction_ratio=(1.1, 1.2))
    assert not scene.constants["slides"]
    traj = simulate(scene, LIB)
    moved = np.linalg.norm(traj.positions[:, -1] - traj.positions[0, -1], axis=1).max()
    assert moved < 0.001  # stays put (static friction): less than a millimetre in a second


@pytest.mark.parametrize("shape", ["sphere", "cylinder"])
def test_rolling_acceleration_matches_rigid_body_formula(shape):
    seed = next(s for s in range(40) if scene_of("roll", s, 0.01).constants["shape"] == shape)
    scene = scene_of("roll", seed, 1.0)
    traj = simulate(scene, LIB)
    t, s = on_ramp(scene, traj, -1)
    assert len(t) > 100
    c = scene.constants
    expected = G * math.sin(math.radians(c["theta_deg"])) / (1 + c["inertia_ratio"])
    assert -accel(t, s) == pytest.approx(expected, rel=0.02)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_bounce_apex_heights_shrink_by_e_squared(seed):
    scene = scene_of("bounce", seed, 2.0, hz=BOUNCE_HZ)
    traj = simulate(scene, LIB)
    e, r = scene.constants["e"], scene.constants["radius_m"]
    z = traj.positions[:, -1, 2] - r
    apex = [z[0]] + [z[k] for k in range(1, len(z) - 1) if z[k] >= z[k - 1] and z[k] > z[k + 1]]
    apex = [a for a in apex if a > 0.03]  # flights of at least 3 cm
    assert len(apex) >= 2
    ratios = np.array(apex[1:]) / np.array(apex[:-1]) / e**2
    assert np.abs(ratios - 1).max() <= 0.03, ratios


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_collision_conserves_momentum_along_the_line(seed):
    scene = scene_of("collide", seed, 2.0)
    traj = simulate(scene, LIB)
    c = scene.constants
    ib, it = c["roles"]["ball"], c["roles"]["target"]
    hits = [k for k, partner in traj.contacts[ib] if partner == it]
    assert hits, "the ball never reaches the box"
    d = np.asarray(c["direction"])
    m_b, m_t = c["masses"]["ball"], c["masses"]["target"]
    v_b, v_t = traj.linear_velocities[:, ib] @ d, traj.linear_velocities[:, it] @ d
    k = next(k for k in range(1, len(v_t)) if v_t[k] > 0.05)  # the step of the impulse
    before, after = m_b * v_b[k - 1] + m_t * v_t[k - 1], m_b * v_b[k] + m_t * v_t[k]
    assert v_b[k - 1] > 0.3 and abs(v_t[k - 1]) < 1e-3  # it arrives rolling at a box at rest
    assert after == pytest.approx(before, rel=0.02)
    assert v_t[k] > 0.1 and v_b[k] < v_b[k - 1]  # the box moves off, the ball slows


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pendulum_period_matches_elliptic_integral(seed):
    scene = scene_of("pendulum", seed, 3.0)
    traj = simulate(scene, LIB)
    c = scene.constants
    pivot = np.asarray(c["pivot"])
    rel = traj.positions[:, -1] - pivot
    theta = np.arctan2(rel[:, 1], -rel[:, 2])
    assert theta[0] == pytest.approx(math.radians(c["angle_deg"]), abs=1e-6)
    assert np.abs(np.linalg.norm(rel[:, 1:], axis=1) - c["length_m"]).max() < 1e-4  # the rod stays rigid
    t = np.arange(len(theta)) / scene.args.fps
    k = np.nonzero(np.sign(theta[:-1]) != np.sign(theta[1:]))[0]
    crossings = t[k] - theta[k] * (t[k + 1] - t[k]) / (theta[k + 1] - theta[k])
    assert len(crossings) >= 2
    period = 2 * np.mean(np.diff(crossings))
    assert period == pytest.approx(exact_pendulum_period(c["length_eff_m"], G, math.radians(c["angle_deg"])), rel=0.01)
    assert c["period_s"] == pytest.approx(period, rel=0.01)


def test_exact_period_reduces_to_small_angle_formula():
    assert exact_pendulum_period(1.0, G, 1e-4) == pytest.approx(2 * math.pi / math.sqrt(G), rel=1e-8)
    assert exact_pendulum_period(1.0, G, math.radians(60)) / (2 * math.pi / math.sqrt(G)) == pytest.approx(
        1.0732, abs=1e-4
    )  # the tabulated large-angle factor at 60°
