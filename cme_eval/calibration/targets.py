"""Published figures as data: what a scenario's world must reproduce, where each figure comes
from, what the publication allows, which runs it applies to, and how much it weighs in a fit.

A targets file (``synthetic/targets/NAME.yaml``) holds ``documents`` (short name -> citation)
and ``targets`` (key -> target); ``include`` names other targets files whose targets apply too.
One target::

    perfect_share:
      label: perfect match, share of records received
      measure: share_perfect            # cme_eval.calibration.measures.MEASURES
      source: {document: evaluation, where: section 5.2.3}
      published: 0.68
      allowed: {rounds_to: 0.01}        # "68%": the value rounds to it
      scope: published_subset           # the LAs it is of
      weight: 1

``allowed`` is one of ``rounds_to: STEP`` (a published rounded figure), ``range: [LOW, HIGH]``,
``relative: R`` (published x (1 +/- R)), ``absolute: A`` or ``interval: [LOW, HIGH]`` with an
optional ``widen: R`` ("just under 9,000"). ``why`` says why, when the publication alone does
not decide it (an exact count the model cannot be asked to hit to the child).

``scope`` decides which runs a target judges (issue 24: a one-LA run is not judged on five
LAs' pooled shares): ``published_subset`` (the scenario's ``report.published_subset``, all in
the run), ``pilot`` (all seven pilot LAs), ``pilot_las`` (the run's pilot LAs, at least one:
per-LA ranges) or ``wales`` (all 22). A ``count`` measure applies at full size only, unless
the caller scales it (``calibrate --check``).

Every problem in a file is one line naming the file and the key; values here are published
figures, never records.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any

from cme_eval import shipped, wales
from cme_eval.calibration.measures import MEASURES
from cme_eval.config import ConfigError
from cme_eval.config.convert import load_yaml_text

SCOPES = {
    "published_subset": "the five LAs the published tables rest on (report.published_subset)",
    "pilot": "all seven pilot LAs",
    "pilot_las": "each pilot LA of the run",
    "wales": "all 22 Welsh LAs",
}
ALLOWED_KINDS = ("rounds_to", "range", "relative", "absolute", "interval")
TARGET_KEYS = {"label", "measure", "source", "published", "allowed", "scope", "weight", "why"}


class TargetError(ConfigError):
    """A targets file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    measure: str
    source: str          # document, and where in it, in words
    published: float
    low: float           # the allowed interval
    high: float
    allowed: str         # the interval in words
    scope: str
    weight: float
    why: str = ""

    @property
    def kind(self) -> str:
        return MEASURES[self.measure].kind

    def within(self, value: float) -> bool:
        return self.low - 1e-12 <= value <= self.high + 1e-12

    def widened(self, value: float, n: float, scale: float, z: float = 2.0
                ) -> tuple[float, float]:
        """The interval a run at ``scale`` is held to. At full size the published one; below
        it, widened by ``z`` standard errors of the run's own sampling, so a small run is not
        failed by chance: a share of ``n`` records (binomial), or a count of ``n`` at the
        run's size (Poisson) carried to full size."""
        if scale >= 1 or not math.isfinite(value):
            return self.low, self.high
        if self.kind == "count":
            se = math.sqrt(max(n, 1.0)) / scale
        else:
            se = math.sqrt(max(value * (1 - value), 1e-12) / n) if n > 0 else 0.0
        return self.low - z * se, self.high + z * se


def family_z(k: int, false_alarm: float = 0.05) -> float:
    """Standard errors to widen each of ``k`` intervals by, so that a run of a world that
    meets every target fails any of them by chance at most ``false_alarm`` of the time
    (Bonferroni, two-sided): 3.06 for 22 targets. Two standard errors each would fail about
    two checks in three of a world that is right (were the targets independent), which
    teaches people to ignore the check."""
    return NormalDist().inv_cdf(1 - false_alarm / (2 * max(k, 1)))


@dataclass(frozen=True)
class Targets:
    name: str
    files: tuple[str, ...]
    targets: tuple[Target, ...]
    digest: str = ""  # of every file read, so a fit names the targets it was fitted to

    def __iter__(self):
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)


def targets_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """A targets file by name (``pilot-2025``) or path (relative to ``relative_to``)."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")):
        path = Path(text)
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        return path.resolve()
    return shipped.targets_dir() / f"{text}.yaml"


def _fail(where: str, key: str, message: str) -> TargetError:
    return TargetError(f"{where}: {key}: {message}")


def _number(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, key, f"expected a number, got {type(value).__name__}")
    return float(value)


def _pair(value: Any, where: str, key: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise _fail(where, key, "expected [LOW, HIGH]")
    low, high = (_number(v, where, key) for v in value)
    if low > high:
        raise _fail(where, key, f"LOW {low:g} is above HIGH {high:g}")
    return low, high


def _interval(published: float, allowed: Any, where: str, key: str
              ) -> tuple[float, float, str]:
    if not isinstance(allowed, dict) or not allowed:
        raise _fail(where, key, "expected one of " + ", ".join(ALLOWED_KINDS))
    kinds = [k for k in allowed if k in ALLOWED_KINDS]
    unknown = [k for k in allowed if k not in (*ALLOWED_KINDS, "widen")]
    if unknown or len(kinds) != 1:
        bad = unknown[0] if unknown else "+".join(kinds) or "(none)"
        raise _fail(where, key, f"{bad!r} is not one allowed kind; give exactly one of "
                    + ", ".join(ALLOWED_KINDS))
    kind = kinds[0]
    raw = allowed[kind]
    if kind == "rounds_to":
        step = _number(raw, where, f"{key}.rounds_to")
        if step <= 0:
            raise _fail(where, f"{key}.rounds_to", "the step must be above 0")
        pct = step * 100
        words = (f"rounds to {published:.0%}" if math.isclose(pct, 1)
                 else f"rounds to {published:g} (step {step:g})")
        return published - step / 2, published + step / 2, words
    if kind == "range":
        low, high = _pair(raw, where, f"{key}.range")
        return low, high, f"within {low:g}-{high:g}"
    if kind in ("relative", "absolute"):
        r = _number(raw, where, f"{key}.{kind}")
        if r < 0:
            raise _fail(where, f"{key}.{kind}", "must be 0 or more")
        if kind == "relative":
            return published * (1 - r), published * (1 + r), f"+/- {r:.0%} of published"
        return published - r, published + r, f"+/- {r:g}"
    low, high = _pair(raw, where, f"{key}.interval")
    widen = _number(allowed.get("widen", 0.0), where, f"{key}.widen")
    shown = (f"{low:,.0f}-{high:,.0f}" if max(abs(low), abs(high)) >= 100
             else f"{low:g}-{high:g}")
    return (low * (1 - widen), high * (1 + widen),
            f"within {shown}" + (f", +/- {widen:.0%}" if widen else ""))


def _source(raw: Any, documents: dict[str, str], where: str, key: str) -> str:
    if not isinstance(raw, dict) or "document" not in raw:
        raise _fail(where, key, "every target needs a source: {document: NAME, where: ...}")
    doc = raw["document"]
    if doc not in documents:
        raise _fail(where, f"{key}.document", f"unknown document {doc!r}; declared: "
                    + (", ".join(documents) or "(none)"))
    place = str(raw.get("where", "")).strip()
    return f"{documents[doc]}{', ' + place if place else ''}"


def _target(key: str, raw: Any, documents: dict[str, str], where: str) -> Target:
    at = f"targets.{key}"
    if not isinstance(raw, dict):
        raise _fail(where, at, "expected a mapping")
    unknown = sorted(set(raw) - TARGET_KEYS)
    if unknown:
        raise _fail(where, f"{at}.{unknown[0]}", "unknown key; allowed: "
                    + ", ".join(sorted(TARGET_KEYS)))
    measure = raw.get("measure")
    if measure not in MEASURES:
        raise _fail(where, f"{at}.measure", f"unknown measure {measure!r}; allowed: "
                    + ", ".join(MEASURES))
    if "source" not in raw:
        raise _fail(where, f"{at}.source", "every target needs a source: "
                    "{document: NAME, where: ...}")
    source = _source(raw["source"], documents, where, f"{at}.source")
    if "published" not in raw:
        raise _fail(where, f"{at}.published", "missing: the published value")
    published = _number(raw["published"], where, f"{at}.published")
    low, high, words = _interval(published, raw.get("allowed"), where, f"{at}.allowed")
    scope = raw.get("scope")
    if scope not in SCOPES:
        raise _fail(where, f"{at}.scope", f"unknown scope {scope!r}; allowed: "
                    + ", ".join(SCOPES))
    weight = _number(raw.get("weight", 1.0), where, f"{at}.weight")
    if weight < 0:
        raise _fail(where, f"{at}.weight", "must be 0 or more")
    return Target(key, str(raw.get("label") or MEASURES[measure].describe), measure, source,
                  published, low, high, words, scope, weight, " ".join(str(
                      raw.get("why", "")).split()))


def _display(path: Path) -> str:
    try:
        return path.relative_to(shipped.SOURCE_ROOT).as_posix()
    except ValueError:
        return str(path)


def _read(path: Path, seen: tuple[Path, ...], hasher=None
          ) -> tuple[list[Target], list[str]]:
    where = _display(path)
    if path in seen:
        raise TargetError(f"{where}: include: the targets files form a loop")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetError(f"{where}: cannot be read: {exc.strerror}") from None
    if hasher is not None:
        hasher.update(text.encode("utf-8"))
    data = load_yaml_text(text, where) or {}
    if not isinstance(data, dict):
        raise TargetError(f"{where}: expected a mapping with documents and targets")
    unknown = sorted(set(data) - {"description", "documents", "targets", "include"})
    if unknown:
        raise TargetError(f"{where}: {unknown[0]}: unknown key; allowed: description, "
                          "documents, targets, include")
    found: list[Target] = []
    files = [where]
    for name in data.get("include") or []:
        inner, inner_files = _read(targets_path(name, path.parent), (*seen, path), hasher)
        found += inner
        files += inner_files
    documents = data.get("documents") or {}
    if not isinstance(documents, dict):
        raise TargetError(f"{where}: documents: expected NAME: citation")
    documents = {str(k): " ".join(str(v).split()) for k, v in documents.items()}
    raw_targets = data.get("targets") or {}
    if not isinstance(raw_targets, dict):
        raise TargetError(f"{where}: targets: expected KEY: target")
    taken = {t.key for t in found}
    for key, raw in raw_targets.items():
        if str(key) in taken:
            raise _fail(where, f"targets.{key}", "a target of this key is already included")
        found.append(_target(str(key), raw, documents, where))
    return found, files


def load_targets(name_or_path: str | Path) -> Targets:
    path = targets_path(name_or_path)
    if not path.is_file():
        raise TargetError(f"{_display(path)}: no such targets file")
    hasher = hashlib.sha256()
    found, files = _read(path, (), hasher)
    return Targets(path.stem, tuple(files), tuple(found), hasher.hexdigest()[:16])


def scope_las(scope: str, run_las: tuple[str, ...], subset: tuple[str, ...]
              ) -> tuple[tuple[str, ...], str]:
    """The LAs a target of ``scope`` is computed on in a run of ``run_las``, or () with why
    it does not apply."""
    have = set(run_las)
    if scope == "published_subset":
        if not subset:
            return (), "the scenario declares no published subset (report.published_subset)"
        missing = [a for a in subset if a not in have]
        if missing:
            return (), f"of the five LAs the published tables rest on; this run lacks " \
                       f"{', '.join(missing)}"
        return tuple(subset), ""
    if scope == "pilot":
        missing = [a for a in wales.PILOT_AUTHORITIES if a not in have]
        if missing:
            return (), (f"a figure of all seven pilot LAs; this run has "
                        f"{len(have & set(wales.PILOT_AUTHORITIES))}")
        return tuple(wales.PILOT_AUTHORITIES), ""
    if scope == "pilot_las":
        las = tuple(a for a in run_las if a in wales.PILOT_AUTHORITIES)
        return (las, "") if las else ((), "the published figures are of the pilot LAs; this "
                                         "run has none")
    missing = [a for a in wales.AUTHORITY_NAMES if a not in have]
    if missing:
        return (), f"a figure of all 22 Welsh LAs; this run lacks {len(missing)}"
    return tuple(wales.AUTHORITY_NAMES), ""
