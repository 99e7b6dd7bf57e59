"""GRPO step time split into sampling / reward / update, and peak memory, against G inferences + one training step.

Usage::

    python benchmarks/grpo_step.py [--backbone opensora_v1_2] [--steps 3] [--model-path HUB_ID_OR_FOLDER]

Each row runs in its own process (benchmarks/isolated.py: peak memory belongs to it alone) and
builds the trainer's own GRPO job (:class:`opensora.train.grpo.GRPO`) from the backbone's tiny
config (``configs/post_training/grpo_tiny.py`` or ``<backbone>/grpo_tiny.py``) on one random
clip: G = 4 and 8, full fine-tuning and LoRA (the reward scored in the sampling thread, the
default on CPU), and G = 4 with the reward on a worker thread (``verifiable.overlap=True``, the
default on a GPU), with the colour segmenter and with SAM 2 (tiny random weights: a reward that
costs something), to show what the overlap hides or costs. The baseline, measured in
the same run at the same size: one inference (``sample_latents`` + decode, batch 1) and one PSFT
training step (batch 1) — the issue's goal is a GRPO step ≤ G × inference + one training step.

Columns: seconds per step; of it sampling (G rollouts with log-probabilities), the reward's wait
(what scoring adds after the last rollout — the rest ran on the worker thread during sampling),
the update (the stochastic steps' log-probabilities recomputed with gradients and back-propagated
one rollout at a time), and the rest (AdamW, EMA); the reward's own seconds (summed over the group, mostly hidden); peak memory
(CPU: RSS growth; GPU: peak allocation); and the ratio to the baseline. With ``--model-path`` on a
GPU, the same rows at full size (``<backbone>/grpo.py``, the SAM 2 reward replaced by the tiny one).
"""

from __future__ import annotations

import argparse

from backbone_training import measure_step  # benchmarks/ is on sys.path when a script runs
from isolated import run_isolated


def rows(backbone: str, model_path: str | None, cuda: bool) -> list[tuple[str, dict]]:
    """(label, measurement) for the baseline and the GRPO configurations."""
    from opensora.train.cli import backbone_config

    tiny = backbone_config("configs/post_training/grpo_tiny.py", backbone)
    plans = [("tiny", tiny, {}, "cpu")]
    if cuda and model_path:
        full = backbone_config("configs/post_training/grpo_base.py", backbone)
        plans.append(("full", full, {"model.model_path": model_path, "verifiable.segmenter": "colour"}, "cuda"))
    out = []
    for size, config, base, device in plans:
        lora = {"model.lora_rank": 16, "model.lora_alpha": 16.0}
        full_ft = {"model.lora_rank": 0, "grpo.kl_coef": 0.0}
        out.append((f"{size}: baseline (PSFT step + 1 inference)", dict(kind="psft", config=config,
                    overrides={**base, **full_ft}, device=device, infer=True)))  # fmt: skip
        for g in (4, 8):
            for name, o in (("full FT", full_ft), ("LoRA r=16", lora)):
                over = {**base, **o, "grpo.group_size": g}
                out.append((f"{size}: G={g}, {name}", dict(kind="grpo", config=config, overrides=over, device=device)))
        segmenters = [("colour", {})]
        if size == "tiny":  # a reward that costs something: SAM 2 (tiny random weights)
            segmenters.append(("SAM 2", {"verifiable.segmenter": "tiny:sam2?image_size=256"}))
        for seg, o in segmenters:
            for overlap in (True, False):
                over = {**base, **full_ft, **o, "grpo.group_size": 4, "verifiable.overlap": overlap}
                label = f"{size}: G=4, {seg} reward, {'overlap' if overlap else 'no overlap'}"
                out.append((label, dict(kind="grpo", config=config, overrides=over, device=device)))
    return out


def main(argv=None) -> None:
    """Run every row in its own process and print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backbone", default="opensora_v1_2", help="any backbone (configs/post_training/NAME/)")
    p.add_argument("--steps", type=int, default=3, help="timed steps per row (after one warm-up step)")
    p.add_argument("--model-path", help="the backbone's weights for the full-size GPU rows (hub id or folder)")
    p.add_argument("--one", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.one:
        import json

        print(json.dumps(measure_step(**json.loads(a.one), steps=a.steps)))
        return
    import torch

    cuda = torch.cuda.is_available()
    if not (cuda and a.model_path):
        print("full-size rows need a GPU and --model-path; tiny rows on CPU only")
    head = f"{'configuration':<40}{'s/step':>8}{'sample':>8}{'wait':>7}{'update':>8}{'rest':>7}{'reward':>8}"
    print(f"{a.backbone} GRPO\n{head}{'peak GiB':>10}{'vs G×inf+train':>16}")
    base = {}
    for label, c in rows(a.backbone, a.model_path, cuda):
        r, err = run_isolated(__file__, c, "--steps", str(a.steps))
        size = label.split(":")[0]
        if r is None:
            print(f"{label:<40} failed: {err}")
            continue
        if c["kind"] == "psft":
            base[size] = (r["infer_seconds"], r["seconds"])
            print(
                f"{label:<40}{r['seconds']:>8.2f}  inference {r['infer_seconds']:.2f} s{'':>21}{r['peak_gib']:>10.3f}"
            )
            continue
        lg = r["logs"]
        rest = r["seconds"] - lg["sample_s"] - lg["reward_wait_s"] - lg["update_s"]
        g = c["overrides"]["grpo.group_size"]
        ratio = "-"
        if size in base:
            infer, train = base[size]
            ratio = f"{r['seconds'] / (g * infer + train):.2f}"
        print(
            f"{label:<40}{r['seconds']:>8.2f}{lg['sample_s']:>8.2f}{lg['reward_wait_s']:>7.2f}{lg['update_s']:>8.2f}"
            f"{rest:>7.2f}{lg['reward_s']:>8.2f}{r['peak_gib']:>10.3f}{ratio:>16}"
        )
    print(
        "(seconds per step; wait = reward time not hidden behind sampling, reward = its total; update = recompute + "
        "backward; rest = AdamW; ratio = step / (G x one inference + one PSFT step), measured above in this run)"
    )


if __name__ == "__main__":
    main()
