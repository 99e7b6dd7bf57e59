#!/usr/bin/env bash
# Usage: bash scripts/data_processing/download_physics_iq.sh [--fps 8 16 24 30] [--v2v] [--out-dir DIR] [--archive-dir COPY]
# Fetches Physics-IQ's released real takes, masks and switch frames from the public bucket
# gs://physics-iq-benchmark over HTTPS (resumable, MD5-checked; evaluation/physics_iq/download.py) and
# descriptions.csv from google-deepmind/physics-IQ-benchmark; --archive-dir takes an offline copy instead.
# Hardware: CPU, network; tens of GB at 30 fps. Writes: $PISA_DATA_ROOT/physics_iq/physics-IQ-benchmark/.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-eval}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
python -m evaluation.physics_iq.download "$@"
