"""Physics against analytic free fall, rest at the end, and mask centroids against projections."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from evaluation.metrics import centroids
from sim_data.assets import AssetLibrary
from sim_data.camera import Camera
from sim_data.physics import REST_SPEED, simulate
from sim_data.render_preview import render_preview
from sim_data.scene import DropScene, Material, ObjectSpec, SimArgs, sample_scene

LIB = AssetLibrary(["procedural", "pybullet"])
G = 9.81


def single_drop(asset="procedural/cube", z0=1.2, hz=480, frames=24, friction=0.8) -> DropScene:
    args = SimArgs(resolution=128, num_frames=frames, physics_hz=hz, num_dropped=(1, 1), tower_size=(0, 0))
    obj = ObjectSpec(
        asset,
        True,
        0.2,
        1.0,
        friction,
        0.0,
        (0.3, -0.2, z0),
        (0.92, 0.2, 0.3, 0.1),
        Material((0.8, 0.2, 0.2), "plain", 0.5, 0.0),
    )
    cam = Camera((-3.0, 0.0, 0.5), 35.0, 32.0, args.resolution)
    return DropScene(0, (obj,), cam, (), None, args)


@pytest.mark.parametrize("hz", [240, 480])
@pytest.mark.parametrize("asset", ["procedural/cube", "procedural/sphere", "pybullet/duck"])
def test_free_fall_matches_analytic_parabola(asset, hz):
    scene = single_drop(asset, hz=hz)
    traj = simulate(scene, LIB)
    contact = traj.first_contact_frame[0]
    assert contact > 3
    t = np.arange(contact) / scene.args.fps  # frames strictly before the first contact
    z = traj.positions[:contact, 0, 2]
    z_exact = scene.objects[0].position[2] - 0.5 * G * t**2
    assert np.abs(z - z_exact).max() <= 0.002  # issue target: within 2 mm
    drift = np.abs(traj.positions[:contact, 0, :2] - np.array(scene.objects[0].position[:2])).max()
    assert drift < 1e-6


def test_object_rests_on_the_floor_at_the_end():
    traj = simulate(single_drop("procedural/cube", frames=32), LIB)
    assert traj.final_speed[0] < REST_SPEED
    assert 0.05 < traj.positions[-1, 0, 2] < 0.2  # resting on the floor, not below it, not floating


def test_physics_rate_must_divide_by_fps():
    with pytest.raises(ValueError, match="integer multiple"):
        SimArgs(physics_hz=250, fps=16)


def test_mask_centroid_follows_projection_of_centre():
    scene = single_drop("procedural/sphere", frames=16)
    traj = simulate(scene, LIB)
    out = render_preview(scene, traj, LIB)
    contact = traj.first_contact_frame[0]
    c = centroids(out.masks[:contact, 0])
    uv, _ = scene.camera.project(traj.positions[:contact, 0])
    # index coordinates: pixel i has its centre at continuous coordinate i + 0.5
    assert np.abs(c - (uv - 0.5)).max() <= 1.5


def test_random_scenes_drop_cleanly():
    args = SimArgs(resolution=64, num_frames=32, num_dropped=(1, 3))
    for seed in range(3):
        scene = sample_scene(args, np.random.default_rng(seed), LIB, seed)
        traj = simulate(scene, LIB)
        for i, o in enumerate(scene.objects):
            if not o.dynamic:
                continue
            k = traj.first_contact_frame[i]
            assert k >= 1
            t = np.arange(k) / args.fps
            assert np.abs(traj.positions[:k, i, 2] - (o.position[2] - 0.5 * G * t**2)).max() <= 0.002
            assert traj.positions[-1, i, 2] > 0  # nothing falls through the floor


def test_camera_projection_conventions():
    cam = Camera((-2.0, 0.0, 0.5), 35.0, 32.0, 256)
    uv, z = cam.project(np.array([[1.0, 0.0, 0.5], [1.0, -0.3, 0.5], [1.0, 0.0, 0.2]]))
    np.testing.assert_allclose(uv[0], [128, 128])
    assert uv[1, 0] > 128 and uv[2, 1] > 128  # world -y is image right, lower z is image down
    np.testing.assert_allclose(z, 3.0)
    back = cam.unproject(uv, z)
    np.testing.assert_allclose(back, [[1.0, 0.0, 0.5], [1.0, -0.3, 0.5], [1.0, 0.0, 0.2]], atol=1e-12)
    np.testing.assert_allclose(replace(cam).K, cam.K)
