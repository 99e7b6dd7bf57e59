"""Every config file loads, and every section converts into its dataclass (unknown keys fail)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.benchmark import EvalArgs
from evaluation.convert import ConvertArgs
from evaluation.core.config import load_config, parse_overrides, section
from evaluation.core.errors import ConfigError
from evaluation.download import DownloadArgs
from evaluation.figures import FigureArgs
from evaluation.generate_masks import MaskArgs
from evaluation.physics_iq.run import PhysicsIQArgs
from evaluation.score import ScoreArgs
from evaluation.selftest import SelftestArgs
from opensora.backbones import BackboneArgs
from opensora.inference import InferenceArgs
from opensora.physics_iq_generation import PhysicsIQGeometry
from opensora.rewards import check_reward_configs
from opensora.rewards.verifiable import VerifiableArgs
from opensora.schedulers.rf import RFlowArgs
from opensora.train.args import TrainArgs
from opensora.train.components import DataArgs, ModelArgs
from opensora.train.dpo import DPOArgs
from opensora.train.grpo import GRPOArgs
from opensora.train.oro import OROArgs
from opensora.train.validate import ValArgs
from sim_data.newton import NewtonSplitArgs
from sim_data.newton_selftest import NewtonSelftestArgs
from sim_data.parallel import BatchArgs
from sim_data.pisabench_sim import PisaBenchSimArgs
from sim_data.scene import SimArgs
from sim_data.worker import RenderArgs

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = {
    "eval": EvalArgs,
    "figures": FigureArgs,
    "convert": ConvertArgs,
    "download": DownloadArgs,
    "selftest": SelftestArgs,
    "sim": SimArgs,
    "render": RenderArgs,
    "batch": BatchArgs,
    "inference": InferenceArgs,
    "backbone": BackboneArgs,
    "score": ScoreArgs,
    "scheduler": RFlowArgs,
    "masks": MaskArgs,
    "train": TrainArgs,
    "model": ModelArgs,
    "data": DataArgs,
    "validation": ValArgs,
    "oro": OROArgs,
    "pisabench": PisaBenchSimArgs,
    "newton_split": NewtonSplitArgs,
    "grpo": GRPOArgs,
    "dpo": DPOArgs,
    "verifiable": VerifiableArgs,
    "physics_iq": PhysicsIQArgs,
    "physics_iq_generation": PhysicsIQGeometry,
    "newton_selftest": NewtonSelftestArgs,
}
LIST_SECTIONS = {"rewards": check_reward_configs}
CONFIGS = sorted(p for p in (ROOT / "configs").rglob("*.py"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_loads_and_validates(path):
    cfg = load_config(path)
    names = [k for k in cfg.keys() if not k.startswith("_")]
    assert names or path.parent.name == "_base_", f"{path} defines no section"  # _base_ may hold only shared values
    for name in names:
        if name in LIST_SECTIONS:
            if cfg[name]:  # oro_base.py leaves the list to its children
                LIST_SECTIONS[name](cfg[name])
            continue
        assert name in SECTIONS, f"{path}: section {name!r} has no dataclass"
        section(cfg, name, SECTIONS[name])


def test_unknown_key_in_section_raises(tmp_path):
    p = tmp_path / "bad.py"
    p.write_text("eval = dict(workerz=2)\n")
    with pytest.raises(ConfigError, match="unknown key"):
        section(load_config(p), "eval", EvalArgs)


def test_overrides_parse_and_only_touch_existing_keys():
    assert parse_overrides(["--eval.workers=4", "--figures.enabled", "false", "--eval.metrics=['l2']"]) == {
        "eval.workers": 4,
        "figures.enabled": False,
        "eval.metrics": ["l2"],
    }
    cfg = load_config(ROOT / "configs/eval/sim.py", {"eval.workers": 3})
    assert cfg.eval.workers == 3 and cfg.eval.split == "sim_seen"
    with pytest.raises(ConfigError, match="no key"):
        load_config(ROOT / "configs/eval/sim.py", {"eval.nope": 1})


def test_env_roots_substituted(monkeypatch):
    monkeypatch.setenv("PISA_OUT_ROOT", "/tmp/elsewhere")
    assert load_config(ROOT / "configs/eval/real.py").eval.output_dir == "/tmp/elsewhere/eval/real"
