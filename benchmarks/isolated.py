"""Run one benchmark measurement in a fresh process, so its peak memory belongs to it alone."""

from __future__ import annotations

import json
import subprocess
import sys


def run_isolated(script: str, config: dict, *args: str) -> tuple[dict | None, list[str]]:
    """``python script --one CONFIG args`` → (the JSON its last stdout line holds, []) or (None, last stderr line)."""
    res = subprocess.run([sys.executable, script, "--one", json.dumps(config), *args], capture_output=True, text=True)
    if res.returncode != 0:
        return None, res.stderr.strip().splitlines()[-1:]
    return json.loads(res.stdout.strip().splitlines()[-1]), []
