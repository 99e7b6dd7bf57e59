# Drop-video simulator (sim_data): scene, renderer and batch settings.
# Values follow the PISA simulator (arXiv 2503.09595, simulated data); see sim_data/scene.py for each field.
sim = dict(
    resolution=256,
    num_frames=32,
    fps=16,
    physics_hz=480,
    settle_steps=200,
    num_dropped=(1, 5),
    tower_size=(0, 3),
    drop_height_m=(0.5, 1.5),
    xy_range_m=1.0,
    object_size_m=(0.05, 0.35),  # household objects, as Google Scanned Objects
    density_kg_m3=(150.0, 1200.0),
    friction=(0.3, 1.0),
    restitution=(0.0, 0.4),
    floor_friction=1.0,
    floor_restitution=0.0,
    gravity=-9.81,
    camera_x_m=-2.0,
    camera_height_m=(0.4, 0.6),
    focal_length_mm=35.0,
    sensor_width_mm=32.0,
    asset_sources=["procedural", "pybullet"],
    group_weights=dict(procedural=0.5, pybullet=0.3, random_urdfs=0.2, gso=1.0),
    assets=None,  # e.g. ["pybullet/duck", "procedural/bottle"]: draw only these (overrides the split)
    gso_dir=None,
    hdri_dir=None,
    split="seen",  # seen | unseen | all: objects, procedural environments and HDRIs alike
    background="procedural",  # procedural (sky, floor material, walls; sim_data/environment.py) | plain
    object_color=None,  # (r, g, b) linear: one plain colour for every object (configs/sim/miniature.py)
    text="a video of an object dropping",  # drops; the Newtonian scenarios name their motion
    scenario="drop",  # drop | ramp_slide | roll | bounce | collide | pendulum | mix (sim_data/scenarios.py)
    # mix: each seed draws its scenario with these weights (generate_parallel.sh --scenario mix)
    scenario_weights=dict(drop=0.3, ramp_slide=0.15, roll=0.15, bounce=0.15, collide=0.1, pendulum=0.15),
    newton=dict(),  # overrides of the Newtonian scenarios' ranges, e.g. dict(ramp_angle_deg=(20.0, 30.0))
)
render = dict(
    renderer="preview",
    samples=32,  # Cycles, open sky (PISA: 64); >= 45 dB against 256 samples (benchmarks/sim_throughput.py)
    walls_samples=20,  # Cycles, a procedural room: walls fill the frame, samples cost twice as much
    denoise=True,
    denoise_quality="BALANCED",
    denoise_prefilter="FAST",
    adaptive_threshold=0.05,
    adaptive_min_samples=16,
    max_bounces=3,
    device="auto",
    threads=0,
    tuned=True,
    movie=True,
)
batch = dict(
    output_dir="{{$PISA_DATA_ROOT:./data}}/sim/psft",  # where PSFT / ORO read psft.csv, oro.csv, val.csv
    num_samples=8,
    start_seed=0,
    workers=1,
    launcher="local",
    ray_address=None,
    val_fraction=0.05,
    oro_fraction=0.2,
    pred_root="{{$PISA_OUT_ROOT:./outputs}}/predictions/sim",
    allow_failures=False,
)
