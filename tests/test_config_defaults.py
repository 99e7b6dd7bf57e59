"""One source of defaults: every field of a config section's dataclass is written in its base
config, with the dataclass default's value (paths compared after normalisation)."""

from __future__ import annotations

import dataclasses
import os

import pytest

from evaluation.benchmark import EvalArgs
from evaluation.convert import ConvertArgs
from evaluation.core.config import load_config
from evaluation.download import DownloadArgs
from evaluation.figures import FigureArgs
from evaluation.generate_masks import MaskArgs
from evaluation.selftest import SelftestArgs
from sim_data.newton import NewtonSplitArgs
from sim_data.newton_selftest import NewtonSelftestArgs
from sim_data.parallel import BatchArgs
from sim_data.pisabench_sim import PisaBenchSimArgs
from sim_data.scene import SimArgs
from sim_data.selftest import SimSelftestArgs
from sim_data.worker import RenderArgs

torch = pytest.importorskip("torch")
from evaluation.score import ScoreArgs  # noqa: E402
from opensora.backbones import BackboneArgs  # noqa: E402
from opensora.inference import InferenceArgs  # noqa: E402
from opensora.schedulers.rf import RFlowArgs  # noqa: E402
from opensora.train.args import TrainArgs  # noqa: E402
from opensora.train.components import DataArgs, ModelArgs  # noqa: E402
from opensora.train.oro import OROArgs  # noqa: E402
from opensora.train.validate import ValArgs  # noqa: E402

BASES = [
    ("configs/eval/base.py", "eval", EvalArgs),
    ("configs/eval/base.py", "figures", FigureArgs),
    ("configs/eval/selftest.py", "selftest", SelftestArgs),
    ("configs/data_processing/convert_real.py", "convert", ConvertArgs),
    ("configs/data_processing/generate_mask.py", "masks", MaskArgs),
    ("configs/data_processing/download_pisabench.py", "download", DownloadArgs),
    ("configs/sim/base.py", "sim", SimArgs),
    ("configs/sim/base.py", "render", RenderArgs),
    ("configs/sim/base.py", "batch", BatchArgs),
    ("configs/sim/selftest.py", "selftest", SimSelftestArgs),
    ("configs/sim/pisabench_sim.py", "pisabench", PisaBenchSimArgs),
    ("configs/sim/newton.py", "newton_split", NewtonSplitArgs),
    ("configs/sim/selftest_newton.py", "newton_selftest", NewtonSelftestArgs),
    ("configs/inference/base.py", "inference", InferenceArgs),
    ("configs/inference/opensora_v1_2.py", "backbone", BackboneArgs),
    ("configs/eval/score_model.py", "score", ScoreArgs),
    ("configs/_base_/scheduler.py", "scheduler", RFlowArgs),
    ("configs/post_training/base.py", "train", TrainArgs),
    ("configs/post_training/base.py", "model", ModelArgs),
    ("configs/post_training/base.py", "data", DataArgs),
    ("configs/post_training/base.py", "validation", ValArgs),
    ("configs/post_training/oro_base.py", "oro", OROArgs),
]


def _norm(v):
    if isinstance(v, str) and "/" in v:
        return os.path.normpath(v)
    if isinstance(v, tuple):
        return [_norm(x) for x in v]
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


def _default(f: dataclasses.Field):
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


@pytest.mark.parametrize("path, name, cls", BASES, ids=[f"{p}:{n}" for p, n, _ in BASES])
def test_base_config_states_every_default(path, name, cls, monkeypatch):
    for var in ("PISA_DATA_ROOT", "PISA_CKPT_ROOT", "PISA_OUT_ROOT"):
        monkeypatch.delenv(var, raising=False)  # the documented defaults
    section = load_config(path)[name].to_dict()
    missing, differ = [], []
    for f in dataclasses.fields(cls):
        default = _default(f)
        if f.name not in section:
            missing.append(f.name)
        elif default is not dataclasses.MISSING and _norm(section[f.name]) != _norm(default):
            differ.append(f"{f.name}: config {section[f.name]!r} vs code {default!r}")
    assert not missing, f"{path} [{name}] does not state {missing}"
    assert not differ, f"{path} [{name}] disagrees with {cls.__name__}: {differ}"
