"""Loading and saving model weights in the formats the Open-Sora / PISA releases use.

- HF-style folders: ``config.json`` + ``model.safetensors`` (``hpcai-tech/OpenSora-STDiT-v3``,
  ``hpcai-tech/OpenSora-VAE-v1.2``, and our own saves);
- PISA / ColossalAI checkpoint folders: ``model/`` with ``pytorch_model.bin.index.json`` and
  ``pytorch_model-0000k.bin`` shards (bf16 working weights) and ``ema.pt`` (fp32 EMA);
- our training checkpoints (``opensora.train``): ``torch.distributed.checkpoint`` shards +
  ``trainer_state.json``, read as full tensors with :func:`read_training_checkpoint`;
- single files: ``.safetensors``, ``.pt`` / ``.pth`` / ``.bin``.

Pickled files are read with ``torch.load(weights_only=True)``. Key matching is strict: the only
tolerated difference is ``rope.freqs`` being present or absent (Open-Sora loads with
``strict=False``); ``pos_embed*`` keys of
old checkpoints are dropped and a ``y_embedder.y_embedding`` of another length is cut or padded
by repeating its last row (Open-Sora's ``reparameter``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from torch import nn

from evaluation.core.errors import InputError
from evaluation.core.weightfiles import check_weight_file

TOLERATED_KEYS = ("rope.freqs",)
INDEX_FILE = "pytorch_model.bin.index.json"
TRAIN_STATE_FILE = "trainer_state.json"  # marks our own (DCP) training checkpoints
DOWNLOAD_HINT = "download the weights with models/download_opensora.sh (see models/README.md) or pass a local folder"


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """All tensors of a weights file or folder (see the module docstring for the layouts).

    Raises:
        InputError: the file or folder is missing, or a file is truncated or corrupt (named).
    """
    path = Path(path)
    if path.is_dir():
        for name in ("model.safetensors", "diffusion_pytorch_model.safetensors"):
            if (path / name).is_file():
                return read_state_dict(path / name)
        for index in (path / INDEX_FILE, path / "model" / INDEX_FILE):
            if index.is_file():
                check_weight_file(index)
                try:
                    shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
                except (KeyError, TypeError, AttributeError) as e:
                    raise InputError(index, f"not a weight index (no weight_map: {e})") from e
                out: dict[str, torch.Tensor] = {}
                for shard in shards:
                    out.update(read_state_dict(index.parent / shard))
                return out
        if (path / "ema.pt").is_file():
            return read_state_dict(path / "ema.pt")
        raise InputError(path, f"no model.safetensors, {INDEX_FILE} (also under model/) or ema.pt; {DOWNLOAD_HINT}")
    if not path.is_file():
        raise InputError(path, f"weights file does not exist; {DOWNLOAD_HINT}")
    check_weight_file(path)
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except (SafetensorError, OSError) as e:
            raise InputError(path, f"truncated or corrupt safetensors file ({e})") from e
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError) as e:  # torch reports a cut archive as RuntimeError
        raise InputError(path, f"truncated or corrupt weights file ({str(e).splitlines()[0]})") from e
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise InputError(path, f"expected a state dict, found {type(obj).__name__}")
    return obj


def _reparameter(sd: dict[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    sd = {k: v for k, v in sd.items() if not k.startswith("pos_embed")}
    key = "y_embedder.y_embedding"
    own = model.state_dict()
    if key in sd and key in own and sd[key].shape[0] != own[key].shape[0]:
        n = own[key].shape[0]
        y = sd[key][:n]
        if y.shape[0] < n:
            y = torch.cat([y, y[-1:].repeat(n - y.shape[0], 1)])
        sd[key] = y
    return sd


def load_weights(model: nn.Module, state_dict: dict[str, torch.Tensor], source: str = "state dict") -> None:
    """Copy ``state_dict`` into ``model``; any key or shape mismatch (beyond the tolerated ones) is an error."""
    state_dict = _reparameter(state_dict, model)
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict) - set(TOLERATED_KEYS))
    unexpected = sorted(set(state_dict) - set(own) - set(TOLERATED_KEYS))
    shapes = [
        f"{k}: {tuple(state_dict[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in state_dict and state_dict[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[:5]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[:5]})")
        if shapes:
            parts.append(f"{len(shapes)} with other shapes (e.g. {shapes[:3]})")
        raise InputError(source, "weights do not match the model: " + "; ".join(parts))
    model.load_state_dict({k: v for k, v in state_dict.items() if k in own}, strict=False)


def save_pretrained(model: nn.Module, folder: str | os.PathLike) -> Path:
    """``config.json`` + ``model.safetensors`` (written to temporary names, then renamed)."""
    return save_weights_folder(model.state_dict(), model.config.to_json(), folder)


def save_weights_folder(state_dict: dict[str, torch.Tensor], config: dict, folder: str | os.PathLike) -> Path:
    """Write a state dict and its ``config.json`` as an HF-style folder that the loaders read back."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".model.safetensors.tmp"
    tensors = {k: v.detach().contiguous().cpu() for k, v in state_dict.items()}
    save_file(tensors, str(tmp), metadata={"format": "pt"})
    tmp.replace(folder / "model.safetensors")
    cfg_tmp = folder / ".config.json.tmp"
    cfg_tmp.write_text(json.dumps(config, indent=2))
    cfg_tmp.replace(folder / "config.json")
    return folder


def resolve(name_or_path: str, allow_patterns=("config.json", "*.safetensors")) -> Path:
    """A local folder/file as is; otherwise a hub repo id fetched with ``huggingface_hub``."""
    p = Path(name_or_path)
    if p.exists():
        return p
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id=name_or_path, allow_patterns=list(allow_patterns)))
    except Exception as e:  # offline, unknown repo, auth: one clear message
        raise InputError(
            name_or_path, f"not a local path and not downloadable ({type(e).__name__}: {e}); {DOWNLOAD_HINT}"
        ) from e


def read_config(folder: Path, known: set[str], ignore: tuple[str, ...] = ()) -> dict:
    """``config.json`` fields the config dataclass knows (HF bookkeeping keys are ignored)."""
    f = folder / "config.json" if folder.is_dir() else folder.parent / "config.json"
    if not f.is_file() and folder.is_dir() and (folder / "model" / "config.json").is_file():
        f = folder / "model" / "config.json"
    if not f.is_file():
        return {}
    from evaluation.core.files import read_json_object

    data = read_json_object(f)
    ignored = {
        "architectures",
        "model_type",
        "torch_dtype",
        "dtype",  # transformers 5 writes it
        "transformers_version",
        "_name_or_path",
        "from_pretrained",
        *ignore,
    }
    unknown = set(data) - known - ignored
    if unknown:
        raise InputError(f, f"unknown config keys {sorted(unknown)}")
    return {k: (tuple(v) if isinstance(v, list) and k != "input_size" else v) for k, v in data.items() if k in known}


def read_training_checkpoint(path: str | os.PathLike, weights: str = "ema") -> dict[str, torch.Tensor]:
    """Full tensors of a PSFT/ORO checkpoint folder (no process group needed); ``weights`` = ema | model."""
    import tempfile

    from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

    path = Path(path)
    problem = checkpoint_problem(path)
    if problem:
        raise InputError(path, f"not a complete training checkpoint: {problem}")
    if weights not in ("ema", "model"):
        raise InputError(path, f"weights must be 'ema' or 'model', got {weights!r}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "full.pt"
        try:
            dcp_to_torch_save(str(path), str(out))
        except Exception as e:  # DCP raises assorted types (CheckpointException, RuntimeError) on cut shards
            raise InputError(path, f"truncated or corrupt checkpoint ({type(e).__name__})") from e
        state = torch.load(out, map_location="cpu", weights_only=True)
    model_sd = state["model"]
    if weights == "ema":
        return {k: state["ema"].get(k, v).to(v.dtype) for k, v in model_sd.items()}
    return model_sd


def checkpoint_problem(path: str | os.PathLike) -> str | None:
    """Why a training checkpoint folder is not complete (None when it is).

    Complete means: ``trainer_state.json`` parses, and the ``DONE`` record written last by
    ``opensora.train`` lists every file with its size and they all match (a cut shard is caught).
    """
    from evaluation.core.outdirs import completion_problem

    path = Path(path)
    state = path / TRAIN_STATE_FILE
    if not state.is_file():
        return f"no {TRAIN_STATE_FILE}"
    try:
        json.loads(state.read_text())
    except (ValueError, UnicodeDecodeError):
        return f"{TRAIN_STATE_FILE} is truncated or corrupt"
    return completion_problem(path)
