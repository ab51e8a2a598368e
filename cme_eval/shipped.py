"""Where the files that ship with the package live: scenarios, overlays and stage notebooks.

In the repository they are kept where people look for them (``synthetic/scenarios/``,
``notebooks/``); a wheel carries them inside the package (``cme_eval/scenarios``,
``cme_eval/notebooks``, mapped in ``pyproject.toml``). So the package looks inside itself first
and falls back to the source tree it sits in, which is what an editable install needs. Nothing
here depends on the caller's working directory.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The source checkout this package sits in, when it sits in one (an editable install).
SOURCE_ROOT = PACKAGE_DIR.parent


def _shipped(inside: str, in_source: str) -> Path:
    packaged = PACKAGE_DIR / inside
    return packaged if packaged.is_dir() else SOURCE_ROOT / in_source


def scenario_dir() -> Path:
    """Named scenarios (``smoke``, ``pilot-2025``, ``wales-2025``)."""
    return _shipped("scenarios", "synthetic/scenarios")


def overlay_dir() -> Path:
    """Policy what-ifs merged on top of a scenario."""
    return scenario_dir() / "overlays"


def targets_dir() -> Path:
    """Published figures each scenario is fitted to (``synthetic/targets/``)."""
    return _shipped("targets", "synthetic/targets")


def notebook_dir() -> Path:
    """The stage notebooks papermill executes."""
    return _shipped("notebooks", "notebooks")


def source_checkout() -> Path | None:
    """The git checkout the package runs from, or None for an installed copy."""
    if (SOURCE_ROOT / "pyproject.toml").is_file() and (SOURCE_ROOT / ".git").exists():
        return SOURCE_ROOT
    return None
