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

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cme_eval.calibration.free import error_of, movable
from cme_eval.calibration.measures import Figures
from cme_eval.config import Scenario
from cme_eval.fileio import read_csv
from cme_eval.inputs.schema import (
    INDEPENDENT,
    NOT_MATCHED,
    NWSSP,
    OUT_OF_SCOPE,
    PARTIAL,
    PERFECT,
    SOURCE_LABELS,
    TOTAL,
)
from cme_eval.run.stages import Run

NWSSP_LABEL, INDEPENDENT_LABEL = SOURCE_LABELS[NWSSP], SOURCE_LABELS[INDEPENDENT]
OUTCOME_COLUMNS = {PERFECT: "perfect_match", PARTIAL: "partial_match",
                   NOT_MATCHED: "not_matched", OUT_OF_SCOPE: "out_of_scope"}


def emulated(key: str) -> bool:
    """Whether the emulator can weigh a change of setting ``key``."""
    return movable(key)


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
    """Expected per-LA tables under settings ``theta`` (a built :class:`Scenario`).

    Records are coded once (LA, status, Table 5.1 cell, error flags); a weight is a product of
    per-LA and per-(LA, status) factors looked up by code, and each table a ``bincount``, so
    one evaluation takes milliseconds and a fit can afford hundreds."""

    def __init__(self, records: Records, free: list[str]):
        unknown = [k for k in free if not emulated(k)]
        if unknown:
            raise ValueError(f"calibration.free.{unknown[0]}: the emulator cannot weigh this "
                             "setting (sizes, status shares, error rates and follow-up "
                             "probabilities only)")
        self.records = records
        f = records.frame
        self.authorities = tuple(records.scenario.authorities)
        self.statuses = tuple(sorted(set(f["status"]) | {""}))
        self._la = pd.Categorical(f["authority"], categories=self.authorities).codes.astype(
            np.int64)
        status = pd.Categorical(f["status"], categories=self.statuses).codes.astype(np.int64)
        # a non-resident (a boarder, an inbound pupil) is weighed by its LA's size only
        self._status = np.where(f["resident"].to_numpy(), status, self.statuses.index(""))
        self._true_status = status  # a visitor's own kind included
        received = (f["kind"] == "received").to_numpy()
        self._received = received
        self._labels = (NWSSP_LABEL, INDEPENDENT_LABEL)
        source = pd.Categorical(f["source"].map(SOURCE_LABELS),
                                categories=self._labels).codes.astype(np.int64)
        outcome = pd.Categorical(f["outcome"],
                                 categories=list(OUTCOME_COLUMNS)).codes.astype(np.int64)
        n_out = len(OUTCOME_COLUMNS)
        # Table 5.1 cell of a received record: (LA, source, outcome); -1 for the register
        self._cell = np.where(received, (self._la * 2 + source) * n_out + outcome, -1)
        self._potential = received & (f["source"].to_numpy() == NWSSP) & (
            f["outcome"].to_numpy() == NOT_MATCHED)
        self._in_scope_nhs = received & (f["source"].to_numpy() == NWSSP) & (
            f["outcome"].to_numpy() != OUT_OF_SCOPE)
        self._source = f["source"].to_numpy()
        self._errors = {}
        for key in free:
            if (pair := error_of(key)) is not None:
                error, source = pair
                has = f["errors"].str.contains(rf"(?:^|;){error}(?:;|$)").to_numpy()
                self._errors[pair] = (self._source == source, has)
        self._base = self._settings(records.scenario)

    def _settings(self, s: Scenario) -> tuple[np.ndarray, np.ndarray, dict]:
        size = np.array([s.nhs_records(a) for a in self.authorities], dtype=float)
        share = np.ones((len(self.authorities), len(self.statuses)))
        for i, a in enumerate(self.authorities):
            shares = s.shares_for(a)
            for j, status in enumerate(self.statuses):
                if status in shares:
                    share[i, j] = shares[status]
        return size, share, {k: s.error_rate(*k) for k in self._errors}

    def weights(self, theta: Scenario) -> np.ndarray:
        size, share, errors = self._settings(theta)
        size0, share0, errors0 = self._base
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(share0 > 0, share / share0, 0.0)
        w = (size / size0)[self._la] * ratio[self._la, self._status]
        for key, (mine, has) in self._errors.items():
            r, r0 = errors[key], errors0[key]
            w = np.where(mine & has, w * (r / r0 if r0 > 0 else 0.0), w)
            w = np.where(mine & ~has, w * ((1 - r) / (1 - r0) if r0 < 1 else 0.0), w)
        return w / self.records.scale

    def figures(self, theta: Scenario) -> Figures:
        """Expected full-size Tables 5.1 and 6.1 and NHS records by status under ``theta``."""
        w = self.weights(theta)
        n_la, n_out = len(self.authorities), len(OUTCOME_COLUMNS)
        cells = np.bincount(self._cell[self._received], weights=w[self._received],
                            minlength=n_la * 2 * n_out).reshape(n_la, 2, n_out)
        rows = []
        for i, a in enumerate(self.authorities):
            for label, counts in ((self._labels[0], cells[i, 0]),
                                  (self._labels[1], cells[i, 1]), (TOTAL, cells[i].sum(axis=0))):
                rows.append({"authority": a, "source": label, "received": counts.sum(),
                             **dict(zip(OUTCOME_COLUMNS.values(), counts, strict=True))})
        t51 = pd.DataFrame(rows)
        resolve = theta.follow_up.resolve_probability
        p = np.array([resolve.get(s, 0.0) for s in self.statuses])
        stay = w * (1 - p[self._true_status])
        before = np.bincount(self._la[~self._received], weights=w[~self._received],
                             minlength=n_la)
        potential = np.bincount(self._la[self._potential], weights=w[self._potential],
                                minlength=n_la)
        unresolved = np.bincount(self._la[self._potential], weights=stay[self._potential],
                                 minlength=n_la)
        t61 = pd.DataFrame({"authority": list(self.authorities), "cme_known_before": before,
                            "cme_known_after": before + unresolved,
                            "potential_cme_identified": potential})
        keep = self._in_scope_nhs
        n_st = len(self.statuses)
        by = np.bincount(self._la[keep] * n_st + self._true_status[keep], weights=w[keep],
                         minlength=n_la * n_st).reshape(n_la, n_st)
        la_i, st_i = np.nonzero(by)
        by_status = pd.DataFrame({"authority": [self.authorities[i] for i in la_i],
                                  "true_status": [self.statuses[j] for j in st_i],
                                  "nhs_records": by[la_i, st_i]})
        return Figures(t51, t61, by_status)


class Pooled:
    """The mean of several emulators' expected tables, each measured on runs at its own
    settings: the runs of two iterations of a fit (near the answer, on different seeds) then
    stand for one expectation with twice the seeds, at no extra run. Each emulator's tables
    are already expected full-size counts, so the mean is too; a status one emulator never
    saw counts 0 there."""

    def __init__(self, emulators: list[Emulator]):
        if not emulators:
            raise ValueError("Pooled: no emulator to pool")
        self.emulators = emulators

    def figures(self, theta: Scenario) -> Figures:
        parts = [e.figures(theta) for e in self.emulators]
        if len(parts) == 1:
            return parts[0]
        n = len(parts)

        def mean(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
            summed = pd.concat(frames, ignore_index=True).groupby(keys, sort=False).sum()
            return (summed / n).reset_index()

        return Figures(mean([f.table_5_1 for f in parts], ["authority", "source"]),
                       mean([f.table_6_1 for f in parts], ["authority"]),
                       mean([f.nhs_by_status for f in parts if f.nhs_by_status is not None],
                            ["authority", "true_status"]))

