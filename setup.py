"""Installs the three PISA packages (sim_data, evaluation, opensora) with one extra per job's requirements file."""

from pathlib import Path

from setuptools import find_packages, setup


def _requirements(name: str) -> list[str]:
    lines = (Path(__file__).parent / "requirements" / f"{name}.txt").read_text().splitlines()
    out = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            out += _requirements(line[3:].removesuffix(".txt"))
        elif line:
            out.append(line)
    return sorted(set(out))


setup(
    name="pisa",
    version="0.1.0",
    description="PISA: Physics-Informed Simulation and Alignment for video diffusion models",
    python_requires=">=3.11,<3.12",
    packages=find_packages(include=["sim_data*", "evaluation*", "opensora*"]),
    install_requires=_requirements("core"),
    extras_require={name: _requirements(name) for name in ("eval", "sim", "train", "dev")},
)
