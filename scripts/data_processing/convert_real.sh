#!/usr/bin/env bash
# Usage: bash scripts/data_processing/convert_real.sh [--resolution 256] [--crop center | --pad] [--config_file x.jsonl]
# Converts PisaBench real clips to R×R: frames resized, points scaled, masks nearest-neighbour.
# Hardware: CPU; ~1 min for 361 clips. Reads $PISA_DATA_ROOT/pisabench/real, writes .../real_256.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-eval}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/data_processing/convert_real.py}
python -m evaluation.convert "$CONFIG" "$@"
