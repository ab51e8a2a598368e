"""A fast stand-in for a whole run: the expected tables under other settings, from one run's
records and their truth.

Every record a run received (and every CME register entry) is kept with what it depends on: its
LA, its child's true status, whether it carries each fitted error, and the outcome the linker
gave it. Under settings ``theta`` each record counts with the weight

    w = N_la(theta) / N_la(run)  x  share_status(theta) / share_status(run)
        x  prod over fitted errors: rate(theta) / rate(run) if it has the error,
                                    (1 - rate(theta)) / (1 - rate(run)) if not,

which is importance reweighting: a child's status and a record's errors are drawn
independently, so the expected count of any outcome under ``theta`` is the weighted count of
the run's records. The follow-up is linear in its probabilities: CME known after = the
register + the weighted potential CME times (1 - resolve probability of their status). Tables
built from the weights go through the same measures as a report, so the emulator and a real
run are judged by one definition.

What it cannot see: a setting that changes how the linker treats a record (thresholds, the
spec), or an outcome that depends on which other records exist (a twin present or not). The
fit is therefore checked by a real run at the fitted values (``fit.calibrate``), and the
emulator is measured at the middle of every free range so no status it weighs is absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cme_eval.calibration.measures import Figures
from cme_eval.config import Scenario
from cme_eval.fileio import read_csv
from cme_eval.inputs.schema import (
    NOT_MATCHED,
    NWSSP,
    OUT_OF_SCOPE,
    PARTIAL,
    PERFECT,
    SOURCE_LABELS,
    TOTAL,
)
from cme_eval.run.stages import Run

OUTCOME_COLUMNS = {PERFECT: "perfect_match", PARTIAL: "partial_match",
                   NOT_MATCHED: "not_matched", OUT_OF_SCOPE: "out_of_scope"}
_STATUS_KEY = re.compile(r"(?:authorities\.(?P<la>[^.]+)\.)?status_shares\.(?P<status>\w+)")
_ERROR_KEY = re.compile(r"errors\.(?P<error>\w+)\.(?P<source>\w+)")
_SIZE_KEY = re.compile(r"authorities\.(?P<la>[^.]+)\.nhs_records")
_RESOLVE_KEY = re.compile(r"follow_up\.resolve_probability\.(?P<status>\w+)")
EMULATED = (_STATUS_KEY, _ERROR_KEY, _SIZE_KEY, _RESOLVE_KEY)


def emulated(key: str) -> bool:
    """Whether the emulator can weigh a change of setting ``key``."""
    return any(p.fullmatch(key) for p in EMULATED)


@dataclass(frozen=True)
class Records:
    """One run's records as the emulator weighs them (no names, addresses or dates)."""

    frame: pd.DataFrame   # authority, source, outcome, status, resident, errors, kind
    scenario: Scenario    # the run's settings
    scale: float


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    return pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False,
                       encoding="utf-8")


def measure_run(run_dir: Path, scenario: Scenario) -> Records:
    """The records of a finished synthetic run (generate, link, evaluate done) in ``run_dir``."""
    run = Run(scenario, run_dir)
    frames = []
    for authority in scenario.authorities:
        truth = run.truth_dir(authority)
        records = read_csv(truth / "truth_records.csv")
        people = _read(truth / "truth_people.csv", ["person_id", "status", "resident"])
        outcomes = _read(run.la_dir(authority) / "outcomes.csv",
                         ["record_id", "source", "outcome"])
        of_person = people.set_index("person_id")
        received = outcomes.merge(records[["record_id", "person_id", "errors"]], on="record_id",
                                  how="left", validate="one_to_one")
        register = records[records["source"] == "cme_register"].assign(outcome="")
        both = pd.concat([received.assign(kind="received"),
                          register[["record_id", "source", "outcome", "person_id", "errors"]]
                          .assign(kind="register")], ignore_index=True)
        both["status"] = both["person_id"].map(of_person["status"]).fillna("")
        both["resident"] = both["person_id"].map(of_person["resident"]).astype(str).eq("True")
        frames.append(both.drop(columns=["record_id", "person_id"]).assign(authority=authority))
    frame = pd.concat(frames, ignore_index=True)
    frame["errors"] = frame["errors"].astype(str)
    return Records(frame, scenario, scenario.scale)


class Emulator:
    """Expected per-LA tables under settings ``theta`` (a built :class:`Scenario`)."""

    def __init__(self, records: Records, free: list[str]):
        unknown = [k for k in free if not emulated(k)]
        if unknown:
            raise ValueError(f"calibration.free.{unknown[0]}: the emulator cannot weigh this "
                             "setting (sizes, status shares, error rates and follow-up "
                             "probabilities only)")
        self.records = records
        f = records.frame
        self.authorities = tuple(records.scenario.authorities)
        self._la = f["authority"].to_numpy()
        self._status = f["status"].to_numpy()
        self._resident = f["resident"].to_numpy()
        self._source = f["source"].to_numpy()
        self._received = (f["kind"] == "received").to_numpy()
        self._errors = {}
        for key in free:
            m = _ERROR_KEY.fullmatch(key)
            if m:
                has = f["errors"].str.contains(rf"(?:^|;){m['error']}(?:;|$)").to_numpy()
                self._errors[(m["error"], m["source"])] = has
        self._outcome = f["outcome"].to_numpy()
        self._base = self._settings(records.scenario)

    def _settings(self, s: Scenario) -> dict:
        return {"size": {a: s.nhs_records(a) for a in self.authorities},
                "shares": {a: s.shares_for(a) for a in self.authorities},
                "errors": {k: s.error_rate(*k) for k in self._errors}}

    def weights(self, theta: Scenario) -> np.ndarray:
        now, base = self._settings(theta), self._base
        w = np.ones(len(self._la))
        for a in self.authorities:
            on = self._la == a
            w[on] *= now["size"][a] / base["size"][a]
            for status, share in now["shares"][a].items():
                was = base["shares"][a].get(status, 0.0)
                hit = on & self._resident & (self._status == status)
                if hit.any():
                    w[hit] *= share / was if was > 0 else 0.0
        for (error, source), has in self._errors.items():
            r, r0 = now["errors"][(error, source)], base["errors"][(error, source)]
            mine = self._source == source
            w[mine & has] *= r / r0 if r0 > 0 else 0.0
            w[mine & ~has] *= (1 - r) / (1 - r0) if r0 < 1 else 0.0
        return w / self.records.scale

    def figures(self, theta: Scenario) -> Figures:
        """Expected full-size Tables 5.1 and 6.1 and NHS records by status under ``theta``."""
        w = self.weights(theta)
        f = self.records.frame
        got = f[self._received].assign(w=w[self._received])
        got = got.assign(label=got["source"].map(SOURCE_LABELS),
                         column=got["outcome"].map(OUTCOME_COLUMNS))
        by_source = got.pivot_table(index=["authority", "label"], columns="column", values="w",
                                    aggfunc="sum", fill_value=0.0)
        by_source = by_source.reindex(columns=list(OUTCOME_COLUMNS.values()), fill_value=0.0)
        by_source["received"] = by_source.sum(axis=1)
        total = by_source.groupby(level="authority").sum()
        total["label"] = TOTAL
        t51 = pd.concat([by_source.reset_index(),
                         total.reset_index()]).rename(columns={"label": "source"})
        resolve = theta.follow_up.resolve_probability
        potential = got[(got["source"] == NWSSP) & (got["outcome"] == NOT_MATCHED)]
        unresolved = potential["w"] * (1 - potential["status"].map(resolve).fillna(0.0))
        register = pd.Series(w[~self._received], index=f.loc[~self._received, "authority"])
        t61 = pd.DataFrame({
            "authority": list(self.authorities),
            "cme_known_before": [register.get(a, pd.Series(dtype=float)).sum()
                                 for a in self.authorities],
            "potential_cme_identified": [potential.loc[potential["authority"] == a, "w"].sum()
                                         for a in self.authorities],
            "unresolved": [unresolved[potential["authority"] == a].sum()
                           for a in self.authorities]})
        t61["cme_known_after"] = t61["cme_known_before"] + t61.pop("unresolved")
        nhs = got[(got["source"] == NWSSP) & (got["outcome"] != OUT_OF_SCOPE)]
        by_status = (nhs.groupby(["authority", "status"])["w"].sum().reset_index()
                     .rename(columns={"status": "true_status", "w": "nhs_records"}))
        return Figures(t51, t61, by_status)
