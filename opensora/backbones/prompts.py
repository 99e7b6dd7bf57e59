"""Per-prompt feature cache for any backbone: each prompt is encoded once per text encoder and stored.

Files are ``<cache_dir>/feat_<hash>.safetensors`` keyed on the backbone's ``text_identity()``
(the text encoder's weights by content fingerprint — replacing them in place makes new features —,
its settings, the negative prompt) and the prompt; written atomically. With
``cache_dir=None`` features are only kept in memory.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch


def feature_file(identity: str, prompt: str) -> str:
    """File name of a cached prompt's features."""
    digest = hashlib.sha256((identity + "\n" + prompt).encode()).hexdigest()[:20]
    return f"feat_{digest}.safetensors"


class PromptFeatures:
    """Features of a fixed set of prompts for one backbone; :meth:`batch` stacks them."""

    def __init__(self, backbone, prompts, cache_dir: str | os.PathLike | None = None):
        self.table: dict[str, dict[str, torch.Tensor]] = {}
        identity = backbone.text_identity()
        for p in dict.fromkeys(prompts):
            self.table[p] = self._load_or_encode(backbone, identity, p, cache_dir)

    @staticmethod
    def _load_or_encode(backbone, identity: str, prompt: str, cache_dir) -> dict[str, torch.Tensor]:
        from safetensors.torch import load_file, save_file

        path = Path(cache_dir) / feature_file(identity, prompt) if cache_dir else None
        if path is not None and path.is_file():
            return load_file(str(path))
        with torch.no_grad():
            feats = {k: v.detach().cpu().contiguous() for k, v in backbone.encode_prompts([prompt]).items()}
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            save_file(feats, str(tmp), metadata={"prompt": prompt, "identity": identity})
            tmp.replace(path)
        return feats

    def batch(self, prompts: list[str], device) -> dict[str, torch.Tensor]:
        """Features of ``prompts`` concatenated on dim 0, on ``device``."""
        rows = [self.table[p] for p in prompts]
        return {k: torch.cat([r[k] for r in rows]).to(device) for k in rows[0]}
