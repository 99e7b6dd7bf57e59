"""PyBullet physics of a drop scene → per-frame trajectories.

Deviations from a plain PyBullet/Kubric run, each for exact free fall:

1. Damping off. PyBullet's default linear damping (0.04) slows a falling body; Kubric
   leaves it on. Drops here are in vacuum, as the analytic check assumes.
2. Leapfrog start. Semi-implicit Euler (PyBullet's integrator) started at rest puts a falling
   body ``g·dt·t/2`` below ``z0 - g t²/2`` (≈ 9 mm after 0.45 s at 240 Hz). Starting the
   staggered velocity at ``-g·dt/2`` (the standard half-step initialisation of leapfrog
   integration) makes every step land exactly on the parabola: with ``v_0 = -a dt/2``,
   ``x_n = x_0 + a dt² Σ(k - 1/2) = x_0 + a (n dt)²/2``. The body is still at rest at t = 0
   (its mid-step velocities are ±a·dt/2 around 0).
3. 480 Hz by default (PISA: 240 Hz) for stiffer, less penetrating contacts; the rate must be a
   multiple of the frame rate.

The Newtonian scenarios (:mod:`sim_data.scenarios`) add static boxes (planks, a stand), primitive
collision shapes, per-scene floor physics and engine settings, and a pendulum (a multibody with
one revolute joint); what each needs for exactness is in that module's docstring. Every scene
records per frame each object's velocities and contacts (:class:`Trajectory`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim_data.assets import AssetLibrary
from sim_data.scene import DropScene

REST_SPEED = 0.05  # m/s: slower than this at the last frame counts as "at rest"
CONTACT_DISTANCE_M = 0.001  # a contact point this close (or penetrating) is a touching contact


@dataclass(frozen=True)
class Trajectory:
    """Per-frame states of every object (scene order).

    Attributes:
        positions: ``float [T, N, 3]`` centre of mass, world metres, z up.
        quaternions: ``float [T, N, 4]`` orientation (w, x, y, z).
        first_contact_frame: ``int [N]`` first frame at or after the object's first contact
            (-1: no contact in the clip); towers count from the start of the drop.
        final_speed: ``float [N]`` linear speed (m/s) at the last frame.
        linear_velocities: ``float [T, N, 3]`` (m/s) after the frame's last physics step
            (semi-implicit Euler: half a step ahead of the position, v(t + dt/2)).
        angular_velocities: ``float [T, N, 3]`` (rad/s, world axes), likewise.
        contacts: per object, ``[frame, partner]`` for every frame with a touching contact
            (distance ≤ ``CONTACT_DISTANCE_M``) in the steps leading to it; the partner is another
            object's index, ``"floor"`` or a fixture's name.
    """

    positions: np.ndarray
    quaternions: np.ndarray
    first_contact_frame: np.ndarray
    final_speed: np.ndarray
    linear_velocities: np.ndarray | None = None
    angular_velocities: np.ndarray | None = None
    contacts: list | None = None


def _wxyz(q_xyzw) -> list[float]:
    x, y, z, w = q_xyzw
    return [w, x, y, z]


def _xyzw(q_wxyz) -> list[float]:
    w, x, y, z = q_wxyz
    return [x, y, z, w]


def _create_body(p, cid, mesh, obj, mass: float) -> int:
    col = _collision_shape(p, cid, mesh, obj)
    body = p.createMultiBody(
        baseMass=mass,
        baseCollisionShapeIndex=col,
        basePosition=list(obj.position),
        baseOrientation=_xyzw(obj.quaternion_wxyz),
        physicsClientId=cid,
    )
    _surface(p, cid, body, -1, obj.friction, obj.restitution)
    return body


def _collision_shape(p, cid, mesh, obj) -> int:
    """The mesh's convex hull, or the exact primitive ``obj.shape`` names (sized from the scaled mesh)."""
    verts = mesh.vertices * obj.size_m
    if obj.shape == "sphere":
        return p.createCollisionShape(p.GEOM_SPHERE, radius=float(np.abs(verts).max()), physicsClientId=cid)
    extent = verts.max(axis=0) - verts.min(axis=0)
    if obj.shape == "cylinder":
        return p.createCollisionShape(
            p.GEOM_CYLINDER, radius=float(extent[0] / 2), height=float(extent[2]), physicsClientId=cid
        )
    if obj.shape == "box":
        return p.createCollisionShape(p.GEOM_BOX, halfExtents=(extent / 2).tolist(), physicsClientId=cid)
    return p.createCollisionShape(p.GEOM_MESH, vertices=verts.tolist(), physicsClientId=cid)  # convex hull


def _surface(p, cid, body: int, link: int, friction: float, restitution: float) -> None:
    p.changeDynamics(
        body,
        link,
        lateralFriction=friction,
        restitution=restitution,
        linearDamping=0.0,
        angularDamping=0.0,
        rollingFriction=0.0,
        spinningFriction=0.0,
        physicsClientId=cid,
    )


def _create_fixture(p, cid, f) -> int:
    col = p.createCollisionShape(p.GEOM_BOX, halfExtents=list(f.half_extents), physicsClientId=cid)
    body = p.createMultiBody(0, col, basePosition=list(f.position), baseOrientation=_xyzw(f.quaternion_wxyz),
                             physicsClientId=cid)  # fmt: skip
    p.changeDynamics(body, -1, lateralFriction=f.friction, restitution=f.restitution, physicsClientId=cid)
    return body


def _create_pendulum(p, cid, mesh, obj, pend) -> int:
    """A fixed base at the pivot and one revolute link about world x: the bob (rod massless).

    The joint sits at the link frame's origin (the pivot); the bob's centre of mass and collision
    shape hang ``L`` below it in that frame, and the joint is turned to the release angle.
    """
    length = float(np.linalg.norm(np.asarray(obj.position) - np.asarray(pend.pivot)))
    verts = mesh.vertices * obj.size_m
    col = p.createCollisionShape(
        p.GEOM_SPHERE, radius=float(np.abs(verts).max()), collisionFramePosition=[0, 0, -length], physicsClientId=cid
    )
    body = p.createMultiBody(
        baseMass=0,
        basePosition=list(pend.pivot),
        linkMasses=[obj.mass_kg],
        linkCollisionShapeIndices=[col],
        linkVisualShapeIndices=[-1],
        linkPositions=[[0.0, 0.0, 0.0]],
        linkOrientations=[[0, 0, 0, 1]],
        linkInertialFramePositions=[[0.0, 0.0, -length]],
        linkInertialFrameOrientations=[[0, 0, 0, 1]],
        linkParentIndices=[0],
        linkJointTypes=[p.JOINT_REVOLUTE],
        linkJointAxis=[[1, 0, 0]],
        physicsClientId=cid,
    )
    _surface(p, cid, body, 0, obj.friction, obj.restitution)
    p.changeDynamics(body, 0, jointDamping=0.0, physicsClientId=cid)
    p.setJointMotorControl2(body, 0, p.VELOCITY_CONTROL, force=0, physicsClientId=cid)  # the default motor holds it
    p.resetJointState(body, 0, float(np.radians(pend.angle_deg)), 0.0, physicsClientId=cid)
    return body


def simulate_clip(scene: DropScene, library: AssetLibrary) -> tuple[DropScene, Trajectory]:
    """Simulate ``scene``; a Newtonian scene comes back with its camera framing the motion (drops unchanged)."""
    from sim_data.scenarios import frame_camera

    traj = simulate(scene, library)
    return frame_camera(scene, traj.positions, library), traj


def simulate(scene: DropScene, library: AssetLibrary) -> Trajectory:
    """Settle the towers (clutter), release the objects, record ``num_frames`` states at ``fps``.

    Raises:
        ImportError: pybullet is not installed.
    """
    try:
        import pybullet as p
    except ImportError as e:
        raise ImportError("pybullet is needed: pip install -r requirements/sim.txt") from e
    args = scene.args
    spf = scene.steps_per_frame
    dt = 1.0 / scene.hz
    gravity = args.gravity
    cid = p.connect(p.DIRECT)
    try:
        p.setGravity(0, 0, gravity, physicsClientId=cid)
        p.setTimeStep(dt, physicsClientId=cid)
        p.setPhysicsEngineParameter(
            deterministicOverlappingPairs=1, numSolverIterations=50, **scene.engine, physicsClientId=cid
        )
        floor = p.createMultiBody(0, p.createCollisionShape(p.GEOM_PLANE, physicsClientId=cid), physicsClientId=cid)
        floor_friction = args.floor_friction if scene.floor_friction is None else scene.floor_friction
        floor_restitution = args.floor_restitution if scene.floor_restitution is None else scene.floor_restitution
        p.changeDynamics(floor, -1, lateralFriction=floor_friction, restitution=floor_restitution, physicsClientId=cid)
        names = {floor: "floor"}
        for f in scene.fixtures:
            if f.collide:
                names[_create_fixture(p, cid, f)] = f.name
        bodies: list[int | None] = [None] * len(scene.objects)
        pend = scene.pendulum
        # 1. towers settle on their own
        for i, obj in enumerate(scene.objects):
            if not obj.dynamic:
                bodies[i] = _create_body(p, cid, library.mesh(obj.asset_id), obj, obj.mass_kg)
        settle = args.settle_steps if scene.settle_steps is None else scene.settle_steps
        for _ in range(settle):
            p.stepSimulation(physicsClientId=cid)
        # 2. dropped objects appear at rest (leapfrog half-step velocity, see module docstring)
        for i, obj in enumerate(scene.objects):
            if obj.dynamic:
                mesh = library.mesh(obj.asset_id)
                if pend is not None and i == pend.index:
                    bodies[i] = _create_pendulum(p, cid, mesh, obj, pend)
                    continue
                bodies[i] = _create_body(p, cid, mesh, obj, obj.mass_kg)
                if scene.scenario in ("drop", "bounce"):  # free fall from rest
                    p.resetBaseVelocity(bodies[i], [0.0, 0.0, -gravity * dt / 2], [0.0, 0.0, 0.0], physicsClientId=cid)
        if scene.exact_contacts:
            for b in [floor, *names, *bodies]:
                for link in range(-1, p.getNumJoints(b, physicsClientId=cid)):
                    p.changeDynamics(b, link, contactProcessingThreshold=0.0, physicsClientId=cid)
        index = {b: i for i, b in enumerate(bodies)}
        n, t_frames = len(bodies), args.num_frames
        pos = np.zeros((t_frames, n, 3))
        quat = np.zeros((t_frames, n, 4))
        lin = np.zeros((t_frames, n, 3))
        ang = np.zeros((t_frames, n, 3))
        contact = np.full(n, -1, dtype=np.int64)
        touching: list[list] = [[] for _ in range(n)]

        def state(i, b):
            if pend is not None and i == pend.index:
                s = p.getLinkState(b, 0, computeLinkVelocity=1, physicsClientId=cid)
                return s[0], s[1], s[6], s[7]
            xyz, q = p.getBasePositionAndOrientation(b, physicsClientId=cid)
            v, w = p.getBaseVelocity(b, physicsClientId=cid)
            return xyz, q, v, w

        def record(k):
            for i, b in enumerate(bodies):
                xyz, q, v, w = state(i, b)
                pos[k, i], quat[k, i], lin[k, i], ang[k, i] = xyz, _wxyz(q), v, w

        def partner(body_id):
            return index[body_id] if body_id in index else names.get(body_id, "floor")

        record(0)
        for k in range(1, t_frames):
            seen: list[set] = [set() for _ in range(n)]
            for _ in range(spf):
                p.stepSimulation(physicsClientId=cid)
                points = p.getContactPoints(physicsClientId=cid)
                for c in points:
                    a, b, dist = c[1], c[2], c[8]
                    for me, other in ((a, b), (b, a)):
                        i = index.get(me)
                        if i is None:
                            continue
                        if contact[i] < 0:
                            contact[i] = k
                        if dist <= CONTACT_DISTANCE_M:
                            seen[i].add(partner(other))
            for i in range(n):
                touching[i] += [[k, x] for x in sorted(seen[i], key=str)]
            record(k)
        speed = np.linalg.norm(lin[-1], axis=1)
        return Trajectory(pos, quat, contact, speed, lin, ang, touching)
    finally:
        p.disconnect(physicsClientId=cid)
