"""Cache of VAE latents per training clip: the VAE is frozen, so each clip is encoded once.

File per clip: ``<cache_dir>/<sha>.safetensors`` where the hash covers the sample directory
(resolved) and the content of the frames read from it, the number of frames, the size, the VAE's
identity and the content fingerprint of its weights, and the frame preprocessing
(:data:`PREPROCESSING`: latents made with an older resize are not reused); a changed setting, a
regenerated clip or VAE weights replaced in place never read a stale latent. The cached latent is one posterior sample drawn with a generator seeded
by the clip's hash (Open-Sora re-samples the posterior every step; the v1.2 VAE's posterior
standard deviation is small, and a cache is optional: ``data.latent_cache_dir=None``).
Files are written to a temporary name and renamed; ranks encode disjoint shares.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from tqdm import tqdm

from evaluation.core.errors import InputError
from evaluation.core.identity import files_fingerprint
from evaluation.schema import list_frames
from opensora.datasets.manifest import ManifestRow

PREPROCESSING = "resize_crop_to_fill/pil-bicubic"  # opensora.backbones.frames, the one path


class LatentCache:
    """Read/write cached latents for one (VAE, frames, size) setting."""

    def __init__(self, cache_dir: str | Path, vae_id: str, num_frames: int, size: int, vae_weights: str = ""):
        """``vae_weights``: the content fingerprint of the VAE's weights (``Backbone.latent_weights``)."""
        self.dir, self.vae_id, self.num_frames, self.size = Path(cache_dir), vae_id, num_frames, size
        self.vae_weights = vae_weights
        self._keys: dict[str, str] = {}  # per row path: the frames are fingerprinted once per process

    def key(self, row: ManifestRow) -> str:
        """Hash of everything the latent depends on."""
        if row.path not in self._keys:
            sample = Path(row.path)
            frames = files_fingerprint(sample, list_frames(sample)[: self.num_frames])
            text = f"{sample.resolve()}\n{frames}\n{self.num_frames}\n{self.size}\n{self.vae_id}\n{self.vae_weights}"
            self._keys[row.path] = hashlib.sha256(f"{text}\n{PREPROCESSING}".encode()).hexdigest()[:24]
        return self._keys[row.path]

    def path(self, row: ManifestRow) -> Path:
        """The clip's cache file."""
        return self.dir / f"{self.key(row)}.safetensors"

    def load(self, row: ManifestRow) -> torch.Tensor:
        """``[C, T_lat, h, w]`` float32."""
        from safetensors.torch import load_file

        p = self.path(row)
        try:
            return load_file(str(p))["latent"]
        except Exception as e:  # truncated/corrupt cache entries name the file
            raise InputError(p, f"unreadable latent cache entry for {row.path} ({e}); delete it to re-encode") from e

    @torch.no_grad()
    def fill(self, dataset, vae, device, rank: int = 0, world: int = 1, batch_size: int = 4) -> int:
        """Encode every clip of ``dataset`` (a frames dataset) this rank owns and that is not cached; returns the count."""
        from safetensors.torch import save_file

        self.dir.mkdir(parents=True, exist_ok=True)
        todo = [i for i in range(rank, len(dataset), world) if not self.path(dataset.rows[i]).is_file()]
        for k in tqdm(range(0, len(todo), batch_size), desc="caching latents", unit="batch", disable=rank != 0 or None):
            idx = todo[k : k + batch_size]
            video = torch.stack([dataset[i]["video"] for i in idx]).to(device)
            for i, v in zip(idx, video, strict=True):
                row = dataset.rows[i]
                gen = torch.Generator(device=device).manual_seed(int(self.key(row)[:12], 16))
                z = vae.encode(v[None], generator=gen)[0].float().cpu().contiguous()
                tmp = self.path(row).with_suffix(".tmp")
                save_file({"latent": z}, str(tmp), metadata={"sample": row.path, "vae": self.vae_id})
                tmp.replace(self.path(row))
        return len(todo)
