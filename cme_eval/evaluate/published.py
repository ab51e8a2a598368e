"""The published evaluation beside the reproduction: measure, published, reproduced, difference.

Published figures come from the scenario's targets file (``synthetic/targets/``, read by
``cme_eval.calibration.targets``): each says where it is published, what the publication allows
and which runs it applies to. ``shared/reference/published-figures.json`` (a copy ships with the
package) keeps the tables as printed. The published Table 5.1 does not add up (its NWSSP and
independent-school columns sum to less than its 'received' total, and the independent-school
matches exceed what was received), so the comparison reports that check and its result rather
than copying the inconsistency.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from cme_eval.calibration.measures import MEASURES, Figures, records_behind, value
from cme_eval.calibration.targets import Targets, scope_las

COLUMNS = ["target", "measure", "published", "reproduced", "difference", "within_tolerance",
           "tolerance", "applicable", "note", "source"]


@lru_cache(maxsize=1)
def published_figures() -> dict:
    text = resources.files("cme_eval").joinpath("data", "published-figures.json").read_text(
        encoding="utf-8")
    return json.loads(text)


def published_table_5_1_adds_up() -> tuple[bool, str]:
    """Whether the published Table 5.1 reconciles, with the arithmetic that says so."""
    rows = published_figures()["table_5_1"]["rows"]
    nwssp, indep, total = (rows["received"][i] for i in range(3))
    parts = {k: rows[k][2] for k in ("perfect_match", "partial_match", "not_matched")}
    checks = [
        f"NWSSP {nwssp:,} + independent schools {indep:,} = {nwssp + indep:,} "
        f"vs total received {total:,}",
        f"perfect + partial + not matched = {sum(parts.values()):,} vs received {total:,}",
        f"independent schools: matched {rows['perfect_match'][1] + rows['partial_match'][1]:,} "
        f"of {indep:,} received",
    ]
    ok = (nwssp + indep == total and sum(parts.values()) == total
          and rows["perfect_match"][1] + rows["partial_match"][1] <= indep)
    return ok, "; ".join(checks)


def compare(figures: Figures, targets: Targets | None, scale: float = 1.0, *,
            authorities: tuple[str, ...], subset: tuple[str, ...] = (),
            scaled: bool = False) -> pd.DataFrame:
    """One row per target of the scenario, with the reproduction and whether it is within the
    interval the publication allows.

    Each target's scope decides whether it judges this run (``targets.scope_las``): a run of
    one LA is judged on the per-LA ranges only, never on five LAs' pooled shares. A count
    applies at full size only, unless ``scaled`` (``calibrate --check``): then the run's count
    is divided by ``scale`` before it is judged. A target that does not apply keeps its
    published value, is marked ``applicable`` False with the reason in ``note``, and has no
    verdict. ``authorities``: the LAs run."""

    out = []
    for t in targets or ():
        las, reason = scope_las(t.scope, authorities, subset)
        needs_truth = MEASURES[t.measure].needs_truth and figures.nhs_by_status is None
        if needs_truth and not reason:
            reason = "a figure of the children's true status: only a synthetic run has it"
        if not reason and t.kind == "count" and scale != 1.0 and not scaled:
            reason = f"a count at full size; this run is at scale {scale:g}"
        reproduced = value(t.measure, figures, las) if not reason else np.nan
        n = (reproduced if t.kind == "count" else records_behind(t.measure, figures, las)
             ) if not reason else 0.0
        if t.kind == "count" and scaled and not reason:
            reproduced = reproduced / scale
        low, high = t.widened(reproduced, n, scale)
        ok = bool(low - 1e-12 <= reproduced <= high + 1e-12) if not reason else ""
        small = (low, high) != (t.low, t.high) and not reason
        tolerance = (f"at scale {scale:g}: {low:.4g} to {high:.4g}, 2 standard errors wider "
                     f"than {t.allowed}" if small else t.allowed)
        out.append({"target": t.key, "measure": t.label, "published": t.published,
                    "reproduced": round(float(reproduced), 6),
                    "difference": round(float(reproduced) - t.published, 6),
                    "within_tolerance": ok, "tolerance": tolerance,
                    "applicable": not reason, "note": reason or t.why, "source": t.source})
    pub_ok, _ = published_table_5_1_adds_up()
    t51 = figures.table_5_1
    reproduced_ok = bool((t51[["perfect_match", "partial_match", "not_matched", "out_of_scope"]]
                          .sum(axis=1) == t51["received"]).all())
    out.append({"target": "table_5_1_adds_up",
                "measure": "Table 5.1 adds up (received = sum of outcomes; sources = total)",
                "published": float(pub_ok), "reproduced": float(reproduced_ok),
                "difference": float(reproduced_ok) - float(pub_ok),
                "within_tolerance": reproduced_ok, "tolerance": "must add up (1 = yes)",
                "applicable": True, "note": "", "source": "this run"})
    return pd.DataFrame(out, columns=COLUMNS)
