"""Simulator test helpers: small scenes, skipped without pybullet."""

from __future__ import annotations

import pytest

pytest.importorskip("pybullet")
