#!/usr/bin/env bash
# Sourced by the other scripts (not run directly): makes sure the virtual environment .venv
# exists in the repository root, with requirements/${PISA_REQUIREMENTS}.txt and the PISA
# packages installed (editable). Re-installs only when requirements/ or setup.py changed.
# Needs: Python 3.11 (python3.11 or python3) and access to PyPI. Takes ~2 min the first time.
set -euo pipefail
PISA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$PISA_ROOT"
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-dev}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), f"PISA needs Python 3.11, found {sys.version}"'
  echo "creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.pisa-${PISA_REQUIREMENTS}.sha256"
want=$(cat requirements/*.txt setup.py | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing requirements/${PISA_REQUIREMENTS}.txt into .venv"
  .venv/bin/python -m pip install --disable-pip-version-check -q -r "requirements/${PISA_REQUIREMENTS}.txt"
  .venv/bin/python -m pip install --disable-pip-version-check -q --no-deps -e .
  echo "$want" > "$stamp"
fi
export PATH="$PISA_ROOT/.venv/bin:$PATH"
export PISA_DATA_ROOT=${PISA_DATA_ROOT:-./data} PISA_CKPT_ROOT=${PISA_CKPT_ROOT:-./models} PISA_OUT_ROOT=${PISA_OUT_ROOT:-./outputs}
echo "roots: PISA_DATA_ROOT=$PISA_DATA_ROOT PISA_CKPT_ROOT=$PISA_CKPT_ROOT PISA_OUT_ROOT=$PISA_OUT_ROOT"
