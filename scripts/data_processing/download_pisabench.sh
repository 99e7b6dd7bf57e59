#!/usr/bin/env bash
# Usage: bash scripts/data_processing/download_pisabench.sh [--archive-dir DIR] [--splits real sim]
# Downloads pisabench/real.zip and sim.zip from the Hugging Face hub (nyu-visionx/pisa-experiments),
# verifies (CRC, sha256 recorded), unpacks and validates every clip.
# Hardware: CPU, network; a few minutes. Writes: $PISA_DATA_ROOT/pisabench/{real,sim}/, download_manifest.json.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-eval}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/data_processing/download_pisabench.py}
python -m evaluation.download "$CONFIG" "$@"
