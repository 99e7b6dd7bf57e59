"""Open-Sora's ``MaskGenerator``: which latent frames are conditions (False) during training.

``mask_ratios`` maps strategy → probability (``identity`` gets the rest). PISA: ``{"image_head": 1.0}``
(latent frame 0 is always the clean condition). Strategies and lengths follow Open-Sora v1.2's ``MaskGenerator`` (opensora/utils/train_utils.py).
"""

from __future__ import annotations

import torch

from evaluation.core.errors import ConfigError

STRATEGIES = (
    "identity",
    "random",
    "intepolate",  # sic: Open-Sora's spelling, kept so released configs load
    "quarter_random",
    "quarter_head",
    "quarter_tail",
    "quarter_head_tail",
    "image_random",
    "image_head",
    "image_tail",
    "image_head_tail",
)


def check_ratios(ratios: dict) -> dict:
    """Validated ratios with ``identity`` filling the remainder."""
    unknown = sorted(set(ratios) - set(STRATEGIES))
    if unknown:
        raise ConfigError(f"data.mask_ratios: unknown strategies {unknown}; known: {list(STRATEGIES)}")
    if any(v < 0 for v in ratios.values()) or sum(v for k, v in ratios.items() if k != "identity") > 1 + 1e-9:
        raise ConfigError(f"data.mask_ratios must be non-negative and sum to at most 1, got {ratios}")
    rest = 1.0 - sum(v for k, v in ratios.items() if k != "identity")
    return {**{k: v for k, v in ratios.items() if k != "identity"}, "identity": max(rest, 0.0)}


def _one(strategy: str, t: int, g: torch.Generator) -> torch.Tensor:
    m = torch.ones(t, dtype=torch.bool)
    if strategy == "identity" or t < 2:
        return m

    def rint(lo: int, hi: int) -> int:  # inclusive
        return int(torch.randint(lo, hi + 1, (1,), generator=g))

    if strategy.startswith("image"):
        n = 1
    elif strategy.startswith("quarter"):
        n = rint(1, max(1, t // 4))
    if strategy in ("image_head", "quarter_head"):
        m[:n] = False
    elif strategy in ("image_tail", "quarter_tail"):
        m[-n:] = False
    elif strategy in ("image_head_tail", "quarter_head_tail"):
        m[:n] = False
        m[-n:] = False
    elif strategy in ("image_random", "quarter_random"):
        start = rint(0, t - n)
        m[start : start + n] = False
    elif strategy == "intepolate":
        m[rint(0, 1) :: 2] = False
    elif strategy == "random":
        r = 0.1 + 0.8 * float(torch.rand(1, generator=g))
        m = torch.rand(t, generator=g) >= r  # each frame generated with probability 1 - U(0.1, 0.9)
        if not m.any():  # at least one generated frame
            m[rint(0, t - 1)] = True
    return m


def sample_masks(ratios: dict, b: int, t: int, generator: torch.Generator) -> torch.Tensor:
    """``bool [B, T]``, False = conditioning frame; one strategy drawn per sample."""
    ratios = check_ratios(ratios)
    names = list(ratios)
    probs = torch.tensor([ratios[k] for k in names], dtype=torch.float64)
    picks = torch.multinomial(probs, b, replacement=True, generator=generator)
    return torch.stack([_one(names[int(i)], t, generator) for i in picks])
