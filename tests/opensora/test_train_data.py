"""Training data: manifest validation, transforms, data order, mask strategies, latent cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from evaluation.core.errors import InputError
from opensora.datasets.clips import ClipDataset, EpochBatches, resize_crop, resize_crop_flow, resize_crop_nearest
from opensora.datasets.latents import LatentCache
from opensora.datasets.manifest import ManifestError, read_manifest
from opensora.models import vae_from_path_or_preset
from opensora.schedulers.rf.masks import check_ratios, sample_masks
from tests.opensora.train_helpers import simulate


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("sim"), num=4, frames=4)


def test_manifest_rows_and_errors(sim, tmp_path):
    rows = read_manifest(sim / "psft.csv", num_frames=4, needs=("mask", "depth", "flow"))
    assert rows and all(r.line >= 2 and r.text for r in rows)
    with pytest.raises(ManifestError, match="training needs 5"):
        read_manifest(sim / "psft.csv", num_frames=5)
    broken = tmp_path / "broken.csv"
    lines = (sim / "psft.csv").read_text().splitlines()
    first = lines[1].split(",")[0]
    (tmp_path / "copy").mkdir()
    lines.append(lines[1].replace(first, str(tmp_path / "copy")))  # empty folder: no frames
    broken.write_text("\n".join(lines) + "\n")
    with pytest.raises(ManifestError, match=rf"broken.csv:{len(lines)}: .*copy: .*no frames"):
        read_manifest(broken, num_frames=4)
    (tmp_path / "nocol.csv").write_text("text\nhello\n")
    with pytest.raises(ManifestError, match="missing column"):
        read_manifest(tmp_path / "nocol.csv", num_frames=4)
    with pytest.raises(InputError, match="does not exist"):
        read_manifest(tmp_path / "none.csv", num_frames=4)


def test_resize_crop_covers_and_centres():
    frames = np.zeros((2, 20, 40, 3), dtype=np.uint8)
    frames[:, :, 10:30] = 255  # the centre 20 columns are white
    x = resize_crop(frames, 10)
    assert x.shape == (3, 2, 10, 10) and x.min() >= -1 and x.max() <= 1
    inner = x[..., 1:-1]  # the centre crop is white (its edge columns blend with black: antialiasing)
    assert torch.allclose(inner, torch.ones_like(inner)) and x[..., 0].max() < 1
    m = torch.zeros(2, 1, 20, 40, dtype=torch.bool)
    m[..., 10:30] = True
    assert resize_crop_nearest(m, 10).all()
    flow = torch.ones(1, 20, 40, 2)
    assert torch.allclose(resize_crop_flow(flow, 10), torch.full((1, 10, 10, 2), 0.5))  # vectors scale with the image


def test_dataset_items(sim):
    rows = read_manifest(sim / "psft.csv", num_frames=4, needs=("mask", "depth", "flow"))
    item = ClipDataset(rows, 4, 16, needs=("mask", "depth", "flow"))[0]
    assert item["video"].shape == (3, 4, 16, 16)
    assert item["mask"].dtype == torch.bool and item["mask"].shape[0] == 4 and item["mask"].shape[2:] == (16, 16)
    assert item["depth"].shape == (4, 16, 16) and item["flow"].shape == (3, 16, 16, 2)


def test_epoch_batches_are_deterministic_and_disjoint_across_ranks():
    ranks = [EpochBatches(10, 2, seed=3, rank=r, world=2) for r in range(2)]
    assert ranks[0].per_epoch == 2  # 10 // (2 x 2); the tail is dropped
    e0 = [ranks[r].epoch(0) for r in range(2)]
    seen = [i for r in e0 for b in r for i in b]
    assert len(seen) == len(set(seen)) == 8
    assert e0[0] == EpochBatches(10, 2, seed=3, rank=0, world=2).epoch(0)
    assert ranks[0].epoch(1) != ranks[0].epoch(0)
    stream = list(ranks[0].stream(1, 5))
    assert stream == [*ranks[0].epoch(0)[1:], *ranks[0].epoch(1), ranks[0].epoch(2)[0]]
    with pytest.raises(ValueError, match="cannot fill one global batch"):
        EpochBatches(3, 2, seed=0, world=2)


def test_mask_strategies():
    g = torch.Generator().manual_seed(0)
    m = sample_masks({"image_head": 1.0}, 5, 9, g)
    assert m.shape == (5, 9) and not m[:, 0].any() and m[:, 1:].all()
    assert sample_masks({}, 3, 4, g).all()  # identity
    tail = sample_masks({"image_tail": 1.0}, 2, 4, g)
    assert not tail[:, -1].any() and tail[:, :-1].all()
    r = sample_masks({"random": 1.0}, 50, 6, g)
    assert r.any(dim=1).all()  # at least one generated frame
    assert check_ratios({"image_head": 0.25})["identity"] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="unknown strategies"):
        check_ratios({"image_middle": 1.0})


def test_latent_cache_encodes_once(sim, tmp_path):
    rows = read_manifest(sim / "psft.csv", num_frames=4)
    data = ClipDataset(rows, 4, 16)
    vae = vae_from_path_or_preset("OpenSoraVAE_V1_2-tiny", None).eval()
    cache = LatentCache(tmp_path, "tiny", 4, 16)
    assert cache.fill(data, vae, "cpu") == len(rows)
    assert cache.fill(data, vae, "cpu") == 0  # all cached
    z = ClipDataset(rows, 4, 16, latents=cache)[0]["latent"]
    assert z.shape == (4, 1, 2, 2)
    cache.path(rows[0]).write_bytes(b"broken")
    with pytest.raises(ValueError, match="unreadable latent cache entry"):
        cache.load(rows[0])
    assert LatentCache(tmp_path, "other-vae", 4, 16).path(rows[0]) != cache.path(rows[0])


def test_latent_cache_keys_on_the_clips_and_the_vaes_content(sim, tmp_path):
    import shutil

    from evaluation.schema import list_frames

    clips = tmp_path / "sim"
    shutil.copytree(sim, clips)
    rows = read_manifest(clips / "psft.csv", num_frames=4)
    before = LatentCache(tmp_path / "c", "tiny", 4, 16, "sha256:aaa").path(rows[0])
    assert LatentCache(tmp_path / "c", "tiny", 4, 16, "sha256:bbb").path(rows[0]) != before  # VAE replaced in place
    frame = list_frames(rows[0].path)[0]
    frame.write_bytes(frame.read_bytes() + b"\0")  # the clip was made again at the same path
    assert LatentCache(tmp_path / "c", "tiny", 4, 16, "sha256:aaa").path(rows[0]) != before
