"""The batch runner's progress in a log (output not a terminal): plain lines, not silence."""

from __future__ import annotations

from evaluation.core import batch


def _square(x: int) -> int:
    return x * x


def test_a_log_gets_plain_progress_lines(monkeypatch, capsys):
    monkeypatch.setattr(batch, "LOG_EVERY_S", 0.0)  # every job instead of once a minute
    out = batch.run_jobs(range(4), _square, desc="simulating", unit="clip")
    assert [o.value for o in out] == [0, 1, 4, 9] and all(o.status == "done" for o in out)
    lines = capsys.readouterr().err.splitlines()
    # one line per finished job but the last (the batch's own summary follows it)
    assert [line.split(",")[0] for line in lines] == [f"simulating: {i}/4 clips" for i in (1, 2, 3)]
    assert all("elapsed, ~" in line and line.endswith("left") for line in lines)


def test_a_short_batch_prints_nothing(capsys):
    batch.run_jobs(range(3), _square)
    assert capsys.readouterr().err == ""
