"""The mmengine registry of rewards: a config's ``rewards`` list names each reward by key.

Models are named by their presets (``opensora.models.MODEL_NAMES``) and the scheduler is the one
rectified flow, so neither needs a registry.
"""

from mmengine.registry import Registry

REWARDS = Registry("reward")
