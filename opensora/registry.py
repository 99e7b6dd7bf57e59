"""mmengine registries of the model stack: configs name a model, scheduler or reward by key."""

from mmengine.registry import Registry

MODELS = Registry("model")
SCHEDULERS = Registry("scheduler")
REWARDS = Registry("reward")
