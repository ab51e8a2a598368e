"""The SQL backend: a comparison's levels as SQL conditions, compiled from the same rules as
the numpy backend (``comparisons.py``), for Splink on DuckDB or on Spark (``dialect``)."""

from __future__ import annotations

import pandas as pd

from cme_eval.linkage.rules import derived_columns, derived_values, present_sql, sql
from cme_eval.linkage.spec import Comparison, LinkSpec


def missing_condition(comparison: Comparison, dialect: str = "duckdb") -> str:
    empty = " OR ".join(f"NOT ({present_sql(c, 'l')}) OR NOT ({present_sql(c, 'r')})"
                        for c in comparison.missing_if_empty)
    decisive = [_level_condition(lv, dialect) for lv in comparison.levels
                if lv.decides_when_missing]
    return f"({empty})" + "".join(f" AND NOT {d}" for d in decisive)


def _level_condition(level, dialect: str = "duckdb") -> str:
    return "(" + " OR ".join(sql(rule, dialect) for rule in level.rules) + ")"


def level_conditions(comparison: Comparison, dialect: str = "duckdb") -> list[str]:
    """One SQL condition per level, best first; the last is 'ELSE'."""
    return [_level_condition(lv, dialect) for lv in comparison.levels[:-1]] + ["ELSE"]


def table_columns(spec: LinkSpec, passes) -> list[str]:
    """Every column a SQL engine's input tables need (compared and blocked on)."""
    cols = {c for comp in spec.comparisons for c in comp.columns()}
    return sorted(cols | {c for rule in passes for c in rule})


def derived(spec: LinkSpec) -> dict[str, str]:
    out: dict[str, str] = {}
    for comp in spec.comparisons:
        for lv in comp.levels:
            for rule in lv.rules:
                out.update(derived_columns(rule))
    return out


def input_table(frame: pd.DataFrame, spec: LinkSpec, passes) -> pd.DataFrame:
    """A frame's columns for the SQL engine, with derived columns (variant keys) added."""
    table = frame[table_columns(spec, passes)].copy()
    for name, source in derived(spec).items():
        table[name] = derived_values(frame, name, source)
    return table


def blocking_condition(rule: tuple[str, ...]) -> str:
    return " AND ".join(f"l.{c} = r.{c} AND {present_sql(c, 'l').replace(f'{c}_l', f'l.{c}')}"
                        for c in rule)
