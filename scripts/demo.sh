#!/usr/bin/env bash
# Usage: bash scripts/demo.sh [--selftest.num_clips=16] [--render.renderer=cycles] [...config overrides]
# The main job on its embedded default: a small simulated PisaBench split (8 clips, PyBullet
# physics, preview renderer) scored against renders of the same scenes with perturbed physics
# (gravity x0.5 / x2, frozen, constant-velocity fall, vanishing object); checks that every
# metric ranks them as physics says.
# Hardware: CPU; ~3 min on 2 cores after the one-time environment set-up (~3 min).
# Writes: $PISA_OUT_ROOT/sim_selftest/ (benchmark/, eval/<variant>/, report.md, selftest_metrics.png).
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-sim}
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
CONFIG=${CONFIG:-configs/sim/selftest.py}
python -m sim_data.selftest "$CONFIG" "$@"
