"""List a model's state-dict keys and shapes without allocating it.

Usage::

    python -m opensora.models --list-keys STDiT3-XL/2
    python -m opensora.models --list-keys OpenSoraVAE_V1_2
    python -m opensora.models --list-types
"""

from __future__ import annotations

import argparse
import sys

import torch

from opensora.models import MODEL_NAMES, build_model


def list_keys(name: str) -> list[str]:
    """``"<key> <d0,d1,...>"`` per state-dict entry of model preset ``name``, built on the meta device."""
    with torch.device("meta"):
        model = build_model(name)
    return [f"{k} {','.join(str(d) for d in v.shape)}" for k, v in model.state_dict().items()]


def main(argv=None) -> int:
    """Parse the command line and print."""
    p = argparse.ArgumentParser(
        prog="python -m opensora.models", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--list-keys", metavar="TYPE", help="model preset name")
    g.add_argument("--list-types", action="store_true", help="print the model preset names")
    a = p.parse_args(argv)
    if a.list_types:
        print("\n".join(sorted(MODEL_NAMES)))
        return 0
    if a.list_keys not in MODEL_NAMES:
        print(f"error: unknown model {a.list_keys!r}; known: {sorted(MODEL_NAMES)}", file=sys.stderr)
        return 2
    print("\n".join(list_keys(a.list_keys)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
