"""Model-stack tests need torch; skipped without it."""

import pytest

pytest.importorskip("torch")
