"""PSFT on the tiny config: resume equivalence, overfitting, export → inference, faults, 2 processes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from evaluation.core.outdirs import write_done
from opensora.models import stdit3_from_pretrained
from opensora.models.checkpoint import read_training_checkpoint
from opensora.train import checkpoints as C
from opensora.train.args import TrainArgs
from opensora.train.optim import NonFiniteLossError
from opensora.train.psft import PSFT, main
from tests.opensora.train_helpers import (
    assert_resumed_run_equals_straight,
    losses,
    max_abs_diff,
    tiny_argv,
    torchrun_two,
)


def test_resume_continues_exactly(sim, cache, tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert main(tiny_argv(sim, straight, cache, "--max-steps", "4", "--train.ckpt_every=2")) == 0
    assert main(tiny_argv(sim, split, cache, "--max-steps", "2", "--train.ckpt_every=2")) == 0
    assert main(tiny_argv(sim, split, cache, "--max-steps", "4", "--train.ckpt_every=2", "--resume", "auto")) == 0
    assert_resumed_run_equals_straight(straight, split)


def test_tiny_model_overfits_two_clips(sim, cache, tmp_path):
    run = tmp_path / "overfit"
    argv = tiny_argv(
        sim, run, cache, "--max-steps", "40", "--data.limit=2", "--train.lr=3e-3", "--train.ckpt_every=1000"
    )
    assert main(argv) == 0
    loss = losses(run)
    assert len(loss) == 40
    assert np.mean(loss[-10:]) <= 0.5 * np.mean(loss[:5]), (np.mean(loss[:5]), np.mean(loss[-10:]))


def test_export_loads_in_inference(sim, cache, tmp_path):
    run = tmp_path / "run"
    assert main(tiny_argv(sim, run, cache, "--max-steps", "2")) == 0
    export = run / "export" / "ema"
    model = stdit3_from_pretrained(str(export))
    ema = read_training_checkpoint(run / "checkpoints/step-0000002", "ema")
    assert max_abs_diff({k: v for k, v in model.state_dict().items() if k in ema}, ema) == 0
    from opensora.inference import main as infer

    out = tmp_path / "gen"
    rc = infer(
        [
            "configs/inference/tiny.py",
            "--benchmark-dir",
            str(sim / "samples"),
            "--output-dir",
            str(out),
            "--model-path",
            str(export),
        ]
    )
    assert rc == 0  # the export's pisa.json gives pixel space, 16², 8 frames: no overrides needed
    info = json.loads(next(p for p in out.iterdir() if p.is_dir()).joinpath("clip_info.json").read_text())
    assert info["latent_space"] == "PixelSpace:None" and info["num_frames"] == 8 and info["canvas"] == [16, 16]
    assert len([p for p in out.iterdir() if p.is_dir()]) == 10
    # the export CLI writes the same EMA weights from the checkpoint folder
    from opensora.train.export import main as export_main

    assert export_main([str(run / "checkpoints/step-0000002"), "--output-dir", str(tmp_path / "exp")]) == 0
    again = stdit3_from_pretrained(str(tmp_path / "exp")).state_dict()
    assert max_abs_diff(again, model.state_dict()) == 0
    assert export_main([str(tmp_path), "--output-dir", str(tmp_path / "x")]) == 2


def test_bad_manifest_row_is_named_at_start(sim, cache, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    lines = (sim / "psft.csv").read_text().splitlines()
    lines.append(lines[1].replace(lines[1].split(",")[0], str(tmp_path / "missing_sample")))
    bad.write_text("\n".join(lines) + "\n")
    rc = main(tiny_argv(sim, tmp_path / "run", cache, "--max-steps", "1", f"--data.manifest={bad}"))
    assert rc == 2
    err = capsys.readouterr().err
    assert f"{bad}:{len(lines)}" in err and "missing_sample" in err and "does not exist" in err
    assert not (tmp_path / "run").exists()  # nothing started


class FakeNaNAtStep2(PSFT):
    """A fake job whose loss becomes NaN at step 2."""

    calls = 0

    def loss(self, model, batch, seed):
        loss, per_sample, extra = super().loss(model, batch, seed)
        self.calls += 1
        if self.calls == 3:  # steps 0 and 1 are fine
            return loss * float("nan"), per_sample * float("nan"), extra
        return loss, per_sample, extra


def test_nan_loss_stops_naming_step_and_samples(sim, cache, tmp_path):
    from evaluation.core.config import load_config, parse_overrides
    from opensora.train.loop import fit

    argv = tiny_argv(sim, tmp_path / "run", cache)
    overrides = parse_overrides([*argv[3:], "--train.max_steps=5", "--train.ckpt_every=1"])
    from opensora.tiny import resolve_specs

    cfg = resolve_specs(load_config(argv[0], overrides))  # as the CLIs do at the config edge
    cfg.train.run_dir = str(tmp_path / "run")
    with pytest.raises(NonFiniteLossError, match=r"step 2 \(epoch \d+, batch \d+\): samples \['\d{5}', '\d{5}'\]"):
        fit(cfg, FakeNaNAtStep2())
    assert [p.name for p in C.list_checkpoints(tmp_path / "run")] == ["step-0000001", "step-0000002"]


@pytest.mark.slow
@pytest.mark.parametrize("parallel", ["fsdp", "ddp"])
def test_two_process_gloo_run(sim, cache, tmp_path, parallel):
    run = tmp_path / "run"
    argv = tiny_argv(sim, run, cache, "--max-steps", "2", f"--train.parallel={parallel}", "--train.ckpt_every=1")
    # the text cache and tiny T5 are shared with the other tests (rank 0 writes them first)
    res = torchrun_two("opensora.train.psft", argv, timeout=300)
    assert res.returncode == 0, res.stderr[-8000:]
    ckpt = run / "checkpoints" / "step-0000002"
    shards = sorted(p.name for p in ckpt.glob("*.distcp"))
    assert shards == ["__0_0.distcp", "__1_0.distcp"]
    assert all(np.isfinite(losses(run)))
    # the sharded checkpoint reads back whole and the export equals its EMA
    ema = read_training_checkpoint(ckpt, "ema")
    exported = stdit3_from_pretrained(str(run / "export" / "ema")).state_dict()
    assert max_abs_diff({k: exported[k] for k in ema}, ema) == 0
    assert torch.isfinite(torch.cat([v.flatten() for v in ema.values()])).all()


def test_incomplete_checkpoints_are_ignored(tmp_path):
    root = tmp_path / "checkpoints"
    (root / "step-0000002").mkdir(parents=True)
    (root / "step-0000002" / "trainer_state.json").write_text("{}")
    write_done(root / "step-0000002")
    (root / ".tmp-step-0000004").mkdir()  # killed while saving
    (root / "step-0000003").mkdir()  # no trainer_state.json
    (root / "step-0000005").mkdir()  # state written, DONE record missing (killed before it)
    (root / "step-0000005" / "trainer_state.json").write_text("{}")
    assert [p.name for p in C.list_checkpoints(tmp_path)] == ["step-0000002", "step-0000005"]
    args = TrainArgs(run_dir=str(tmp_path), resume="auto")
    assert C.find_resume(args, tmp_path).name == "step-0000002"
    with pytest.raises(ValueError, match="needs train.run_dir"):
        TrainArgs(resume="auto")


@pytest.mark.parametrize("segmenter", ["template", "sam2"])
def test_validation_generates_segments_and_scores(sim, cache, tmp_path, segmenter):
    import json

    from evaluation.perception.sam2 import save_tiny_sam2

    sam2 = save_tiny_sam2(tmp_path / "tiny_sam2", image_size=32)
    run = tmp_path / "run"
    argv = tiny_argv(sim, run, cache, "--max-steps", "1")
    argv = [a for a in argv if a != "--validation.manifest=None"]
    argv += [
        f"--validation.manifest={sim / 'psft.csv'}",
        "--validation.limit=2",
        "--validation.num_sampling_steps=2",
        f"--validation.segmenter={segmenter}",
        f"--validation.sam2_path={sam2}",
        "--validation.sam2_image_size=None",
    ]
    assert main(argv) == 0
    for step in ("step-0000000", "step-0000001"):  # before the first and after the last step
        summary = json.loads((run / "val" / step / "summary.json").read_text())
        assert summary["counts"] == {"expected": 2, "found": 2, "evaluated": 2, "failed": 0}
        assert summary["segmenter"]["adapter"] == ("sam2_video" if segmenter == "sam2" else "template_tracker")
        for sid in [
            r["sample_id"] for r in map(json.loads, (run / "val" / step / "per_sample.jsonl").read_text().splitlines())
        ]:
            assert (run / "val" / step / sid / "mask.npz").is_file() and (
                run / "val" / step / sid / "movie.mp4"
            ).is_file()
    logged = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    val = [r for r in logged if "val/l2" in r]
    assert [r["step"] for r in val] == [0, 1] and all(np.isfinite(r["val/l2"]) for r in val)
