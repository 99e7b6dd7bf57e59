"""Cycles renderer on a tiny clip: same schema, masks and depth agree with the preview renderer."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("bpy")

from scipy.ndimage import binary_erosion  # noqa: E402

from evaluation.metrics import iou_per_frame  # noqa: E402
from sim_data.assets import AssetLibrary  # noqa: E402
from sim_data.physics import simulate  # noqa: E402
from sim_data.render_cycles import render_cycles, srgb_encode  # noqa: E402
from sim_data.render_preview import render_preview  # noqa: E402
from sim_data.worker import RenderArgs  # noqa: E402
from tests.sim_data.test_physics import single_drop  # noqa: E402

LIB = AssetLibrary(["procedural", "pybullet"])


@pytest.mark.blender
@pytest.mark.slow
@pytest.mark.parametrize("env", [None, 3], ids=["plain", "corner-walls"])
def test_cycles_matches_preview_geometry(env):
    """Masks and depth agree between the renderers, also in a procedural room (walls, floor, sky)."""
    from dataclasses import replace

    from sim_data.environment import environment
    from sim_data.scene import environment_lights

    scene = single_drop("procedural/cube", frames=3)
    if env is not None:
        e = environment(env)
        assert e.walls.layout == "corner"
        obj = replace(scene.objects[0], material=replace(scene.objects[0].material, pattern="label"))
        scene = replace(scene, objects=(obj,), environment=e, lights=environment_lights(e, scene.camera))
    traj = simulate(scene, LIB)
    cyc = render_cycles(
        scene,
        traj,
        LIB,
        RenderArgs(renderer="cycles", samples=2, walls_samples=None, denoise=False, adaptive_threshold=0.0),
    )
    pre = render_preview(scene, traj, LIB)
    assert cyc.rgb.shape == pre.rgb.shape == (3, 128, 128, 3)
    assert cyc.masks.shape == pre.masks.shape and cyc.masks[:, 0].any()
    # the same geometry through two renderers: masks agree up to edge pixels
    assert iou_per_frame(cyc.masks[:, 0], pre.masks[:, 0]).min() > 0.8
    both = binary_erosion(
        cyc.masks[:, 0] & pre.masks[:, 0], iterations=2, structure=np.ones((1, 3, 3))
    )  # no edge pixels
    assert both.sum() > 50
    np.testing.assert_allclose(
        cyc.depth[both], pre.depth[both], rtol=0.01
    )  # planar depth in metres (TinyRenderer z-buffer vs Cycles)
    assert cyc.rgb[:, cyc.masks[0, 0].any(axis=1)].std() > 1  # something was drawn and lit
    assert cyc.info["samples"] == 2 and cyc.renderer == "cycles"


def test_tone_curve():
    x = np.array([0.0, 0.5, 1.0, 100.0])
    out = srgb_encode(x)
    assert out[0] == 0 and out[-1] == 255 and np.all(np.diff(out.astype(int)) > 0)


@pytest.mark.blender
@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["ramp_slide", "pendulum"])
def test_cycles_draws_fixtures_and_the_rod_like_the_preview(scenario):
    """Planks, stands and the pendulum's rod (part of the bob's mask) in both renderers."""
    from dataclasses import replace

    from sim_data.physics import simulate_clip
    from sim_data.scene import SimArgs, sample_scene

    args = SimArgs(scenario=scenario, resolution=96, num_frames=3)
    scene, traj = simulate_clip(sample_scene(args, np.random.default_rng(1), LIB, 1), LIB)
    scene = replace(scene, objects=scene.objects[-1:], pendulum=scene.pendulum and replace(scene.pendulum, index=0))
    traj = replace(traj, positions=traj.positions[:, -1:], quaternions=traj.quaternions[:, -1:])
    cyc = render_cycles(
        scene,
        traj,
        LIB,
        RenderArgs(renderer="cycles", samples=2, walls_samples=None, denoise=False, adaptive_threshold=0.0),
    )
    pre = render_preview(scene, traj, LIB)
    # small masks (a 1-px rod) differ at their edges; their areas and centroids agree
    from evaluation.physical import mask_centroids

    assert np.abs(mask_centroids(cyc.masks[:, 0]) - mask_centroids(pre.masks[:, 0])).max() < 1.0
    area_c, area_p = cyc.masks[:, 0].sum(axis=(1, 2)), pre.masks[:, 0].sum(axis=(1, 2))
    assert np.abs(area_c / area_p - 1).max() < 0.15
    # the fixtures are drawn (nearer than the floor behind them) and belong to no mask
    fixture_px = (pre.depth < cyc.depth.max()) & ~pre.masks[:, 0]
    assert fixture_px.any()
    if scenario == "pendulum":  # the rod is in the bob's mask: the mask reaches up to the hinge
        rows = np.flatnonzero(cyc.masks[0, 0].any(axis=1))
        assert rows.max() - rows.min() > 0.3 * args.resolution
