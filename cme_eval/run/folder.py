"""Run folders that cannot be confused with one another.

A run folder holds one run: one scenario's settings, seed, scale and set of LAs. Its identity is
written to ``run.json`` when the run claims the folder. Re-running the same run in it resumes
(stages already done are reused); a different run is refused unless asked to clear the folder
first (``--force``), so a two-LA test run can never overwrite half of the seven-LA report and
leave the other five LAs' stale files beside it. A folder with files but no ``run.json`` is not
ours and is never cleared.

Without ``--out`` a run gets a folder named after what makes it differ from the scenario as
written, e.g. ``reports/pilot-2025--cardiff+isle-of-anglesey--s0.1``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cme_eval import wales
from cme_eval.config import ConfigError, Scenario

IDENTITY_FILE = "run.json"
# Written last by a finished run; removed when a run starts, so a run folder that stops half
# way never looks complete.
COMPLETION_FILES = ("manifest.json", "report.html")


class RunFolderError(ConfigError):
    """The run folder cannot be used for this run; the message says why and what to do."""


def settings_digest(scenario: Scenario) -> str:
    """Every setting that shapes results, except which LAs run (compared on its own)."""
    settings = scenario.to_dict()
    for key in ("description", "name", "authorities"):
        settings.pop(key, None)
    blob = json.dumps(settings, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


def identity(scenario: Scenario) -> dict[str, Any]:
    return {"scenario": scenario.name, "seed": scenario.seed, "scale": scenario.scale,
            "authorities": list(scenario.authorities), "settings": settings_digest(scenario)}


def describe(ident: dict[str, Any]) -> str:
    las = ident.get("authorities", [])
    which = f"{len(las)} LAs" if len(las) > 2 else " and ".join(las)
    seed, scale = ident.get("seed"), ident.get("scale")
    return f"{ident.get('scenario')} ({which}, seed {seed}, scale {scale})"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.+]+", "-", text.lower()).strip("-") or "run"


def default_folder(scenario: Scenario, as_written: dict[str, Any], base: Path) -> Path:
    """``base/NAME`` for the scenario as written (``as_written``: its resolved settings, read,
    not loaded again); otherwise the name says what differs."""
    parts = [_slug(scenario.name)]
    if list(scenario.authorities) != list(as_written.get("authorities") or {}):
        parts.append("+".join(wales.get(a).slug for a in scenario.authorities))
    if scenario.seed != as_written.get("seed"):
        parts.append(f"seed{scenario.seed}")
    if scenario.scale != as_written.get("scale"):
        parts.append(f"s{scenario.scale:g}")
    return base / "--".join(parts)


def read_identity(folder: Path) -> dict[str, Any] | None:
    """The run a folder holds; a run made before run folders had an identity is known by its
    manifest (and never equals a new run's identity, so it is refused or cleared)."""
    for name in (IDENTITY_FILE, "manifest.json"):
        try:
            held = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if name == IDENTITY_FILE:
            return held
        return {"scenario": held.get("scenario"), "seed": held.get("seed"),
                "authorities": held.get("authorities", []), "made_by": "an older cme-eval"}
    return None


def _write_identity(folder: Path, ident: dict[str, Any]) -> None:
    (folder / IDENTITY_FILE).write_text(json.dumps(ident, indent=2) + "\n", encoding="utf-8")


def _spellings(path: Path) -> set[Path]:
    """``path`` as given (made absolute, ``..`` folded) and with every symlink followed."""
    path = path.expanduser()
    return {Path(os.path.abspath(path)), path.resolve()}


def _overlap(a: Path, b: Path) -> bool:
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)


def check_apart(folder: Path, inputs: Mapping[str, Path | None], *, flag: str = "--out") -> None:
    """Refuse a run folder that equals, holds or lies inside one of the run's inputs (label ->
    folder or file, e.g. ``{"INPUTS_DIR": ...}``), compared as given and with symlinks
    followed: a run folder is written and may be cleared, and inputs are never touched."""
    for label, given in inputs.items():
        if given is None:
            continue
        if any(_overlap(out, inp) for out in _spellings(folder) for inp in _spellings(given)):
            raise RunFolderError(
                f"{flag} {folder} and {label} {given}: one is, holds or lies inside the other "
                f"(symlinks followed), and the run folder is written and may be cleared; give "
                f"a {flag} outside {label} that does not hold it")


def claim(folder: Path, scenario: Scenario, *, force: bool = False, flag: str = "--out",
          inputs: Mapping[str, Path | None] | None = None) -> Path:
    """Make ``folder`` this run's folder, or refuse with a message naming ``flag``.

    Empty or new: taken. Same run: resumed. Another run: refused, or cleared with ``force``.
    Files that are not a run: refused whatever ``force`` says. A folder that is, holds or lies
    inside one of ``inputs`` (label -> path): refused (see ``check_apart``).
    """
    check_apart(folder, inputs or {}, flag=flag)
    folder = folder.expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise RunFolderError(f"{flag} {folder}: is a file, not a folder; give a folder name")
    ident = identity(scenario)
    if folder.is_dir() and any(folder.iterdir()):
        held = read_identity(folder)
        if held is None:
            raise RunFolderError(
                f"{flag} {folder}: the folder has files but no {IDENTITY_FILE}, so it is not a "
                "cme-eval run folder; give a new or empty folder (it is never cleared)")
        if held != ident:
            if not force:
                raise RunFolderError(
                    f"{flag} {folder}: holds another run, {describe(held)}; this run is "
                    f"{describe(ident)}. Give another {flag}, or add --force to clear it first")
            for child in folder.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"{flag} {folder}: cannot be created: {exc.strerror}") from None
    for name in COMPLETION_FILES:
        (folder / name).unlink(missing_ok=True)
    _write_identity(folder, ident)
    return folder


def check_same_settings(folder: Path, scenario: Scenario) -> None:
    """A stage opened on a run folder (a notebook, a library call) must belong to its run:
    same scenario settings, seed and scale. Which LAs may differ: a stage runs one LA at a
    time, and a notebook run on its own adds LAs to a scratch folder one by one. A folder with
    no identity yet is claimed for this run."""
    held = read_identity(folder)
    ident = identity(scenario)
    if held is None:
        if not any(folder.iterdir()):
            _write_identity(folder, ident)
        return
    if any(held.get(k) != ident[k] for k in ("scenario", "seed", "scale", "settings")):
        raise RunFolderError(
            f"run_dir {folder}: holds another run, {describe(held)}; this one is "
            f"{describe(ident)}. Use another run_dir")
