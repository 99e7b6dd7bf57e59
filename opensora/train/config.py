"""The one typed root of a training run: every config section, converted and checked together.

PSFT and ORO read five sections (``train``, ``model``, ``data``, ``scheduler``, ``validation``);
:meth:`TrainingConfig.from_config` converts each into the dataclass of the module it configures
and derives, once, the ``backbone`` section the ``model`` and ``data`` sections amount to (the
canvas, frames and fps of the clips; :func:`opensora.train.components.backbone_args`). Everything
below the loop receives this one object, and the backbone's own checks (weights named, random
weights opted into) are the only ones: a problem is reported with the training key to change.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluation.core.config import section
from evaluation.core.errors import ConfigError
from opensora.backbones import BackboneArgs
from opensora.schedulers.rf import RFlowArgs
from opensora.train.args import TrainArgs
from opensora.train.components import DataArgs, ModelArgs, backbone_args
from opensora.train.validate import ValArgs

# BackboneArgs' keys as the training config spells them (section ``model``)
TRAINING_KEYS = {"backbone.name": "model.backbone", "backbone.": "model."}


@dataclass(frozen=True)
class TrainingConfig:
    """Every section of a training config, typed, and the backbone they amount to."""

    train: TrainArgs
    model: ModelArgs
    data: DataArgs
    scheduler: RFlowArgs
    validation: ValArgs
    backbone: BackboneArgs

    @classmethod
    def from_config(cls, cfg) -> TrainingConfig:
        """Convert and check every section (a :class:`ConfigError` names the file and the key)."""
        model, data = section(cfg, "model", ModelArgs), section(cfg, "data", DataArgs)
        try:
            backbone = backbone_args(model, data)
        except ValueError as e:
            msg = str(e)
            for theirs, ours in TRAINING_KEYS.items():
                msg = msg.replace(theirs, ours)
            raise ConfigError(f"{getattr(cfg, 'filename', None) or 'config'}: section 'model': {msg}") from e
        return cls(
            train=section(cfg, "train", TrainArgs),
            model=model,
            data=data,
            scheduler=section(cfg, "scheduler", RFlowArgs),
            validation=section(cfg, "validation", ValArgs),
            backbone=backbone,
        )
