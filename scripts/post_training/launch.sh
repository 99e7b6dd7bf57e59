#!/usr/bin/env bash
# Sourced by the post-training scripts (not run directly): `launch MODULE CONFIG [ARGS...]` runs
# MODULE with `python -m` in one process when NPROC=1 (the default: a user error prints its one line,
# without torchrun's elastic traceback after it), or under torchrun with NPROC processes.
set -euo pipefail
launch() {
  if [ "${NPROC:-1}" = "1" ]; then
    python -m "$@"
  else
    torchrun --standalone --nproc_per_node "$NPROC" -m "$@"
  fi
}

