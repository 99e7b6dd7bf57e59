"""Photoreal renderer: Blender Cycles through ``bpy`` (Blender as a Python module).

One call renders the whole clip as an animation (the scene is built once per sample, objects are
keyframed with the simulated poses, persistent data keeps the BVH between frames) into
multilayer EXR files, from which this module reads:

- ``Combined`` → RGB (Standard view transform, sRGB-encoded here);
- ``Depth`` → metres along the camera axis;
- ``Object Index`` → one visible-pixel mask per object (``pass_index = i + 1``).

Speed settings relative to Blender's defaults (measured in ``benchmarks/sim_throughput.py``,
figures in the README): 32 samples per pixel under an open sky and 20 in a procedural room
(``render.samples`` / ``walls_samples``; PISA rendered 64, Blender's default is 4096), adaptive
sampling at threshold 0.05 after 16 samples, OpenImageDenoise at "balanced" quality, 3
light-path bounces instead of 12, no caustics, no light tree (two to four lights), persistent
data, no per-frame process start, and textures priced for 256² (one-octave bump noise, matte
walls as a plain diffuse BSDF).
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
from sim_data.environment import Environment, Floor
from sim_data.physics import Trajectory
from sim_data.render_common import RenderOutput, fixture_mesh, visual_mesh
from sim_data.scene import DropScene, Material

FLOOR_SIZE_M = 40.0
WORLD_COLOR = (0.55, 0.62, 0.72)  # soft sky-blue ambient light when no HDRI is given
WORLD_STRENGTH = 0.6
FLOOR_COLORS = ((0.42, 0.36, 0.30), (0.30, 0.26, 0.22))
WALL_HEIGHT_M = 4.0  # a room's walls: the sky shows above them
SKY_MODEL = "SINGLE_SCATTERING"  # Nishita's single-scattering sky (Blender < 5.0 called it NISHITA)
SMOOTH_FACE_COUNT = 64  # meshes with more faces than this are shaded smooth (curved shapes)
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


class _Nodes:
    """Shorthand for building one node tree."""

    def __init__(self, tree):
        self.nodes, self.links = tree.nodes, tree.links

    def new(self, kind: str, **inputs):
        node = self.nodes.new(kind)
        for key, value in inputs.items():
            node.inputs[key.replace("_", " ")].default_value = value
        return node

    def link(self, out, inp) -> None:
        self.links.new(out, inp)

    def ramp(self, fac, stops, constant: bool = False):
        """A colour ramp on ``fac`` with ``stops`` = [(position, rgba), ...] (steps when ``constant``)."""
        node = self.nodes.new("ShaderNodeValToRGB")
        if constant:
            node.color_ramp.interpolation = "CONSTANT"
        els = node.color_ramp.elements
        while len(els) < len(stops):
            els.new(0.5)
        for el, (pos, color) in zip(els, stops, strict=True):
            el.position, el.color = pos, color
        self.link(fac, node.inputs["Fac"])
        return node.outputs["Color"]

    def mix(self, factor, a, b, blend: str = "MIX"):
        """RGBA ``blend`` (MIX: ``a → b``; MULTIPLY: ``a · b``) by ``factor`` (sockets or values)."""
        node = self.nodes.new("ShaderNodeMix")
        node.data_type, node.blend_type = "RGBA", blend
        for ident, value in (("Factor_Float", factor), ("A_Color", a), ("B_Color", b)):
            sock = next(i for i in node.inputs if i.identifier == ident)
            if isinstance(value, (int, float, tuple, list)):
                sock.default_value = value
            else:
                self.link(value, sock)
        return next(o for o in node.outputs if o.identifier == "Result_Color")

    def bump(self, bsdf, coords, scale: float, strength: float) -> None:
        """Fine noise bump into the BSDF's normal."""
        if strength <= 0:
            return
        noise = self.new("ShaderNodeTexNoise", Scale=scale, Detail=0.0)  # one octave: a bump is evaluated 3x per hit
        self.link(coords, noise.inputs["Vector"])
        bump = self.new("ShaderNodeBump", Strength=strength, Distance=0.002)
        self.link(noise.outputs["Fac"], bump.inputs["Height"])
        self.link(bump.outputs["Normal"], bsdf.inputs["Normal"])


def _rgba(c) -> tuple[float, float, float, float]:
    return (*[float(x) for x in c], 1.0)


def _material(bpy, name: str, m: Material):
    mat = bpy.data.materials.new(name)
    t = _Nodes(mat.node_tree)
    bsdf = t.nodes.get("Principled BSDF")
    bsdf.inputs["Roughness"].default_value = m.roughness
    bsdf.inputs["Metallic"].default_value = m.metallic
    bsdf.inputs["Coat Weight"].default_value = m.clearcoat
    base, second = _rgba(m.color), _rgba(m.color2)
    dark = _rgba([c * 0.45 for c in m.color])
    coord = t.nodes.new("ShaderNodeTexCoord")
    t.bump(bsdf, coord.outputs["Object"], 60.0, m.bump)
    if m.pattern == "plain":
        bsdf.inputs["Base Color"].default_value = base
        return mat
    if m.pattern in ("label", "two_tone"):  # along the object's own z, 0..1 over its bounding box
        z = t.nodes.new("ShaderNodeSeparateXYZ")
        t.link(coord.outputs["Generated"], z.inputs["Vector"])
        black, white = (0.0, 0.0, 0.0, 1.0), (1.0, 1.0, 1.0, 1.0)
        if m.pattern == "two_tone":
            mask = t.ramp(z.outputs["Z"], [(0.0, black), (0.5, white)], constant=True)
            t.link(t.mix(mask, base, second), bsdf.inputs["Base Color"])
            return mat
        mask = t.ramp(z.outputs["Z"], [(0.0, black), (0.3, white), (0.7, black)], constant=True)
        ink = t.new("ShaderNodeTexMagic", Scale=9.0, Distortion=1.5)  # print-like detail on the label
        t.link(coord.outputs["Object"], ink.inputs["Vector"])
        printed = t.mix(t.ramp(ink.outputs["Fac"], [(0.0, (0.6, 0.6, 0.6, 1.0)), (1.0, white)]), (0, 0, 0, 1), second)
        t.link(t.mix(mask, base, printed), bsdf.inputs["Base Color"])
        return mat
    if m.pattern == "checker":
        tex = t.new("ShaderNodeTexChecker", Scale=6.0, Color1=base, Color2=second)
        t.link(coord.outputs["Object"], tex.inputs["Vector"])
        t.link(tex.outputs["Color"], bsdf.inputs["Base Color"])
        return mat
    if m.pattern == "wood":
        tex = t.new("ShaderNodeTexWave", Scale=4.0, Distortion=6.0)
        tex.wave_type = "RINGS"
    else:  # noise
        tex = t.new("ShaderNodeTexNoise", Scale=8.0)
    t.link(coord.outputs["Object"], tex.inputs["Vector"])
    t.link(t.ramp(tex.outputs["Fac"], [(0.0, dark), (1.0, base)]), bsdf.inputs["Base Color"])
    return mat


def _plane(bpy, scene, name: str, corners, mat):
    me = bpy.data.meshes.new(name)
    me.from_pydata([tuple(c) for c in corners], [], [(0, 1, 2, 3)])
    ob = bpy.data.objects.new(name, me)
    scene.collection.objects.link(ob)
    me.materials.append(mat)
    ob.pass_index = 0  # background: in no mask
    return ob


def _floor(bpy, scene, env: Environment | None):
    s = FLOOR_SIZE_M / 2
    mat = bpy.data.materials.new("floor")
    t = _Nodes(mat.node_tree)
    bsdf = t.nodes.get("Principled BSDF")
    if env is None:  # the plain look: 0.5 m checker
        bsdf.inputs["Roughness"].default_value = 0.8
        tex = t.new("ShaderNodeTexChecker", Scale=FLOOR_SIZE_M * 2, Color1=_rgba(FLOOR_COLORS[0]),
                    Color2=_rgba(FLOOR_COLORS[1]))  # fmt: skip
        t.link(tex.outputs["Color"], bsdf.inputs["Base Color"])
    else:
        _floor_material(t, bsdf, env.floor)
    _plane(bpy, scene, "floor", [(-s, -s, 0), (s, -s, 0), (s, s, 0), (-s, s, 0)], mat)


def _floor_material(t: _Nodes, bsdf, f: Floor) -> None:
    """The floor kinds of :mod:`sim_data.environment` as node trees (world coordinates in metres)."""
    bsdf.inputs["Roughness"].default_value = f.roughness
    coord = t.nodes.new("ShaderNodeTexCoord")
    shift = t.new("ShaderNodeMapping", Location=(f.pattern_seed, 0.7 * f.pattern_seed, 0.0))
    t.link(coord.outputs["Object"], shift.inputs["Vector"])
    vec = shift.outputs["Vector"]
    a, b = _rgba(f.color_a), _rgba(f.color_b)
    inv = 1.0 / f.scale_m
    if f.kind in ("wood", "tiles"):
        planks = f.kind == "wood"
        brick = t.new("ShaderNodeTexBrick", Scale=inv, Color1=a, Color2=_rgba([0.5 * (x + y) for x, y in
                      zip(f.color_a, f.color_b, strict=True)]) if planks else b,
                      Mortar=_rgba([0.25 * x for x in f.color_b]) if planks else (0.55, 0.55, 0.52, 1.0),
                      Mortar_Size=0.004 if planks else 0.015, Bias=0.0,
                      Brick_Width=2.0 if planks else 0.5, Row_Height=0.25 if planks else 0.5)  # fmt: skip
        brick.offset = 0.5 if planks else 0.0
        t.link(vec, brick.inputs["Vector"])
        color = brick.outputs["Color"]
        if planks:  # grain along the planks
            grain = t.new("ShaderNodeTexWave", Scale=inv * 2, Distortion=4.0, Detail=2.0)
            grain.bands_direction = "X"
            t.link(vec, grain.inputs["Vector"])
            shade = t.ramp(grain.outputs["Fac"], [(0.0, (0.7, 0.7, 0.7, 1.0)), (1.0, (1, 1, 1, 1))])
            color = t.mix(1.0, shade, color, blend="MULTIPLY")
        t.link(color, bsdf.inputs["Base Color"])
        t.bump(bsdf, vec, 40.0, f.bump)
        return
    if f.kind == "stone":
        cells = t.new("ShaderNodeTexVoronoi", Scale=inv)
        t.link(vec, cells.inputs["Vector"])
        edge = t.new("ShaderNodeTexVoronoi", Scale=inv)
        edge.feature = "DISTANCE_TO_EDGE"
        t.link(vec, edge.inputs["Vector"])
        bw = t.nodes.new("ShaderNodeRGBToBW")
        t.link(cells.outputs["Color"], bw.inputs["Color"])
        stone = t.ramp(bw.outputs["Val"], [(0.0, b), (1.0, a)])
        grout = t.ramp(edge.outputs["Distance"], [(0.0, (1, 1, 1, 1)), (0.04, (0, 0, 0, 1))])
        t.link(t.mix(grout, stone, _rgba([0.3 * x for x in f.color_b])), bsdf.inputs["Base Color"])
        t.bump(bsdf, vec, 25.0, f.bump)
        return
    if f.kind == "marble":
        veins = t.new("ShaderNodeTexWave", Scale=inv, Distortion=12.0, Detail=3.0)
        veins.bands_direction = "DIAGONAL"
        t.link(vec, veins.inputs["Vector"])
        t.link(t.ramp(veins.outputs["Fac"], [(0.0, b), (0.25, a), (1.0, a)]), bsdf.inputs["Base Color"])
        return
    # concrete, carpet: noise between the two colours
    noise = t.new("ShaderNodeTexNoise", Scale=inv, Detail=4.0 if f.kind == "concrete" else 2.0)
    t.link(vec, noise.inputs["Vector"])
    t.link(t.ramp(noise.outputs["Fac"], [(0.3, b), (0.7, a)]), bsdf.inputs["Base Color"])
    t.bump(bsdf, vec, 80.0 if f.kind == "carpet" else 30.0, f.bump)


def _walls(bpy, scene, env: Environment) -> None:
    """Backdrop planes (no physics): a back wall across the view, and a side wall for a corner."""
    w = env.walls
    if w.layout == "none":
        return
    mat = bpy.data.materials.new("wall")
    t = _Nodes(mat.node_tree)
    # matte paint: a plain diffuse BSDF (one lobe) costs less per hit than the Principled BSDF, and
    # walls cover most of an indoor frame
    t.nodes.remove(t.nodes.get("Principled BSDF"))
    bsdf = t.new("ShaderNodeBsdfDiffuse", Color=_rgba(w.color), Roughness=w.roughness)
    t.link(bsdf.outputs["BSDF"], t.nodes.get("Material Output").inputs["Surface"])
    x, h, s = w.back_x_m, WALL_HEIGHT_M, FLOOR_SIZE_M / 2
    _plane(bpy, scene, "back_wall", [(x, -s, 0), (x, s, 0), (x, s, h), (x, -s, h)], mat)
    if w.layout == "corner":
        y = w.side_y_m
        _plane(bpy, scene, "side_wall", [(-s, y, 0), (x, y, 0), (x, y, h), (-s, y, h)], mat)


def _world(bpy, scene, hdri: str | None, env: Environment | None):
    world = bpy.data.worlds.new("world")
    scene.world = world
    bg = world.node_tree.nodes.get("Background")
    if hdri:
        env_tex = world.node_tree.nodes.new("ShaderNodeTexEnvironment")
        env_tex.image = bpy.data.images.load(hdri)
        world.node_tree.links.new(env_tex.outputs["Color"], bg.inputs["Color"])
        bg.inputs["Strength"].default_value = 1.0
    elif env is not None:  # physical sky; the sun disc is the aligned sun lamp instead (sampled directly)
        sky = world.node_tree.nodes.new("ShaderNodeTexSky")
        sky.sky_type = SKY_MODEL
        sky.sun_disc = False
        sky.sun_elevation = np.radians(env.sky.sun_elevation_deg)
        sky.sun_rotation = np.radians(env.sky.sun_azimuth_deg)
        sky.air_density, sky.aerosol_density, sky.ozone_density = env.sky.air, env.sky.aerosol, env.sky.ozone
        world.node_tree.links.new(sky.outputs["Color"], bg.inputs["Color"])
        bg.inputs["Strength"].default_value = env.sky.strength
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
        data.color = light.color
        if light.kind == "sun":
            data.angle = np.radians(light.angle_deg)
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
        cyc.samples = scene_samples(drop, args)
        cyc.adaptive_min_samples = args.adaptive_min_samples
        cyc.use_denoising = args.denoise
        cyc.use_adaptive_sampling = args.adaptive_threshold > 0
        if args.adaptive_threshold > 0:
            cyc.adaptive_threshold = args.adaptive_threshold
        cyc.max_bounces = args.max_bounces
        cyc.diffuse_bounces = min(cyc.diffuse_bounces, args.max_bounces)
        cyc.glossy_bounces = min(cyc.glossy_bounces, args.max_bounces)
        cyc.transmission_bounces = min(cyc.transmission_bounces, args.max_bounces)
        cyc.denoiser = "OPENIMAGEDENOISE"
        cyc.denoising_quality = args.denoise_quality
        cyc.denoising_prefilter = args.denoise_prefilter
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


def scene_samples(drop: DropScene, args) -> int:
    """Samples per pixel: ``render.walls_samples`` in a procedural room, else ``render.samples``.

    Walls fill most of an indoor frame with diffusely lit surfaces: each sample costs about twice
    an open-sky frame's (whose sky pixels cost nothing) while the denoised result converges sooner
    (``benchmarks/sim_throughput.py`` measures both per scene).
    """
    env = drop.environment
    indoor = env is not None and env.walls.layout != "none" and not drop.hdri
    return args.walls_samples if indoor and args.walls_samples else args.samples


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
    env = drop.environment
    _world(bpy, scene, drop.hdri, env)
    _floor(bpy, scene, env)
    if env is not None and not drop.hdri:
        _walls(bpy, scene, env)
    _camera(bpy, scene, drop)
    _lights(bpy, scene, drop)
    for k, f in enumerate(drop.fixtures):  # static boxes: background (pass index 0), in no mask
        verts, faces = fixture_mesh(f)
        me = bpy.data.meshes.new(f"fixture_{k}")
        me.from_pydata(verts.tolist(), [], faces.tolist())
        me.validate()
        me.materials.append(_material(bpy, f"fixture_mat_{k}", f.material))
        ob = bpy.data.objects.new(f"fixture_{k}_{f.name}", me)
        ob.pass_index = 0
        scene.collection.objects.link(ob)
    for i, obj in enumerate(drop.objects):
        verts, faces = visual_mesh(drop, i, library)
        me = bpy.data.meshes.new(f"mesh_{i}")
        me.from_pydata(verts.tolist(), [], faces.tolist())
        me.validate()
        if len(library.mesh(obj.asset_id).faces) > SMOOTH_FACE_COUNT:
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
            "adaptive_min_samples": cyc.adaptive_min_samples,
            "denoiser": f"OIDN {cyc.denoising_quality}, prefilter {cyc.denoising_prefilter}"
            if cyc.use_denoising
            else None,
            "denoise": cyc.use_denoising,
            "adaptive_threshold": cyc.adaptive_threshold if cyc.use_adaptive_sampling else 0.0,
            "max_bounces": cyc.max_bounces,
            "tuned": args.tuned,
        }
    return RenderOutput(rgb=rgb, masks=masks, depth=depth, renderer="cycles", info=info)
