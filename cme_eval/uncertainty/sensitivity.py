"""Which assumption moves the figures most: one setting at a time, low and high, same population.

Every variant runs on the scenario's own seed, so it differs from the base run only by the
setting varied (keyed randomness: a changed error rate re-draws that error only). Four families
of settings can be varied, each with declared low and high values:

- ``errors.<type>``: a factor on that error type's rates in every source (default 0.5 and 1.5);
- ``status_shares.<status>``: a factor on that status's share, nationally and in every LA that
  sets its own (default 0.5 and 1.5);
- ``follow_up.resolve_probability.<status>``: the probability itself (default the scenario's
  value -0.2 and +0.2, within 0-1);
- ``linkage.partial_min_weight``: the weight itself (default the scenario's value -4 and +4).

A follow-up probability changes nothing before evaluation, so those variants are re-evaluated
on the base run's linked population instead of being re-run.
"""

from __future__ import annotations

import difflib
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import pandas as pd

from cme_eval.config import ConfigError, Scenario, scenario_path
from cme_eval.fileio import write_csv
from cme_eval.inputs.schema import ALL_AUTHORITIES
from cme_eval.report.figures import save_png
from cme_eval.run.scenario import load as load_scenario
from cme_eval.uncertainty import replicates as reps
from cme_eval.uncertainty.figures import tornado

if TYPE_CHECKING:
    from cme_eval.uncertainty.replicates import Progress

HEADLINE = ("not_matched", "potential_cme_identified", "truly_missing_found", "hours_total")
"""The measures a tornado figure is drawn for."""
MEASURES = ("perfect_match", "partial_match", *HEADLINE[:2], "cme_known_after", *HEADLINE[2:],
            "precision", "recall")
"""The pooled measures ``sensitivity.csv`` holds for every parameter."""
COLUMNS = ["parameter", "low", "high", "measure", "value_low", "value_base", "value_high",
           "unit"]
FACTOR = (0.5, 1.5)
PROBABILITY_STEP = 0.2
WEIGHT_STEP = 4.0
FAMILIES = ("errors.<type>", "status_shares.<status>",
            "follow_up.resolve_probability.<status>", "linkage.partial_min_weight")


class _LoadOptions(TypedDict):
    """The run parameters every scenario of a sensitivity study is loaded with."""

    seed: int | None
    scale: float | None
    authorities: list[str] | None


class ParameterError(ConfigError):
    """A ``--parameters`` entry that cannot be run; the message names it and what is allowed."""


@dataclass(frozen=True)
class Parameter:
    """One setting to vary: its name, its low and high values, and what they mean (``unit``:
    'factor' on the scenario's values, or the setting's own 'value')."""

    name: str
    low: float
    high: float
    unit: str

    @property
    def after_linkage(self) -> bool:
        """Changes only what happens after linkage (so the base run's links can be reused)."""
        return self.name.startswith("follow_up.")

    def overrides(self, scenario: Scenario, value: float) -> dict:
        """The settings of the variant at ``value``, as ``load_scenario`` overrides."""
        family, _, key = self.name.partition(".")
        if family == "errors":
            return {"errors": {key: {src: rate * value
                                     for src, rate in scenario.errors[key].items()}}}
        if family == "status_shares":
            out: dict = {"status_shares": {key: scenario.status_shares.get(key, 0.0) * value}}
            las = {name: {"status_shares": {key: la.status_shares[key] * value}}
                   for name, la in scenario.authorities.items() if key in la.status_shares}
            if las:
                out["authorities"] = las
            return out
        if self.name.startswith("follow_up.resolve_probability."):
            return {"follow_up": {"resolve_probability": {self.name.rsplit(".", 1)[1]: value}}}
        return {"linkage": {"partial_min_weight": value}}


def available(scenario: Scenario) -> dict[str, Parameter]:
    """Every parameter this scenario can vary, with its default low and high: error types and
    statuses that occur in it (a factor on a zero changes nothing), every follow-up
    probability, and the partial-match threshold."""
    out: dict[str, Parameter] = {}
    for error, rates in scenario.errors.items():
        if any(r > 0 for r in rates.values()):
            out[f"errors.{error}"] = Parameter(f"errors.{error}", *FACTOR, "factor")
    statuses = dict(scenario.status_shares)
    for la in scenario.authorities.values():
        for status, share in la.status_shares.items():
            statuses[status] = max(statuses.get(status, 0.0), share)
    for status, share in statuses.items():
        if share > 0:
            out[f"status_shares.{status}"] = Parameter(f"status_shares.{status}", *FACTOR,
                                                       "factor")
    for status, p in scenario.follow_up.resolve_probability.items():
        name = f"follow_up.resolve_probability.{status}"
        out[name] = Parameter(name, round(max(0.0, p - PROBABILITY_STEP), 6),
                              round(min(1.0, p + PROBABILITY_STEP), 6), "value")
    w = scenario.linkage.partial_min_weight
    out["linkage.partial_min_weight"] = Parameter(
        "linkage.partial_min_weight", max(0.0, w - WEIGHT_STEP), w + WEIGHT_STEP, "value")
    return out


def parse_parameters(entries: list[str] | tuple[str, ...] | None, scenario: Scenario,
                     flag: str = "--parameters") -> list[Parameter]:
    """``NAME`` or ``NAME=LOW:HIGH`` entries (none: every available parameter), each checked
    by loading the scenario at its low and high: a one-line error names the entry and what is
    allowed."""
    known = available(scenario)
    if not entries:
        return list(known.values())
    chosen = []
    for entry in entries:
        name, _, bounds = entry.partition("=")
        name = name.strip()
        if name not in known:
            near = difflib.get_close_matches(name, list(known), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise ParameterError(
                f"{flag}: unknown parameter {name!r}{hint}; allowed: {', '.join(FAMILIES)} "
                f"for the scenario's own types and statuses, e.g. {next(iter(known))}")
        param = known[name]
        if bounds:
            try:
                low, high = (float(x) for x in bounds.split(":"))
            except ValueError:
                raise ParameterError(f"{flag}: {entry!r}: give LOW:HIGH as two numbers, e.g. "
                                     f"{name}={param.low:g}:{param.high:g}") from None
            if not low < high:
                raise ParameterError(f"{flag}: {entry!r}: LOW must be below HIGH")
            param = Parameter(name, low, high, param.unit)
        chosen.append(param)
    return chosen


def check_values(params: list[Parameter], scenario_name: str, base: Scenario, *,
                 flag: str = "--parameters", **options) -> None:
    """Refuse a low or high outside what the setting allows (a factor below 0, a rate or a
    probability above 1, shares that no longer leave room), naming the entry."""
    for p in params:
        for value in (p.low, p.high):
            where = f"{flag}: {p.name}={p.low:g}:{p.high:g}"
            if p.unit == "factor" and value < 0:
                raise ParameterError(f"{where}: a factor must be >= 0")
            try:
                load_scenario(scenario_name, overrides=p.overrides(base, value), **options)
            except ConfigError as exc:
                reason = str(exc).split(": ", 1)[-1]
                raise ParameterError(f"{where}: {value:g} is outside what the setting "
                                     f"allows ({reason})") from None


def sensitivity(scenario: str, out: Path, *, parameters: list[str] | None = None,
                authorities: tuple[str, ...] = (), seed: int | None = None,
                scale: float | None = None, workers: int = 1, replicates: int = 10,
                replicates_from: Path | None = None,
                progress: Progress | None = None) -> pd.DataFrame:
    """Vary each parameter to its low and high on the scenario's own population and write
    ``sensitivity.csv`` and a tornado figure per headline measure into ``out``.

    Chance is measured by replicates of the same scenario: read from ``replicates_from`` (a
    ``cme-eval replicate`` folder of the same scenario, seed, scale and LAs) or run here
    (``replicates`` of them, into ``out/replicates``; 0: none, no band on the figures)."""

    path = str(scenario_path(scenario))
    options = _LoadOptions(seed=seed, scale=scale, authorities=list(authorities) or None)
    base = load_scenario(path, **options)
    params = parse_parameters(parameters, base)
    check_values(params, path, base, **options)
    summary = None
    if replicates_from is not None:
        meta, summary = reps.read_replicates(replicates_from)
        reps.check_same_run(meta, base, "--replicates-from")
    elif replicates:
        summary = reps.replicate(path, replicates, out / "replicates", authorities=authorities,
                                 seed=seed, scale=scale, workers=workers,
                                 progress=progress).summary
    unchanged = reps.Variant(scenario=path, seed=base.seed, authorities=tuple(authorities),
                             scale=scale)
    work = out / ".work"
    work.mkdir(parents=True, exist_ok=True)
    try:
        base_rows, _ = reps.measure(unchanged, work, keep=True)
        variants = [replace(unchanged, overrides=p.overrides(base, value),
                            reuse=str(work / "base") if p.after_linkage else None)
                    for p in params for value in (p.low, p.high)]
        results = reps.run_variants(variants, work, workers=workers, progress=progress)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = sensitivity_table(params, base_rows, [rows for rows, _ in results])
    if summary is not None:
        table["exceeds_chance"] = exceeds_chance(table, summary)
    write_csv(table, out / "sensitivity.csv", float_format="%.6f")
    write_tornados(table, summary, out)
    return table


def sensitivity_table(params: list[Parameter], base_rows: pd.DataFrame,
                      variant_rows: list[pd.DataFrame]) -> pd.DataFrame:
    """``sensitivity.csv`` from the pooled rows of the base run and of each parameter's low
    and high variants (in the order of ``params``, low before high)."""
    def pooled(rows: pd.DataFrame) -> pd.Series:
        return rows.set_index("authority").loc[ALL_AUTHORITIES]

    base = pooled(base_rows)
    out = []
    for i, p in enumerate(params):
        low, high = pooled(variant_rows[2 * i]), pooled(variant_rows[2 * i + 1])
        for m in MEASURES:
            out.append({"parameter": p.name, "low": p.low, "high": p.high, "measure": m,
                        "value_low": low[m], "value_base": base[m], "value_high": high[m],
                        "unit": p.unit})
    return pd.DataFrame(out, columns=COLUMNS)


def chance_interval(summary: pd.DataFrame, measure: str) -> tuple[float, float] | None:
    """The replicates' 95% range of a pooled measure as offsets from their mean (so it can be
    drawn around any base value), or None when the summary lacks it."""
    row = summary[(summary["measure"] == measure) & (summary["authority"] == ALL_AUTHORITIES)]
    if row.empty:
        return None
    r = row.iloc[0]
    return float(r["p2_5"] - r["mean"]), float(r["p97_5"] - r["mean"])


def exceeds_chance(table: pd.DataFrame, summary: pd.DataFrame) -> pd.Series:
    """Per row of ``sensitivity.csv``: whether the low or the high value lies outside the
    replicates' 95% range drawn around the base value (an effect the seed alone would
    rarely make). Empty where the summary lacks the measure."""
    out = []
    for row in table.itertuples(index=False):
        band = chance_interval(summary, row.measure)
        if band is None:
            out.append(pd.NA)
            continue
        lo, hi = row.value_base + band[0], row.value_base + band[1]
        out.append(bool(min(row.value_low, row.value_high) < lo
                        or max(row.value_low, row.value_high) > hi))
    return pd.Series(out, index=table.index, dtype="boolean")


def write_tornados(table: pd.DataFrame, summary: pd.DataFrame | None, out: Path
                   ) -> dict[str, Path]:
    """One tornado figure per headline measure in ``out/figures/``."""

    paths = {}
    for m in HEADLINE:
        band = chance_interval(summary, m) if summary is not None else None
        paths[m] = save_png(tornado(table, m, band), out / "figures" / f"tornado_{m}.png")
    return paths
