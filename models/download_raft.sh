#!/usr/bin/env bash
# Usage: bash models/download_raft.sh [TARGET_DIR]
# torchvision RAFT weights (raft_large C_T_V2 = FlyingChairs+FlyingThings, ~21 MB, BSD-3) into
# $PISA_CKPT_ROOT/raft_large_C_T_V2.pth; torchvision also caches them itself on first use.
set -euo pipefail
TARGET=${1:-${PISA_CKPT_ROOT:-./models}}
python - "$TARGET" <<'PY'
import sys, torch
from torchvision.models.optical_flow import Raft_Large_Weights, raft_large
m = raft_large(weights=Raft_Large_Weights.C_T_V2)
torch.save(m.state_dict(), f"{sys.argv[1]}/raft_large_C_T_V2.pth")
PY
sha256sum "$TARGET/raft_large_C_T_V2.pth"
