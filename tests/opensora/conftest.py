"""Model-stack tests need torch; skipped without it."""

import pytest

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """Ten preview-rendered 32x32 clips with psft/oro/val manifests (modules may override it)."""
    from tests.opensora.train_helpers import simulate

    return simulate(tmp_path_factory.mktemp("sim"), num=10)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """Folder for the tiny T5 and the prompt-feature cache of a module's runs."""
    return tmp_path_factory.mktemp("cache")
