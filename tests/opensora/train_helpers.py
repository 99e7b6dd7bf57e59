"""Helpers for the post-training tests: a small simulated set and tiny-config command lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

TINY_CONFIG = "configs/post_training/tiny_test.py"
ROOT = Path(__file__).resolve().parents[2]


def simulate(out: Path, num: int = 10, frames: int = 8) -> Path:
    """``num`` preview-rendered 32x32 clips with psft/oro/val manifests (about 0.3 s per clip)."""
    from sim_data.parallel import main as simulate_main

    rc = simulate_main(
        ["configs/sim/small.py", "--num-samples", str(num), "--output-dir", str(out), f"--sim.num_frames={frames}"]
    )
    assert rc == 0
    return out


def tiny_argv(data: Path, run: Path, cache: Path, *extra: str, config: str = TINY_CONFIG) -> list[str]:
    """A tiny CPU run (the test config: 8 frames at 16x16, no validation, every step logged) on the simulated set."""
    return [
        config,
        "--run-dir",
        str(run),
        f"--data.manifest={data / 'psft.csv'}",
        f"--model.text_cache_dir={cache / 'text'}",
        *extra,
    ]


def losses(run: Path) -> list[float]:
    """Per-step training losses from ``metrics.jsonl``."""
    recs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in recs if "loss" in r]


def max_abs_diff(a: dict, b: dict) -> float:
    """Largest difference between two state dicts with the same keys."""
    assert a.keys() == b.keys()
    return max(float(np.abs(a[k].float().numpy() - b[k].float().numpy()).max()) for k in a)


def assert_resumed_run_equals_straight(straight: Path, split: Path, steps: int = 4, middle: int = 2) -> None:
    """A run resumed at ``middle`` equals the straight run: per-step losses, and model and EMA weights at ``steps``."""
    from opensora.models.checkpoint import read_training_checkpoint

    a, b = losses(straight), losses(split)
    assert len(a) == len(b) == steps
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for weights in ("model", "ema"):
        wa = read_training_checkpoint(straight / f"checkpoints/step-{steps:07d}", weights)
        wb = read_training_checkpoint(split / f"checkpoints/step-{steps:07d}", weights)
        assert max_abs_diff(wa, wb) < 1e-6
    w0 = read_training_checkpoint(straight / f"checkpoints/step-{middle:07d}", "model")
    assert max_abs_diff(wa, w0) > 0  # and training moved the weights


def flags(overrides: dict) -> list[str]:
    """``--section.key=value`` arguments (strings and lists as Python literals)."""
    return [f"--{k}={v!r}" if isinstance(v, (str, list)) else f"--{k}={v}" for k, v in overrides.items()]


def torchrun_two(module: str, argv: list[str], timeout: int = 400) -> subprocess.CompletedProcess:
    """``torchrun --standalone --nproc_per_node 2 -m module argv`` from the repository root (gloo, CPU)."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", module, *argv]
    # faulthandler: a rank that aborts prints every thread's Python stack, so a rare crash can be placed
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1"}
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def oro_setup(config: str, overrides: dict):
    """ORO's job, frozen parts, denoiser and a one-clip batch of ``config`` (:func:`job_setup` with ORO)."""
    from opensora.train.oro import ORO

    return job_setup(config, overrides, ORO)


def job_setup(config: str, overrides: dict, make_job):
    """A job's instance, frozen parts, denoiser and a one-clip batch of ``config``, as ``opensora.train.loop`` sets them up.

    Every denoiser weight is perturbed a little: from-scratch inits zero some output layers (STDiT3's
    temporal projections, the diffusers models' output projections), which blocks gradients to the
    layers before them at step 0; a trained model has no such zeros.
    """
    import torch

    from evaluation.core.config import load_config
    from opensora.datasets.clips import ClipDataset
    from opensora.datasets.manifest import read_manifest
    from opensora.tiny import resolve_specs
    from opensora.train.components import build_backbone_for_training, build_denoiser, prompt_features
    from opensora.train.config import TrainingConfig
    from opensora.train.loop import Frozen, _collate

    cfg = resolve_specs(load_config(config, overrides))  # as the CLIs do at the config edge
    job = make_job(cfg)
    rc = TrainingConfig.from_config(cfg)
    margs, data = rc.model, rc.data
    sched = rc.scheduler
    rows = read_manifest(data.manifest, num_frames=data.num_frames, needs=job.needs)
    cpu = torch.device("cpu")
    torch.manual_seed(0)
    backbone = build_backbone_for_training(rc.backbone, sched, cpu, torch.float32)
    frozen = Frozen(backbone, prompt_features(backbone, [r.text for r in rows], margs), cpu, torch.float32)
    job.setup(frozen, data, sched)
    with torch.no_grad():
        for p in backbone.denoiser().parameters():
            p.add_(0.02 * torch.randn_like(p))
    model = job.prepare_model(build_denoiser(margs, backbone)).train()
    it = ClipDataset(rows, data.num_frames, data.resolution, needs=job.needs)[0]
    batch = {**_collate([it]), "text": [rows[0].text]}  # as the training loop batches
    return job, frozen, model, batch, margs
