"""``inputs.yaml``: how an LA's own folder differs from the standard layout, if it does.

An LA's files rarely carry the standard names. Rather than renaming (and so copying) personal
data, the LA writes a small ``inputs.yaml`` beside them:

    files:                          # standard name: the LA's file (relative to the folder)
      nhs_extract.csv: NWSSP extract April 2025.xlsx
      plasc.csv: PLASC January 2025.csv
      independent_returns: Independent school returns
    headers:                        # standard field: further header spellings
      forename: [Enw cyntaf]
      dob: [Geni]

Both sections are optional; without the file, the standard names are used and common header
spellings are recognised. A key the toolkit does not know is refused with the file and key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cme_eval.exceptions import CmeEvalError
from cme_eval.inputs.schema import FILE_NAMES, RETURNS_DIR

LAYOUT_FILE = "inputs.yaml"
FIELDS = ("record_id", "forename", "surname", "full_name", "dob", "address", "address_line",
          "town", "postcode", "nhs_number", "uprn", "upn")


class LayoutError(CmeEvalError, ValueError):
    """inputs.yaml cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class InputsLayout:
    files: dict[str, str] = field(default_factory=dict)  # standard name -> the LA's name
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> spellings

    def path(self, folder: Path, standard: str) -> Path:
        return folder / self.files.get(standard, standard)


def leads_out(folder: Path, path: Path) -> bool:
    """Whether ``path`` (a file or folder the run would read), symlinks followed, lies outside
    ``folder`` (resolved too) or cannot be resolved: such a path is never read, whatever its
    name (issue 22, point 5: a link out of the LA's folder could read anything)."""
    try:
        return not Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return True


def _check_inside(folder: Path, key: str, name: str) -> None:
    """``name`` (stripped), resolved against ``folder`` with symlinks followed, must lie inside
    the folder (resolved too); otherwise refused with the key and why, never the value."""
    try:
        base = folder.resolve()
        target = (base / name).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        why = "this one is a symlink that cannot be followed"
    else:
        if target != base and target.is_relative_to(base):
            return
        written = Path(os.path.normpath(base / name))
        if target == base:
            why = "this one is the folder itself"
        elif Path(name).is_absolute() and not written.is_relative_to(base):
            why = "this one is an absolute path outside it"
        elif not written.is_relative_to(base):
            why = "this one leads out of it with .."
        else:
            why = "this one is a symlink pointing out of it"
    raise LayoutError(f"{LAYOUT_FILE}: files: {key}: give a file name inside the folder; {why}")


def read_layout(folder: Path) -> InputsLayout:
    """The folder's ``inputs.yaml``, checked; the standard layout when there is none."""
    path = Path(folder) / LAYOUT_FILE
    if not path.is_file():
        return InputsLayout()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}" if where is not None else ""
        raise LayoutError(f"{LAYOUT_FILE}{line}: not readable YAML") from None
    if not isinstance(data, dict):
        raise LayoutError(f"{LAYOUT_FILE}: expected the sections files: and headers:")
    unknown = sorted(set(data) - {"files", "headers"})
    if unknown:
        raise LayoutError(f"{LAYOUT_FILE}: unknown section {unknown[0]!r}; allowed: files, "
                          "headers")
    files = data.get("files") or {}
    headers = data.get("headers") or {}
    if not isinstance(files, dict) or not isinstance(headers, dict):
        raise LayoutError(f"{LAYOUT_FILE}: files: and headers: each map names to values")
    standard = [*FILE_NAMES.values(), RETURNS_DIR]
    for key, value in files.items():
        if key not in standard:
            raise LayoutError(f"{LAYOUT_FILE}: files: unknown file {key!r}; allowed: "
                              + ", ".join(standard))
        if not isinstance(value, str) or not value.strip():
            raise LayoutError(f"{LAYOUT_FILE}: files: {key}: give a file name inside the folder")
        _check_inside(Path(folder), key, value.strip())
    spellings: dict[str, tuple[str, ...]] = {}
    for key, value in headers.items():
        if key not in FIELDS:
            raise LayoutError(f"{LAYOUT_FILE}: headers: unknown field {key!r}; allowed: "
                              + ", ".join(FIELDS))
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip()
                                                   for v in values):
            raise LayoutError(f"{LAYOUT_FILE}: headers: {key}: give a header or a list of them")
        spellings[key] = tuple(values)
    return InputsLayout({k: v.strip() for k, v in files.items()}, spellings)
