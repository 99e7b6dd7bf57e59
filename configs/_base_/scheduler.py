# The rectified-flow scheduler with Open-Sora v1.2's RFLOW defaults (opensora/schedulers/rf:
# RFlowArgs): 10 steps, CFG 4, uniform timesteps, no timestep transform — how PISA's ORO samples.
scheduler = dict(
    num_sampling_steps=10,
    num_timesteps=1000,
    cfg_scale=4.0,
    use_discrete_timesteps=False,
    use_timestep_transform=False,
    sample_method="uniform",
    loc=0.0,
    scale=1.0,
    transform_scale=1.0,
)
