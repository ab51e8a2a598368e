"""How sure the figures are, in one call: replicates (chance) and one-at-a-time sensitivity
(assumptions).

``study`` runs both for the notebook ``05_uncertainty.ipynb``; the command line has them as
``cme-eval replicate`` and ``cme-eval sensitivity``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cme_eval.config import ConfigError
from cme_eval.inputs.schema import ALL_AUTHORITIES
from cme_eval.report.labels import column, parameter
from cme_eval.run.scenario import load as load_scenario
from cme_eval.uncertainty.intervals import HEADLINE, PARAMETERS_SUMMARY
from cme_eval.uncertainty.replicates import replicate
from cme_eval.uncertainty.sensitivity import HEADLINE as SWINGS
from cme_eval.uncertainty.sensitivity import sensitivity, write_tornados


@dataclass(frozen=True)
class Study:
    """What ``study`` wrote: the replicate summary, the sensitivity table, the tornado figures."""

    folder: Path
    summary: pd.DataFrame
    sensitivity: pd.DataFrame
    figures: dict[str, Path]
    with_parameters: pd.DataFrame | None = None  # replicates that also drew the fitted settings

    def headline(self) -> pd.DataFrame:
        """The pooled headline measures over the replicates: mean and 95% range (chance), and
        with ``parameter_draws`` the range when the fitted settings are drawn as well."""

        out = self._pooled(self.summary)
        if self.with_parameters is not None:
            drawn = self._pooled(self.with_parameters).set_index("measure")
            out["p2_5_parameters"] = out["measure"].map(drawn["p2_5"])
            out["p97_5_parameters"] = out["measure"].map(drawn["p97_5"])
        return out

    @staticmethod
    def _pooled(summary: pd.DataFrame) -> pd.DataFrame:
        rows = summary[(summary["authority"] == ALL_AUTHORITIES)
                       & summary["measure"].isin(HEADLINE)]
        rows = rows.set_index("measure").loc[[m for m in HEADLINE if m in set(rows["measure"])]]
        out = rows[["mean", "p2_5", "p97_5", "n"]].round(4).reset_index()
        out["measure"] = out["measure"].map(column)
        return out

    def biggest_effects(self, per_measure: int = 3) -> pd.DataFrame:
        """For each headline measure, the settings that move it most (low to high), and
        whether the move exceeds the replicates' range (chance)."""

        t = self.sensitivity[self.sensitivity["measure"].isin(SWINGS)].copy()
        t["swing"] = (t["value_high"] - t["value_low"]).abs()
        t = t.sort_values(["measure", "swing", "parameter"], ascending=[True, False, True])
        t = t.groupby("measure", sort=False).head(per_measure)
        t["setting"] = [parameter(*r) for r in
                        t[["parameter", "low", "high", "unit"]].itertuples(index=False)]
        t["measure"] = t["measure"].map(column)
        keep = ["measure", "setting", "value_low", "value_base", "value_high"]
        keep += ["exceeds_chance"] if "exceeds_chance" in t else []
        return t[keep].round(4).reset_index(drop=True)


def study(scenario: str, run_dir: str | Path = "", *, replicates: int = 3,
          parameters: str | list[str] = "", workers: int = 2,
          parameter_draws: bool = False) -> Study:
    """Replicates of ``scenario`` into ``run_dir/replicates``, then the sensitivity of the
    ``parameters`` (comma-separated; "": every default parameter) into ``run_dir/sensitivity``,
    with the replicates' range on its figures. ``run_dir`` "": a scratch folder outside the
    repository."""

    if replicates < 2:
        raise ConfigError(f"replicates: {replicates}; give at least 2 for a range")
    name = load_scenario(scenario).name
    folder = (Path(run_dir) if run_dir else
              Path(tempfile.gettempdir()) / "cme-eval" / f"uncertainty-{name}").resolve()
    entries = ([e.strip() for e in parameters.split(",") if e.strip()]
               if isinstance(parameters, str) else list(parameters))
    reps = replicate(scenario, replicates, folder / "replicates", workers=workers,
                     parameter_draws=parameter_draws)
    table = sensitivity(scenario, folder / "sensitivity", parameters=entries or None,
                        workers=workers, replicates_from=folder / "replicates")
    figures = write_tornados(table, reps.summary, folder / "sensitivity")
    drawn = folder / "replicates" / PARAMETERS_SUMMARY
    return Study(folder, reps.summary, table, figures,
                 pd.read_csv(drawn) if parameter_draws else None)
