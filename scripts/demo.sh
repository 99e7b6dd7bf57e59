#!/usr/bin/env bash
# Usage: bash scripts/demo.sh [--selftest.num_clips=40 ...]
# The main job on its embedded default: the PisaBench self-test. Builds analytic drop clips,
# physically perturbed predictions (gravity x0.5 / x2, frozen, constant velocity, vanishing),
# scores them all and checks that the metrics rank them as physics says.
# Hardware: CPU, ~1 min after the one-time environment set-up (~2 min).
# Writes: $PISA_OUT_ROOT/selftest/ (benchmark/, eval/<variant>/, report.md, selftest_metrics.png).
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-eval}
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
CONFIG=${CONFIG:-configs/eval/selftest.py}
python -m evaluation.selftest "$CONFIG" "$@"
