"""Project structure contracts: dependency direction, thin bash entry points, README commands."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", ["evaluation", "sim_data"])
def test_no_torch_or_opensora_below_opensora(package):
    for path in (ROOT / package).rglob("*.py"):
        bad = _imports(path) & {"torch", "opensora", "torchvision", "transformers"}
        if package == "evaluation" and path.parent.name == "perception":
            bad -= {"torch", "torchvision", "transformers"}  # the perception adapters (lazy imports)
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_metrics_and_schema_need_only_numpy_scipy():
    allowed = {
        "numpy",
        "scipy",
        "PIL",
        "__future__",
        "math",
        "json",
        "os",
        "re",
        "zipfile",
        "collections",
        "pathlib",
        "typing",
        "dataclasses",
        "warnings",
        "functools",
        "contextlib",
        "evaluation",
        "av",  # lazy, optional: movie writing
        "cv2",  # lazy, optional: the faster exact distance transform (scipy otherwise)
        "threading",
        "io",
        "struct",
        "zlib",
        "deflate",  # optional (evaluation/npz.py falls back to np.load)
    }
    for name in ("metrics.py", "schema.py", "metrics_reference.py", "npz.py"):
        extra = _imports(ROOT / "evaluation" / name) - allowed
        assert not extra, f"evaluation/{name} imports {extra}"
    # numba only in the compiled kernel, which metrics.py imports lazily and can do without
    assert _imports(ROOT / "evaluation" / "metrics_kernel.py") - allowed == {"numba"}


def test_importing_metrics_does_not_load_heavy_modules():
    code = "import sys, evaluation.metrics, evaluation.schema; print(sorted(m for m in ('torch','mmengine','matplotlib','av','cv2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"


SCRIPTS = sorted([*(ROOT / "scripts").rglob("*.sh"), *(ROOT / "sim_data").glob("*.sh")])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_bash_entry_points_are_thin(script):
    text = script.read_text()
    lines = text.splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in text
    assert lines[1].startswith("#"), "header comment with usage"
    assert not re.search(r"^\s*(for|while)\b", text, re.M), "no loops in bash entry points"
    assert "/mnt/" not in text and "/data/" not in text


@pytest.mark.parametrize("script", [s for s in SCRIPTS if s.name != "setup_env.sh"], ids=lambda p: p.name)
def test_script_module_has_help(script):
    m = re.search(r"python -m ([\w.]+)", script.read_text())
    if m is None:
        return  # test.sh runs pytest
    out = subprocess.run([sys.executable, "-m", m.group(1), "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "usage:" in out.stdout


def test_readme_states_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    assert blocks and blocks[0].strip().splitlines() == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


# --- the trainer: one job per module, imports only downwards, no cycles --------------------------
# Each trainer module may import the modules of lower layers only (module-level imports).
TRAIN_LAYERS = [
    {"args", "lora", "objectives"},
    {"distributed"},
    {"parallel"},
    {"optim"},
    {"checkpoints", "runlog", "components", "validate"},
    {"config"},
    {"loop", "cli"},  # cli calls loop.fit through a function-level import
    {"psft", "oro", "grpo", "dpo", "export"},
]


def _module_imports(path: Path, prefix: str) -> set[str]:
    """Modules named ``prefix.X`` that ``path`` imports at module level (not inside functions)."""
    out = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith(prefix + "."):
                out.add(node.module[len(prefix) + 1 :].split(".")[0])
            elif node.module == prefix:
                out |= {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name[len(prefix) + 1 :].split(".")[0] for a in node.names if a.name.startswith(prefix + ".")}
    return out


def test_trainer_modules_import_only_lower_layers():
    layer = {name: i for i, names in enumerate(TRAIN_LAYERS) for name in names}
    files = {p.stem: p for p in (ROOT / "opensora" / "train").glob("*.py") if p.stem != "__init__"}
    assert set(files) == set(layer), f"place every trainer module in TRAIN_LAYERS: {sorted(set(files) ^ set(layer))}"
    for name, path in files.items():
        for dep in _module_imports(path, "opensora.train"):
            assert layer[dep] < layer[name], (
                f"opensora/train/{name}.py imports {dep} (layer {layer[dep]} >= {layer[name]})"
            )


def test_trainer_modules_state_their_job_in_one_line():
    for path in sorted((ROOT / "opensora" / "train").glob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text()))
        assert doc, f"{path.name} has no module docstring"
        first = doc.splitlines()[0]
        assert first.endswith(".") and len(first) <= 120, f"{path.name}: one-line summary, got {first!r}"


@pytest.mark.parametrize("package", ["evaluation", "sim_data", "opensora"])
def test_no_import_cycles(package):
    files = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in (ROOT / package).rglob("*.py")
    }
    graph = {}
    for mod, path in files.items():
        deps = set()
        for node in ast.parse(path.read_text()).body:  # module-level imports run at import time
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
                deps |= {n for n in names if n in files and n != mod}
        graph[mod] = deps
    state = {}

    def visit(m, stack):
        state[m] = "open"
        for d in graph[m]:
            if state.get(d) == "open":
                raise AssertionError("import cycle: " + " -> ".join([*stack, m, d]))
            if d not in state:
                visit(d, [*stack, m])
        state[m] = "done"

    for m in graph:
        if m not in state:
            visit(m, [])


# --- packages import only downwards, lazy imports inside functions included ---------------------
# opensora's subpackages by layer: a module may import its own subpackage and lower layers only.
OPENSORA_LAYERS = [
    {"registry", "models", "schedulers"},
    {"tiny", "backbones"},
    {"datasets", "rewards"},
    {"train"},
    {"inference"},
    {"physics_iq_generation"},
    {"score_model"},
]


def _all_imports(path: Path) -> set[str]:
    """Every module name ``path`` imports, at module level or inside functions (absolute imports)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_opensora_subpackages_import_only_downwards_even_lazily():
    layer = {name: i for i, names in enumerate(OPENSORA_LAYERS) for name in names}
    for path in (ROOT / "opensora").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if len(parts) < 2 or parts[1] == "__init__":
            continue
        mine = parts[1]
        assert mine in layer, f"place opensora/{mine} in OPENSORA_LAYERS"
        for name in _all_imports(path):
            if not name.startswith("opensora.") or name.split(".")[1] == mine:
                continue
            dep = name.split(".")[1]
            assert layer[dep] <= layer[mine], f"{path.relative_to(ROOT)} imports {name} (upward: {dep} above {mine})"


def test_the_ground_floor_imports_nothing_else_of_the_project():
    for path in (ROOT / "evaluation" / "core").rglob("*.py"):
        ours = {n for n in _all_imports(path) if n.split(".")[0] in ("evaluation", "opensora", "sim_data")}
        bad = {n for n in ours if not n.startswith("evaluation.core")} - {"evaluation.core"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}: evaluation/core is the ground floor"


@pytest.mark.parametrize("package", ["evaluation", "sim_data"])
def test_nothing_below_opensora_imports_it_even_lazily(package):
    for path in (ROOT / package).rglob("*.py"):
        bad = {n for n in _all_imports(path) if n.split(".")[0] == "opensora"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
