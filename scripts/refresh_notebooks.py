"""Re-execute the committed notebooks with their default (smoke) parameters, in place.

Their stored outputs are what ``pytest --nbval`` compares against, so refresh them after any
change to a stage. Volatile metadata (execution timestamps) is not stored.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def refresh(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name="python3", record_timing=False, timeout=600,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


if __name__ == "__main__":
    for nb_path in sorted(NOTEBOOKS.glob("[0-9]*.ipynb")):
        print(f"executing {nb_path.name}", file=sys.stderr)
        refresh(nb_path)
