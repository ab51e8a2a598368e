"""Engines behind one small interface, found by name.

An engine is a module in this package that defines ``ENGINE``, an :class:`Engine`. Pair-scoring
engines (Fellegi-Sunter) implement ``score_pairs``: the candidate pairs of the blocking plan's
passes with every comparison's level; estimation and classification are shared
(``cme_eval.linkage.link_prepared``), so engines only differ in how they compute. An engine that
makes its own outcomes (the Excel baseline) sets ``scores_pairs = False`` and implements
``link``. Adding an engine is one new module: config, the CLI and the benchmarks read this
registry. Modules are imported when an engine is asked for, so a heavy optional dependency
(Splink) costs nothing until it is used.

An engine's name is its module's, except where the name is not a Python identifier
(``NAMES``: ``splink-spark`` lives in ``splink_spark.py``). An engine that needs an optional
extra (``extra = "spark"``) can be asked for without it; using it then fails with one line
naming the extra (``available``, ``require``), and the benchmarks leave it out unless asked.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import pandas as pd

from cme_eval.config import ConfigError, Scenario, default_setting
from cme_eval.exceptions import CmeEvalError
from cme_eval.linkage.blocking import BlockingPlan
from cme_eval.linkage.spec import LinkSpec


class Engine:
    """What every engine declares; see the module docstring."""

    name: str = ""
    label: str = ""  # its name for people: tables, figures, the report and the notebooks
    description: str = ""
    scores_pairs: bool = True
    extra: str | None = None  # the optional dependencies it needs: pip install "cme-eval[extra]"
    # What the pilot's LAs used: the report sets what it leaves unmatched beside the main engine.
    used_in_pilot: bool = False
    # The engine whose outcomes this one must reproduce (the same spec on another backend):
    # the benchmarks run both and say whether the outcomes are the same.
    mirrors: str | None = None
    # Main engines a benchmark runs by default: those needing no extra (see default_engines).

    def setup(self, scenario: Scenario) -> None:
        """Take the scenario's settings before a stage links with this engine (nothing starts
        here: a session, if any, is opened by the first link, or by ``open``)."""

    def open(self) -> None:
        """Start what the engine links with now rather than at its first link (a benchmark
        times this apart from the link). Most engines have nothing to start."""

    def close(self) -> None:
        """Release what ``open`` or a link started, while the stage's process still runs."""

    def available(self) -> bool:
        """Whether its optional dependencies are installed (always, without an extra)."""
        return True

    def require(self) -> None:
        """Raise a one-line ImportError naming the extra unless the engine can run."""

    def score_pairs(self, left: pd.DataFrame, right: pd.DataFrame, plan: BlockingPlan
                    ) -> pd.DataFrame:
        """Levels (int8, one column per comparison of ``plan.spec``) of every candidate pair of
        ``plan.passes``, indexed by (left position, right position), sorted."""
        raise NotImplementedError

    def link(self, left: pd.DataFrame, right: pd.DataFrame, plan: BlockingPlan, *,
             reference_date: dt.date) -> pd.DataFrame:
        """One outcome row per left record (engines that do not score pairs)."""
        raise NotImplementedError


# Engines whose name is not a Python identifier: module name -> engine name.
NAMES = {"splink_spark": "splink-spark"}


@lru_cache(maxsize=1)
def _modules() -> dict[str, str]:
    """Engine name -> module, from the modules of this package (file name = engine name, but
    for ``NAMES``)."""
    return {NAMES.get(m.name, m.name): f"{__name__}.{m.name}"
            for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}


def engine_names() -> tuple[str, ...]:
    """Every engine's name, the package default (``linkage.engine`` in defaults.yaml) first."""
    first = default_setting("linkage.engine")
    return tuple(sorted(sorted(_modules()), key=lambda n: n != first))


def default_engines() -> tuple[str, ...]:
    """The engines a benchmark runs unless told which: those that need no optional extra."""
    return tuple(n for n in engine_names() if get(n).extra is None)


def scoring_engines() -> tuple[str, ...]:
    """The engines that score pairs (Fellegi-Sunter): any of them can match centrally."""
    return tuple(n for n in engine_names() if get(n).scores_pairs)


def pilot_engine() -> str | None:
    """The engine that does what the pilot's LAs did, if one is installed as a module."""
    return next((n for n in engine_names() if get(n).used_in_pilot), None)


@contextmanager
def engines_for(scenario: Scenario, names: Iterable[str]) -> Iterator[list[Engine]]:
    """The engines ``names`` set up with the scenario's settings, closed on the way out (a
    Spark session, say, is stopped while the stage's process still runs)."""
    chosen = [get(n) for n in dict.fromkeys(names)]
    for engine in chosen:
        engine.setup(scenario)
    try:
        yield chosen
    finally:
        for engine in chosen:
            engine.close()


class UnknownEngine(CmeEvalError, ValueError):
    """An engine name that no module of this package declares."""


def get(name: str | None = None) -> Engine:
    """The engine called ``name`` (None: the package default, ``linkage.engine`` in
    defaults.yaml); a one-line error naming the allowed ones otherwise."""
    name = name or default_setting("linkage.engine")
    if name not in _modules():
        raise UnknownEngine(f"unknown engine {name!r}; allowed: {', '.join(engine_names())}")
    engine = importlib.import_module(_modules()[name]).ENGINE
    if engine.name != name:
        raise RuntimeError(f"engine module {name} declares the name {engine.name!r}")
    return engine


def empty_levels(spec: LinkSpec) -> pd.DataFrame:
    return pd.DataFrame({c.name: np.zeros(0, dtype=np.int8) for c in spec.comparisons},
                        index=pd.MultiIndex.from_arrays([np.zeros(0, np.int64),
                                                         np.zeros(0, np.int64)]))


def check_settings(scenario: Scenario) -> None:
    """The scenario's engines are known, and installed with their extra: ``linkage.engine`` and
    ``report.compare_engines`` any engine, ``cross_border.central_engine`` one that scores pairs
    (central matching classifies the pairs itself). Refused in one line before anything runs."""
    scoring = scoring_engines()
    asked = [("linkage.engine", scenario.linkage.engine, engine_names(), True),
             ("cross_border.central_engine", scenario.cross_border.central_engine, scoring, True)]
    asked += [(f"report.compare_engines[{i}]", name, engine_names(), False)
              for i, name in enumerate(scenario.report.compare_engines)]
    for where, name, allowed, needed in asked:
        if name not in allowed:
            raise ConfigError(f"{where}: unknown engine {name!r}; allowed: {', '.join(allowed)}")
        try:
            if needed:
                get(name).require()
        except ImportError as exc:
            raise ConfigError(f"{where}: {exc}") from None
