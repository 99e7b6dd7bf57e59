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

from opensora.models import MODELS


def list_keys(name: str) -> list[str]:
    """``"<key> <d0,d1,...>"`` per state-dict entry of registered model ``name``, built on the meta device."""
    with torch.device("meta"):
        model = MODELS.build(dict(type=name))
    return [f"{k} {','.join(str(d) for d in v.shape)}" for k, v in model.state_dict().items()]


def main(argv=None) -> int:
    """Parse the command line and print."""
    p = argparse.ArgumentParser(
        prog="python -m opensora.models", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--list-keys", metavar="TYPE", help="registered model name")
    g.add_argument("--list-types", action="store_true", help="print the registered model names")
    a = p.parse_args(argv)
    if a.list_types:
        print("\n".join(sorted(MODELS.module_dict)))
        return 0
    if a.list_keys not in MODELS.module_dict:
        print(f"error: unknown model {a.list_keys!r}; known: {sorted(MODELS.module_dict)}", file=sys.stderr)
        return 2
    print("\n".join(list_keys(a.list_keys)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
