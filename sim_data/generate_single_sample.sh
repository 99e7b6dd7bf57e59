#!/usr/bin/env bash
# Usage: bash sim_data/generate_single_sample.sh --seed N --output-dir DIR [--renderer preview|cycles] [--sim.key=value ...]
# Simulates (PyBullet) and renders (preview: TinyRenderer; cycles: Blender) one drop clip into DIR
# in the data schema (frames, movie.mp4, mask/depth/flow npz, clip_info.json, DONE).
# Hardware: CPU; ~3 s (preview) or ~1 min (Cycles, 64 samples) per clip on 2 cores.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-sim}
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup_env.sh"
CONFIG=${CONFIG:-configs/sim/base.py}
python -m sim_data.worker "$CONFIG" "$@"
