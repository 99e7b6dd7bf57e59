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

# `select_config DEFAULT STAGE ARGS...` sets CONFIG and ARGS (ARGS without --backbone NAME): CONFIG
# when the caller set it, DEFAULT for Open-Sora v1.2 (the paper's model, the default backbone), else
# configs/post_training/NAME/STAGE.py.
select_config() {
  local default=$1 stage=$2 backbone=opensora_v1_2
  shift 2
  ARGS=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --backbone) backbone=${2:?--backbone needs a name}; shift 2 ;;
      --backbone=*) backbone=${1#--backbone=}; shift ;;
      *) ARGS+=("$1"); shift ;;
    esac
  done
  if [ -z "${CONFIG:-}" ]; then
    if [ "$backbone" = opensora_v1_2 ]; then CONFIG=$default; else CONFIG=configs/post_training/$backbone/$stage.py; fi
  fi
  if [ ! -f "$CONFIG" ]; then
    echo "error: $CONFIG does not exist (--backbone $backbone; backbones: $(ls configs/post_training | grep _ | grep -v '\.py' | tr '\n' ' '))" >&2
    exit 2
  fi
}
