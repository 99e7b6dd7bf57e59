#!/usr/bin/env bash
# Usage: bash scripts/evaluation/eval_sim.sh --config_file manifest.jsonl --output_dir outputs/eval/NAME [--split sim_unseen]
# Scores predicted masks on PisaBench simulated clips (16 fps GT, evaluated object = last object).
# Hardware: CPU; seconds for 60 videos. Writes per_sample.jsonl, summary.json, report.md, figures/.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-eval}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/eval/sim.py}
python -m evaluation.run "$CONFIG" "$@"
