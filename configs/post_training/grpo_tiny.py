# GRPO smoke run on CPU (python -m opensora.train.grpo): the tiny PSFT setting (STDiT3-tiny in pixel
# space, 32x32, 16 frames of the small simulated set), 3 sampling steps, the SDE on the first two,
# groups of 2 per clip, the verifiable reward of the colour segmenter (IoU and the strict centroid
# error against the simulator's masks; the small set's plain scenes suit it).
_base_ = ["./tiny.py", "../_base_/verifiable.py"]
train = dict(experiment="grpo-tiny", batch_size=1, max_steps=4, log_every=1, ckpt_every=2, lr=1e-4)
data = dict(manifest="{{$PISA_DATA_ROOT:./data}}/sim/small/oro.csv")
scheduler = dict(num_sampling_steps=3, cfg_scale=1.0)
validation = dict(manifest=None)
grpo = dict(
    group_size=2,
    noise_level=0.7,
    sde_steps=[0, 1],
    same_initial_noise=True,
    clip_range=1e-4,
    adv_clip=5.0,
    kl_coef=0.0,
    timestep_fraction=1.0,
)
