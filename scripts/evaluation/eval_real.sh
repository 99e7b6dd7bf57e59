#!/usr/bin/env bash
# Usage: bash scripts/evaluation/eval_real.sh --config_file manifest.jsonl --output_dir outputs/eval/NAME [--model NAME]
#    or: bash scripts/evaluation/eval_real.sh --gt-root data/pisabench/real_256 --pred-root PRED --output_dir ...
# Scores predicted masks on PisaBench real (120 fps GT, evaluated object = highest annotated object).
# Hardware: CPU; ~1 min for 361 videos. Writes per_sample.jsonl, summary.json, report.md, figures/.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-eval}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/eval/real.py}
python -m evaluation.run "$CONFIG" "$@"
