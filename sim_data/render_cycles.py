"""Photoreal renderer: Blender Cycles through ``bpy`` (Blender as a Python module).

One call renders the whole clip as an animation (the scene is built once per sample, objects are
keyframed with the simulated poses, persistent data keeps the BVH between frames) into
multilayer EXR files, from which this module reads:

- ``Combined`` → RGB (Standard view transform, sRGB-encoded here);
- ``Depth`` → metres along the camera axis;
- ``Object Index`` → one visible-pixel mask per object (``pass_index = i + 1``).

Speed settings relative to Blender's defaults (measured in ``benchmarks/sim_throughput.py``):
``render.samples`` (64, as PISA) instead of 4096, adaptive threshold 0.05 instead of 0.01,
OpenImageDenoise at "fast" quality, 3 light-path bounces instead of 12, no caustics, no light
tree (four lights), persistent data, and no per-frame process start.
Optical flow is not read from the vector pass: ``sim_data.render_common.rigid_flow`` computes
the exact motion field from the depth and the poses, identical for both renderers.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from sim_data.assets import AssetLibrary
from sim_data.physics import Trajectory
from sim_data.render_common import RenderOutput
from sim_data.scene import DropScene, Material

FLOOR_SIZE_M = 40.0
WORLD_COLOR = (0.55, 0.62, 0.72)  # soft sky-blue ambient light when no HDRI is given
WORLD_STRENGTH = 0.6
FLOOR_COLORS = ((0.42, 0.36, 0.30), (0.30, 0.26, 0.22))
SMOOTH_FACE_COUNT = 64  # meshes with more faces than this are shaded smooth (curved shapes)
DENOISE_QUALITY = "FAST"  # OIDN "HIGH" (default) costs ~1 s per 256² frame on 2 cores for no visible gain here
DENOISE_PREFILTER = "FAST"
TONE_GAIN = 1.2  # slope of the tone curve at black; 1 - exp(-1.2) = 0.70 at linear 1.0
BACKGROUND_DEPTH_M = 1e4  # Cycles writes 1e10 for rays that hit nothing; clip for float16 storage


def _import_bpy():
    try:
        import bpy
    except ImportError as e:
        raise ImportError(
            "Blender's bpy module is needed for --renderer cycles: pip install -r requirements/sim.txt"
        ) from e
    return bpy


def _oiio(bpy):
    """OpenImageIO as bundled inside the bpy wheel (it reads multilayer EXR)."""
    site = (
        Path(bpy.utils.resource_path("LOCAL"))
        / "python"
        / "lib"
        / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        / "site-packages"
    )
    if str(site) not in sys.path:
        sys.path.append(str(site))
    import OpenImageIO

    return OpenImageIO


@contextlib.contextmanager
def _quiet_stdout():
    """Blender prints a line per tile and frame on the C-level stdout; keep the terminal readable."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _material(bpy, name: str, m: Material):
    mat = bpy.data.materials.new(name)
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes.get("Principled BSDF")
    bsdf.inputs["Roughness"].default_value = m.roughness
    bsdf.inputs["Metallic"].default_value = m.metallic
    base = (*m.color, 1.0)
    dark = (*[c * 0.45 for c in m.color], 1.0)
    if m.pattern == "plain":
        bsdf.inputs["Base Color"].default_value = base
        return mat
    coord = nodes.new("ShaderNodeTexCoord")
    if m.pattern == "checker":
        tex = nodes.new("ShaderNodeTexChecker")
        tex.inputs["Scale"].default_value = 6.0
        tex.inputs["Color1"].default_value = base
        tex.inputs["Color2"].default_value = (0.9, 0.9, 0.88, 1.0)
        links.new(coord.outputs["Object"], tex.inputs["Vector"])
        links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
        return mat
    if m.pattern == "wood":
        tex = nodes.new("ShaderNodeTexWave")
        tex.wave_type = "RINGS"
        tex.inputs["Scale"].default_value = 4.0
        tex.inputs["Distortion"].default_value = 6.0
    else:  # noise
        tex = nodes.new("ShaderNodeTexNoise")
        tex.inputs["Scale"].default_value = 8.0
    ramp = nodes.new("ShaderNodeValToRGB")
    ramp.color_ramp.elements[0].color = dark
    ramp.color_ramp.elements[1].color = base
    links.new(coord.outputs["Object"], tex.inputs["Vector"])
    links.new(tex.outputs["Fac"], ramp.inputs["Fac"])
    links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def _floor(bpy, scene):
    s = FLOOR_SIZE_M / 2
    me = bpy.data.meshes.new("floor")
    me.from_pydata([(-s, -s, 0), (s, -s, 0), (s, s, 0), (-s, s, 0)], [], [(0, 1, 2, 3)])
    ob = bpy.data.objects.new("floor", me)
    scene.collection.objects.link(ob)
    mat = bpy.data.materials.new("floor")
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes.get("Principled BSDF")
    bsdf.inputs["Roughness"].default_value = 0.8
    tex = nodes.new("ShaderNodeTexChecker")
    tex.inputs["Scale"].default_value = FLOOR_SIZE_M * 2  # 0.5 m tiles
    tex.inputs["Color1"].default_value = (*FLOOR_COLORS[0], 1.0)
    tex.inputs["Color2"].default_value = (*FLOOR_COLORS[1], 1.0)
    links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
    me.materials.append(mat)
    ob.pass_index = 0


def _world(bpy, scene, hdri: str | None):
    world = bpy.data.worlds.new("world")
    scene.world = world
    bg = world.node_tree.nodes.get("Background")
    if hdri:
        env = world.node_tree.nodes.new("ShaderNodeTexEnvironment")
        env.image = bpy.data.images.load(hdri)
        world.node_tree.links.new(env.outputs["Color"], bg.inputs["Color"])
        bg.inputs["Strength"].default_value = 1.0
    else:
        bg.inputs["Color"].default_value = (*WORLD_COLOR, 1.0)
        bg.inputs["Strength"].default_value = WORLD_STRENGTH


def _camera(bpy, scene, drop: DropScene):
    cam_data = bpy.data.cameras.new("camera")
    cam_data.lens = drop.camera.focal_length_mm
    cam_data.sensor_width = drop.camera.sensor_width_mm
    cam_data.sensor_fit = "HORIZONTAL"
    cam_data.clip_start, cam_data.clip_end = 0.05, 100.0
    cam = bpy.data.objects.new("camera", cam_data)
    cam.location = drop.camera.position
    cam.rotation_euler = (np.pi / 2, 0.0, -np.pi / 2)  # level, looking along +x
    scene.collection.objects.link(cam)
    scene.camera = cam


def _lights(bpy, scene, drop: DropScene):
    for light in drop.lights:
        data = bpy.data.lights.new(light.name, "SUN" if light.kind == "sun" else "POINT")
        data.energy = light.energy
        ob = bpy.data.objects.new(light.name, data)
        ob.location = light.location
        ob.rotation_euler = light.rotation_euler
        scene.collection.objects.link(ob)


def _configure(bpy, scene, drop: DropScene, args, out_prefix: str):
    r = drop.args.resolution
    scene.render.engine = "CYCLES"
    scene.render.resolution_x = scene.render.resolution_y = r
    scene.render.resolution_percentage = 100
    scene.render.use_motion_blur = False
    scene.render.film_transparent = False
    if args.threads:
        scene.render.threads_mode = "FIXED"
        scene.render.threads = args.threads
    cyc = scene.cycles
    cyc.device = _device(bpy, args.device)
    if args.tuned:
        scene.render.use_persistent_data = True
        cyc.samples = args.samples
        cyc.use_denoising = args.denoise
        cyc.use_adaptive_sampling = args.adaptive_threshold > 0
        if args.adaptive_threshold > 0:
            cyc.adaptive_threshold = args.adaptive_threshold
        cyc.max_bounces = args.max_bounces
        cyc.diffuse_bounces = min(cyc.diffuse_bounces, args.max_bounces)
        cyc.glossy_bounces = min(cyc.glossy_bounces, args.max_bounces)
        cyc.transmission_bounces = min(cyc.transmission_bounces, args.max_bounces)
        cyc.denoiser = "OPENIMAGEDENOISE"
        cyc.denoising_quality = DENOISE_QUALITY
        cyc.denoising_prefilter = DENOISE_PREFILTER
        cyc.caustics_reflective = cyc.caustics_refractive = False  # noisy, slow, invisible at 256²
        cyc.use_light_tree = False  # 4 lights: the light tree costs ~25 % of the frame time for nothing
    scene.view_settings.view_transform = "Standard"
    vl = scene.view_layers[0]
    vl.use_pass_z = True
    vl.use_pass_object_index = True
    scene.render.image_settings.media_type = "MULTI_LAYER_IMAGE"
    scene.render.image_settings.file_format = "OPEN_EXR_MULTILAYER"
    scene.render.image_settings.color_depth = "32"
    scene.render.filepath = out_prefix
    scene.frame_start, scene.frame_end = 1, drop.args.num_frames


def _device(bpy, wanted: str) -> str:
    """``GPU`` when asked for (or ``auto``) and a CUDA/OptiX/HIP device is present, else ``CPU``."""
    if wanted == "CPU":
        return "CPU"
    prefs = bpy.context.preferences.addons["cycles"].preferences
    for kind in ("OPTIX", "CUDA", "HIP", "ONEAPI"):
        try:
            prefs.compute_device_type = kind
        except TypeError:
            continue
        prefs.get_devices()
        gpus = [d for d in prefs.devices if d.type == kind]
        if gpus:
            for d in prefs.devices:
                d.use = d.type == kind
            return "GPU"
    if wanted == "GPU":
        raise RuntimeError("render.device=GPU but Cycles found no CUDA/OptiX/HIP/oneAPI device")
    return "CPU"


def build_scene(drop: DropScene, traj: Trajectory, library: AssetLibrary, args, out_prefix: str):
    """Reset Blender and build the keyframed scene; returns the bpy scene."""
    bpy = _import_bpy()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    _configure(bpy, scene, drop, args, out_prefix)
    _world(bpy, scene, drop.hdri)
    _floor(bpy, scene)
    _camera(bpy, scene, drop)
    _lights(bpy, scene, drop)
    for i, obj in enumerate(drop.objects):
        mesh = library.mesh(obj.asset_id)
        me = bpy.data.meshes.new(f"mesh_{i}")
        me.from_pydata((mesh.vertices * obj.size_m).tolist(), [], mesh.faces.tolist())
        me.validate()
        if len(mesh.faces) > SMOOTH_FACE_COUNT:
            me.shade_smooth()
        me.materials.append(_material(bpy, f"mat_{i}", obj.material))
        ob = bpy.data.objects.new(f"object_{i}", me)
        ob.pass_index = i + 1
        ob.rotation_mode = "QUATERNION"
        scene.collection.objects.link(ob)
        for k in range(traj.positions.shape[0]):
            ob.location = traj.positions[k, i].tolist()
            ob.rotation_quaternion = traj.quaternions[k, i].tolist()  # (w, x, y, z), Blender's order
            ob.keyframe_insert("location", frame=k + 1)
            ob.keyframe_insert("rotation_quaternion", frame=k + 1)
    return scene


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Scene-linear RGB → 8-bit sRGB, with a soft highlight shoulder (``1 - exp(-k x)``).

    The EXR holds scene-linear light; a plain clip burns out the floor under the 100 W key
    light, the shoulder keeps it textured while mid-tones stay close to linear.
    """
    x = 1.0 - np.exp(-TONE_GAIN * np.maximum(linear, 0.0))
    s = np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)
    return np.round(s * 255).astype(np.uint8)


def read_exr(path: str | Path, num_objects: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RGB ``uint8 [H, W, 3]``, depth ``float32 [H, W]`` and masks ``bool [N, H, W]`` from one EXR."""
    oiio = _oiio(_import_bpy())
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise RuntimeError(f"{path}: cannot open the rendered EXR ({oiio.geterror()})")
    layers = {}
    try:
        i = 0
        while inp.seek_subimage(i, 0):
            spec = inp.spec()
            px = inp.read_image("float")
            for c, name in enumerate(spec.channelnames):
                layers[name] = px[..., c]
            i += 1
    finally:
        inp.close()

    def find(suffix):
        hits = [v for k, v in layers.items() if k.endswith(suffix)]
        if not hits:
            raise RuntimeError(f"{path}: no {suffix} channel (have {sorted(layers)})")
        return hits[0]

    rgb = srgb_encode(np.stack([find("Combined.R"), find("Combined.G"), find("Combined.B")], axis=-1))
    depth = np.minimum(find("Depth.Z"), BACKGROUND_DEPTH_M).astype(np.float32)
    index = np.rint(find("Object Index.X")).astype(np.int64)
    masks = np.stack([index == i + 1 for i in range(num_objects)])
    return rgb, depth, masks


def render_cycles(drop: DropScene, traj: Trajectory, library: AssetLibrary, args) -> RenderOutput:
    """Render the clip with Cycles and read back RGB, depth and masks."""
    bpy = _import_bpy()
    n, t_frames, r = len(drop.objects), traj.positions.shape[0], drop.args.resolution
    with tempfile.TemporaryDirectory(prefix="pisa_cycles_") as tmp:
        scene = build_scene(drop, traj, library, args, os.path.join(tmp, "frame_"))
        with _quiet_stdout():
            bpy.ops.render.render(animation=True, scene=scene.name)
        rgb = np.zeros((t_frames, r, r, 3), np.uint8)
        depth = np.zeros((t_frames, r, r), np.float32)
        masks = np.zeros((t_frames, n, r, r), bool)
        for k in range(t_frames):
            rgb[k], depth[k], masks[k] = read_exr(os.path.join(tmp, f"frame_{k + 1:04d}.exr"), n)
        cyc = scene.cycles
        info = {
            "engine": f"Blender {bpy.app.version_string} Cycles",
            "device": cyc.device,
            "samples": cyc.samples,
            "denoise": cyc.use_denoising,
            "adaptive_threshold": cyc.adaptive_threshold if cyc.use_adaptive_sampling else 0.0,
            "max_bounces": cyc.max_bounces,
            "tuned": args.tuned,
        }
    return RenderOutput(rgb=rgb, masks=masks, depth=depth, renderer="cycles", info=info)
