"""The object library: procedural shapes, pybullet_data meshes, optional Google Scanned Objects.

Asset ids: ``procedural/<shape>``, ``pybullet/<name>`` (duck, teddy, mug, lego, soccerball,
``random_urdfs/000`` … ``random_urdfs/999``), ``gso/<name>``. Every asset resolves to a
:class:`~sim_data.mesh.Mesh` normalised to unit size (largest extent 1) and centred on its
convex hull's centre of mass; the scene scales it to the object's size in metres.

Seen/unseen split (as PISA's test set: seen and unseen objects, arXiv 2503.09595, simulated data): a deterministic hash of the id puts 10 % of the assets
(and of the HDRI backgrounds) in ``unseen``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation.core.errors import ConfigError, InputError
from sim_data.mesh import PROCEDURAL, Mesh, hull_mass_properties, read_obj

# Meshes pybullet_data ships broken (all of its meshes were read and checked; this is the only one).
# They keep their place in the catalogue, so every seed draws the objects it always drew, and
# sim_data.scene.sample_scene draws again when it lands on one; naming one in sim.assets is an error.
UNUSABLE = {"pybullet/random_urdfs/168": "pybullet_data's random_urdfs/168/168.obj has NaN for every vertex"}
UNSEEN_PERCENT = 10  # paper: 10 % of GSO objects and HDRIs held out (get_test_split(fraction=0.1))
SPLITS = ("seen", "unseen", "all")
_PYBULLET_MESHES = {
    "duck": "duck.obj",
    "teddy": "teddy2_VHACD_CHs.obj",
    "mug": "objects/mug.obj",
    "lego": "lego/lego.obj",
    "soccerball": "soccerball.obj",
}


def split_of(key: str) -> str:
    """``"unseen"`` for a deterministic 10 % of ids (sha256), else ``"seen"``."""
    h = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
    return "unseen" if h % 100 < UNSEEN_PERCENT else "seen"


def in_split(key: str, split: str) -> bool:
    """Whether ``key`` belongs to ``split`` (``all`` holds everything)."""
    if split not in SPLITS:
        raise ConfigError(f"split must be one of {SPLITS}, got {split!r}")
    return split == "all" or split_of(key) == split


@dataclass(frozen=True)
class Asset:
    """Where an asset's mesh comes from (``mesh_path`` None = procedural)."""

    asset_id: str
    mesh_path: str | None


def _pybullet_data_dir() -> Path:
    try:
        import pybullet_data  # data files only; does not import pybullet
    except ImportError as e:
        raise ImportError("pybullet is needed for the pybullet_data assets: pip install -r requirements/sim.txt") from e
    return Path(pybullet_data.getDataPath())


def _gso_assets(gso_dir: str) -> list[Asset]:
    """Raw GSO layout (``<name>/meshes/model.obj``) or a manifest ``gso_manifest.json`` {id: obj path}."""
    root = Path(gso_dir)
    if not root.is_dir():
        raise InputError(root, "--gso-dir: folder does not exist")
    manifest = root / "gso_manifest.json"
    if manifest.is_file():
        entries = json.loads(manifest.read_text())
        return [Asset(f"gso/{k}", str((root / v).resolve())) for k, v in sorted(entries.items())]
    found = [Asset(f"gso/{p.parents[1].name}", str(p)) for p in sorted(root.glob("*/meshes/model.obj"))]
    if not found:
        raise InputError(root, "--gso-dir: no <name>/meshes/model.obj and no gso_manifest.json")
    return found


class AssetLibrary:
    """Asset ids by source and split, and their normalised meshes (cached)."""

    def __init__(self, sources: list[str], gso_dir: str | None = None):
        unknown = set(sources) - {"procedural", "pybullet", "gso"}
        if unknown:
            raise ConfigError(f"sim.asset_sources: unknown source(s) {sorted(unknown)}; use procedural, pybullet, gso")
        assets: list[Asset] = []
        if "procedural" in sources:
            assets += [Asset(f"procedural/{name}", None) for name in sorted(PROCEDURAL)]
        if "pybullet" in sources:
            root = _pybullet_data_dir()
            assets += [Asset(f"pybullet/{k}", str(root / v)) for k, v in sorted(_PYBULLET_MESHES.items())]
            assets += [
                Asset(f"pybullet/random_urdfs/{p.name}", str(p / f"{p.name}.obj"))
                for p in sorted((root / "random_urdfs").iterdir())
                if (p / f"{p.name}.obj").is_file()
            ]
        if "gso" in sources:
            if not gso_dir:
                raise ConfigError("sim.asset_sources: source 'gso' needs --gso-dir")
            assets += _gso_assets(gso_dir)
        self._assets = {a.asset_id: a for a in assets}

    def ids(self, split: str = "all") -> list[str]:
        """Sorted asset ids of a split."""
        return [k for k in sorted(self._assets) if in_split(k, split)]

    def get(self, asset_id: str) -> Asset:
        """The asset, or a KeyError that names close alternatives."""
        if asset_id not in self._assets:
            prefix = asset_id.split("/")[0]
            near = [k for k in self._assets if k.startswith(prefix)][:5]
            raise ConfigError(f"unknown asset id {asset_id!r}; e.g. {near or list(self._assets)[:5]}")
        return self._assets[asset_id]

    def mesh(self, asset_id: str) -> Mesh:
        """Unit-size, centre-of-mass-centred mesh of an asset."""
        return _normalised_mesh(self.get(asset_id))


@functools.lru_cache(maxsize=256)
def _normalised_mesh(asset: Asset) -> Mesh:
    if asset.mesh_path is None:
        raw = PROCEDURAL[asset.asset_id.split("/", 1)[1]]()
    else:
        try:
            raw = read_obj(asset.mesh_path)
        except InputError as e:
            raise InputError(e.path, f"asset {asset.asset_id}: {e.problem}") from e
        except (OSError, ValueError) as e:
            raise InputError(asset.mesh_path, f"asset {asset.asset_id}: cannot load mesh ({e})") from e
    scale = 1.0 / float(np.max(raw.extent))
    m = raw.scaled(scale)
    _, com = hull_mass_properties(m)
    return m.translated(-com)


def unit_volume(library: AssetLibrary, asset_id: str) -> float:
    """Convex-hull volume of the unit-size mesh (m³ per m³ of size); mass = density × volume × size³."""
    return hull_mass_properties(library.mesh(asset_id))[0]


def hdri_files(hdri_dir: str | None, split: str) -> list[str]:
    """HDRI files (``.hdr``, ``.exr``) of a split, sorted; empty without a folder."""
    if not hdri_dir:
        return []
    root = Path(hdri_dir)
    if not root.is_dir():
        raise InputError(root, "--hdri-dir: folder does not exist")
    files = sorted(p for p in root.iterdir() if p.suffix.lower() in (".hdr", ".exr"))
    return [str(p) for p in files if in_split(f"hdri/{p.stem}", split)]
