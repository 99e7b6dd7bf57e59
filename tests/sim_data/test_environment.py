"""Procedural environments: deterministic per id, recorded in clip_info, split seen/unseen, lit as their sky."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim_data.assets import AssetLibrary, split_of
from sim_data.environment import (
    FLOOR_KINDS,
    NUM_ENVIRONMENTS,
    WALL_LAYOUTS,
    Environment,
    environment,
    environment_ids,
    environment_key,
)
from sim_data.scene import SimArgs, environment_lights, sample_scene

LIB = AssetLibrary(["procedural", "pybullet"])


def test_an_id_rebuilds_its_environment_and_json_round_trips():
    a, b = environment(17), environment(17)
    assert a == b and a != environment(18)
    assert Environment.from_json(json.loads(json.dumps(a.to_json()))) == a
    with pytest.raises(ValueError, match="outside"):
        environment(NUM_ENVIRONMENTS)


def test_the_catalogue_is_varied():
    envs = [environment(k) for k in range(200)]
    assert {e.floor.kind for e in envs} == set(FLOOR_KINDS)
    assert {e.walls.layout for e in envs} == set(WALL_LAYOUTS)
    colors = np.array([e.floor.color_a for e in envs])
    assert colors.std(axis=0).min() > 0.05  # floors differ in colour, not just in kind
    elev = np.array([e.sky.sun_elevation_deg for e in envs])
    assert elev.min() < 20 and elev.max() > 65


def test_seen_and_unseen_environments_and_objects_are_disjoint():
    seen, unseen = set(environment_ids("seen")), set(environment_ids("unseen"))
    assert not seen & unseen and len(seen | unseen) == NUM_ENVIRONMENTS
    assert 0.06 < len(unseen) / NUM_ENVIRONMENTS < 0.14  # the assets' 10 % hash
    assert all(split_of(environment_key(k)) == "unseen" for k in unseen)
    got = {"seen": set(), "unseen": set()}
    for split in got:
        for seed in range(12):
            scene = sample_scene(SimArgs(split=split), np.random.default_rng(seed), LIB, seed)
            got[split].add(scene.environment.index)
            assert all(split_of(o.asset_id) == split for o in scene.objects)
    assert got["seen"] <= seen and got["unseen"] <= unseen


def test_scene_records_its_environment_and_sun_lamp_follows_the_sky(tmp_path):
    from evaluation.schema import read_clip_info
    from sim_data.worker import RenderArgs, generate_sample

    args = SimArgs(resolution=32, num_frames=4)
    scene = sample_scene(args, np.random.default_rng(5), LIB, 5)
    assert scene.environment is not None and [light.name for light in scene.lights] == ["sun", "fill"]
    sun = scene.lights[0]
    rx, _, rz = sun.rotation_euler  # a lamp shines along its local -z: rotate (0, 0, -1) by x then z
    shine = np.array([-np.sin(rz) * np.sin(rx), np.cos(rz) * np.sin(rx), -np.cos(rx)])
    np.testing.assert_allclose(shine, -scene.environment.sky.sun_direction(), atol=1e-9)
    generate_sample(args, RenderArgs(), 5, tmp_path / "s")
    info = read_clip_info(tmp_path / "s" / "clip_info.json")
    assert Environment.from_json(info["environment"]) == scene.environment
    assert info["background"] == "procedural" and info["lights"][0]["color"] == list(sun.color)


def test_plain_background_keeps_the_released_lights():
    scene = sample_scene(SimArgs(background="plain"), np.random.default_rng(2), LIB, 2)
    assert scene.environment is None and [light.name for light in scene.lights] == ["sun", "key", "fill", "back"]
    with pytest.raises(ValueError, match="sim.background"):
        SimArgs(background="forest")


def test_preview_shows_the_environments_colours():
    from sim_data.physics import simulate
    from sim_data.render_preview import render_preview

    backs = []
    for k in (0, 2):  # no walls (sky) vs a room corner
        scene = sample_scene(SimArgs(resolution=48, num_frames=2), np.random.default_rng(1), LIB, 1)
        e = environment(k)
        from dataclasses import replace

        scene = replace(scene, environment=e, lights=environment_lights(e, scene.camera))
        rgb = render_preview(scene, simulate(scene, LIB), LIB).rgb[0]
        floor, back = e.preview_colors()
        assert np.abs(rgb[-1].mean(0) - np.array(floor[:3]) * 255).max() < 60  # bottom row: floor
        backs.append(rgb[0].mean(0))
    assert np.abs(backs[0] - backs[1]).max() > 10


def test_objects_span_household_sizes_with_printed_materials():
    sizes, patterns = [], set()
    for seed in range(30):
        scene = sample_scene(SimArgs(), np.random.default_rng(seed), LIB, seed)
        sizes += [o.size_m for o in scene.objects]
        patterns |= {o.material.pattern for o in scene.objects}
    assert 0.05 <= min(sizes) < 0.1 and 0.3 < max(sizes) <= 0.35
    assert {"label", "two_tone", "plain"} <= patterns
