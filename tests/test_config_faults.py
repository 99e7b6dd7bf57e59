"""Malformed configuration against every CLI: each value is type-checked where its section is built,
the error names ``section.key``, the value, the expected type and the config file, there is no
traceback, and nothing (no run or output folder) is created."""

from __future__ import annotations

import pytest

from evaluation import convert, download, generate_masks
from evaluation import run as eval_run
from evaluation.core.config import check_value, section
from evaluation.core.errors import ConfigError
from sim_data import parallel
from tests.conftest import assert_user_error, run_cli

torch = pytest.importorskip("torch")
from opensora import inference  # noqa: E402
from opensora.train import oro, psft  # noqa: E402

# (CLI main, config, output flag, bad override, what the message must name)
CASES = [
    (eval_run.main, "configs/eval/sim.py", "--output_dir", "--eval.workers=abc", ["eval.workers", "'abc'", "int"]),
    (eval_run.main, "configs/eval/sim.py", "--output_dir", "--eval.bootstrap_samples=1e3", ["eval.bootstrap_samples"]),
    (
        eval_run.main,
        "configs/eval/sim.py",
        "--output_dir",
        "--eval.allow_missing=maybe",
        ["eval.allow_missing", "bool"],
    ),
    (eval_run.main, "configs/eval/sim.py", "--output_dir", "--eval.metrics=l2", ["eval.metrics", "['l2']"]),
    (eval_run.main, "configs/eval/sim.py", "--output_dir", "--eval.split=nope", ["eval.split must be one of"]),
    (
        eval_run.main,
        "configs/eval/sim.py",
        "--output_dir",
        "--figures.filmstrip_frames=many",
        ["figures.filmstrip_frames"],
    ),
    (
        convert.main,
        "configs/data_processing/convert_sim.py",
        "--dst-root",
        "--convert.resolution=abc",
        ["convert.resolution"],
    ),
    (convert.main, "configs/data_processing/convert_sim.py", "--dst-root", "--convert.resolution=4", ["at least 8"]),
    (convert.main, "configs/data_processing/convert_sim.py", "--dst-root", "--convert.crop=left", ["convert.crop"]),
    (parallel.main, "configs/sim/base.py", "--output-dir", "--sim.resolution=abc", ["sim.resolution", "int"]),
    (parallel.main, "configs/sim/base.py", "--output-dir", "--batch.workers=0", ["batch.workers"]),
    (parallel.main, "configs/sim/base.py", "--output-dir", "--sim.num_dropped=3", ["sim.num_dropped", "tuple"]),
    (parallel.main, "configs/sim/base.py", "--output-dir", "--render.samples=many", ["render.samples"]),
    (
        generate_masks.main,
        "configs/data_processing/generate_mask.py",
        "--output-root",
        "--masks.shard=2/2",
        ["0 <= i < n"],
    ),
    (
        generate_masks.main,
        "configs/data_processing/generate_mask.py",
        "--output-root",
        "--masks.overwrite=yes",
        ["masks.overwrite"],
    ),
    (
        download.main,
        "configs/data_processing/download_pisabench.py",
        "--out-dir",
        "--download.splits=real",
        ["download.splits"],
    ),
    (inference.main, "configs/inference/tiny.py", "--output-dir", "--inference.dtype=fp8", ["inference.dtype"]),
    (inference.main, "configs/inference/tiny.py", "--output-dir", "--inference.seed=abc", ["inference.seed"]),
    (psft.main, "configs/post_training/tiny.py", "--run-dir", "--train.lr=abc", ["train.lr", "float"]),
    (psft.main, "configs/post_training/tiny.py", "--run-dir", "--train.batch_size=two", ["train.batch_size", "int"]),
    (psft.main, "configs/post_training/tiny.py", "--run-dir", "--train.ema_decay=1.5", ["ema_decay"]),
    (psft.main, "configs/post_training/tiny.py", "--run-dir", "--data.mask_ratios=3", ["data.mask_ratios", "dict"]),
    (oro.main, "configs/post_training/oro_tiny.py", "--run-dir", "--model.lora_rank=1.5", ["model.lora_rank", "int"]),
    (oro.main, "configs/post_training/oro_tiny.py", "--run-dir", "--oro.decode_frames=7", ["oro.decode_frames"]),
]


@pytest.mark.parametrize("main, config, out_flag, bad, needles", CASES, ids=[c[3] for c in CASES])
def test_bad_value_is_named_and_creates_nothing(tmp_path, capsys, main, config, out_flag, bad, needles):
    out = tmp_path / "out"
    rc, _, err = run_cli(main, [config, out_flag, out, bad], capsys)
    assert_user_error(rc, err, *needles)
    assert config in err  # the config file is named
    assert not out.exists()


def test_syntax_error_in_config_file(tmp_path, capsys):
    cfg = tmp_path / "broken.py"
    cfg.write_text("eval = dict(workers=1\n")
    rc, _, err = run_cli(eval_run.main, [cfg, "--output_dir", tmp_path / "out"], capsys)
    assert rc == 2 and str(cfg) in err and "SyntaxError" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_missing_base_in_config_file(tmp_path, capsys):
    cfg = tmp_path / "child.py"
    cfg.write_text('_base_ = ["./nope.py"]\n')
    rc, _, err = run_cli(eval_run.main, [cfg], capsys)
    assert rc == 2 and str(cfg) in err and "Traceback" not in err


def test_missing_config_file(tmp_path, capsys):
    rc, _, err = run_cli(eval_run.main, [tmp_path / "none.py"], capsys)
    assert rc == 2 and "config file not found" in err and "none.py" in err


def test_override_without_value(capsys):
    rc, _, err = run_cli(eval_run.main, ["configs/eval/sim.py", "--eval.workers"], capsys)
    assert rc == 2 and "has no value" in err


def test_override_of_unknown_section(capsys):
    rc, _, err = run_cli(eval_run.main, ["configs/eval/sim.py", "--evil.workers=2"], capsys)
    assert rc == 2 and "no key 'evil'" in err


def test_check_value_types():
    check_value("a.b", 3, float)  # an int is a float
    check_value("a.b", (1, 2), tuple[int, int])
    check_value("a.b", [1, 2], tuple[int, int])  # configs write lists and tuples interchangeably
    check_value("a.b", None, int | None)
    check_value("a.b", {"x": 1.0}, dict)
    for value, tp in ((True, int), (1.5, int), ("1", int), ((1, 2, 3), tuple[int, int]), (["a", 1], list[str])):
        with pytest.raises(ConfigError, match="a.b"):
            check_value("a.b", value, tp)


def test_section_names_file_and_key():
    from mmengine.config import Config

    from evaluation.benchmark import EvalArgs

    cfg = Config.fromfile("configs/eval/sim.py")
    cfg.eval.seed = "zero"
    with pytest.raises(ConfigError, match=r"configs/eval/sim.py: eval.seed = 'zero' \(str\): expected int"):
        section(cfg, "eval", EvalArgs)


@pytest.mark.parametrize("spelling", ["joined", "separate"])
def test_override_values_with_spaces_work_in_both_spellings(spelling):
    from evaluation.core.config import parse_cli

    value = "worst quality, blurry"
    flag = [f"--backbone.negative_prompt={value}"] if spelling == "joined" else ["--backbone.negative_prompt", value]
    _, cfg = parse_cli(
        ["configs/inference/ltx_video_tiny.py", *flag],
        prog="x",
        description="",
        default_config="configs/inference/tiny.py",
    )
    assert cfg.backbone.negative_prompt == value


def test_an_output_folder_that_cannot_be_written_is_named_before_models_load(tmp_path, capsys):
    from tests.opensora.test_score_model import benchmark

    bench = benchmark(tmp_path / "b", "real")
    argv = ["configs/inference/tiny.py", "--benchmark-dir", bench, "--output-dir", "/sys/pisa-out"]
    rc, _, err = run_cli(inference.main, argv, capsys)
    assert_user_error(rc, err, "/sys: cannot write here")


def test_a_negative_seed_is_named(tmp_path, capsys):
    from sim_data import worker

    rc, _, err = run_cli(worker.main, ["--seed", "-1", "--output-dir", tmp_path / "s"], capsys)
    assert_user_error(rc, err, "--seed -1")
    rc, _, err = run_cli(parallel.main, ["--start-seed", "-3", "--output-dir", tmp_path / "p"], capsys)
    assert_user_error(rc, err, "batch.start_seed must be >= 0")
    assert not (tmp_path / "s").exists() and not (tmp_path / "p").exists()
