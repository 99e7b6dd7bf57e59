#!/usr/bin/env bash
# Usage: bash scripts/evaluation/score_model.sh --backbone NAME --split real|sim_seen|sim_unseen|newton|newton_<scenario> [--model-path HUB_ID_OR_FOLDER]
#    or: bash scripts/evaluation/score_model.sh --pred-root DIR [--pred-fps FPS] --split real
#    or: bash scripts/evaluation/score_model.sh --backbone NAME --benchmark physics_iq [--seeds 4] [--protocol v2v]   (Physics-IQ)
#    or: bash scripts/evaluation/score_model.sh --backbone NAME --benchmark all   (PisaBench real + sim, Physics-IQ, newton: one run folder)
# Scores any image-to-video model on PisaBench: generate (or import DIR's sample folders / <id>.mp4
# files) → SAM 2 masks (points for real, ground-truth frame-0 masks for sim) → evaluation → report.
# Reads data/pisabench/<split>_256 (--benchmark-dir); writes $PISA_OUT_ROOT/score/<model>-<split>-<hash>/ (--run-dir).
# A rerun skips what the same weights/videos and settings made, redoes what changed; --overwrite remakes
# videos generated with other settings (refused by default, naming what differs).
# Hardware: one GPU for generation and SAM 2 (bf16); each stage resumes and is skipped when done.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-train}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/eval/score_model.py}
python -m opensora.score_model "$CONFIG" "$@"
