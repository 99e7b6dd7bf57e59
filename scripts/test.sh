#!/usr/bin/env bash
# Usage: bash scripts/test.sh [pytest args]
# The test suite: CPU-only, offline. Creates .venv and installs requirements/dev.txt if needed.
# Hardware: any CPU; about 5 min on 2 cores (pytest-xdist), plus the one-time environment set-up.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-dev}
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
PYTEST_WORKERS=${PYTEST_WORKERS:-auto}
# The first import of mmengine makes yapf write its grammar cache next to the package; two test
# workers doing that at once in a fresh environment can read a half-written file (EOFError).
python -c "import mmengine" >/dev/null
python -m pytest -n "$PYTEST_WORKERS" tests "$@"
