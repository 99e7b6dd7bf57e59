# Score any image-to-video model on PisaBench (and Physics-IQ) in one command (python -m opensora.score_model;
# bash scripts/evaluation/score_model.sh): generate (or import videos) → SAM 2 masks seeded as the
# protocol says (annotated points for real, ground-truth frame-0 masks for sim) → evaluation → report.
score = dict(
    backbone=None,  # a backbone name (configs/inference/<name>.py), or None with pred_root
    inference_config=None,  # None = configs/inference/<backbone>.py
    model_path=None,  # None = the inference config's weights
    pred_root=None,  # videos made elsewhere: sample folders or <sample id>.mp4 files
    pred_fps=None,  # their frame rate when the files do not say
    split="real",  # real | sim_seen | sim_unseen
    benchmark_dir=None,  # None = the split's folder below
    benchmark_dirs=dict(
        real="{{$PISA_DATA_ROOT:./data}}/pisabench/real_256",
        sim_seen="{{$PISA_DATA_ROOT:./data}}/pisabench/sim_seen_256",
        sim_unseen="{{$PISA_DATA_ROOT:./data}}/pisabench/sim_unseen_256",
        # the Newtonian split (python -m sim_data.newton): all scenarios, or one
        newton="{{$PISA_DATA_ROOT:./data}}/newton/newton_256",
        newton_drop="{{$PISA_DATA_ROOT:./data}}/newton/newton_256/drop",
        newton_ramp_slide="{{$PISA_DATA_ROOT:./data}}/newton/newton_256/ramp_slide",
        newton_roll="{{$PISA_DATA_ROOT:./data}}/newton/newton_256/roll",
        newton_bounce="{{$PISA_DATA_ROOT:./data}}/newton/newton_256/bounce",
        newton_collide="{{$PISA_DATA_ROOT:./data}}/newton/newton_256/collide",
        newton_pendulum="{{$PISA_DATA_ROOT:./data}}/newton/newton_256/pendulum",
    ),
    run_dir=None,  # None = $PISA_OUT_ROOT/score/<model>-<split>-<hash of the weights / prediction folder>
    sam2="facebook/sam2.1-hiera-large",
    sam2_image_size=None,  # 256 = PISA's reduced SAM 2 input size
    device="auto",
    seed=1024,
    overwrite=False,  # replace videos an earlier run made with other weights or settings (default: refuse)
    allow_failures=False,
    # which benchmark: pisabench (the split above) | physics_iq | all (PisaBench real, sim_seen, sim_unseen,
    # Physics-IQ and the Newtonian split when it is there, into one run folder)
    benchmark="pisabench",
    seeds=1,  # Physics-IQ: videos per case (generation seeds seed + k·1000; the Verified rule's mean ± sd)
    protocol="i2v",  # Physics-IQ: i2v (the switch frame) | v2v (the 3 s conditioning clip; Open-Sora, LTX-Video)
    physics_iq_root="{{$PISA_DATA_ROOT:./data}}/physics_iq/physics-IQ-benchmark",
)
