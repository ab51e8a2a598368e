"""Staff time the review would take: partial matches to check and unmatched records to follow up.

Parameters (``review:`` in the scenario) are documented there; the defaults are calibrated on
the evaluation: one LA's unmatched list of 940 records was estimated at "nearly 500 hours" to
check (30 minutes a record gives 470 hours), and a partial match takes a couple of minutes to
confirm against the LA's systems.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cme_eval.inputs.schema import ALL_AUTHORITIES, TOTAL

COLUMNS = ["authority", "partial_matches", "unmatched_follow_ups", "minutes_per_partial_check",
           "minutes_per_follow_up", "hours_checking_partials", "hours_following_up",
           "hours_total"]


def review_hours(partials, follow_ups, minutes_per_partial: float,
                 minutes_per_follow_up: float):
    """Staff hours checking ``partials`` and following up ``follow_ups`` (counts, or columns of
    counts): each to 0.1 hour, and their total as the sum of the two as shown, so a table adds
    up. The one definition: the workload table and the what-if comparison both use it."""
    checking = np.round(partials * minutes_per_partial / 60, 1)
    following = np.round(follow_ups * minutes_per_follow_up / 60, 1)
    return checking, following, np.round(checking + following, 1)


def review_workload(t51: pd.DataFrame, minutes_per_partial: float,
                    minutes_per_follow_up: float) -> pd.DataFrame:
    rows = t51[t51["source"] == TOTAL]
    out = pd.DataFrame({
        "authority": rows["authority"].to_numpy(),
        "partial_matches": rows["partial_match"].to_numpy(),
        "unmatched_follow_ups": rows["not_matched"].to_numpy(),
        "minutes_per_partial_check": minutes_per_partial,
        "minutes_per_follow_up": minutes_per_follow_up,
    })
    (out["hours_checking_partials"], out["hours_following_up"],
     out["hours_total"]) = review_hours(out["partial_matches"], out["unmatched_follow_ups"],
                                        minutes_per_partial, minutes_per_follow_up)
    # 'All' last, as in the other tables
    order = [a for a in out["authority"] if a != ALL_AUTHORITIES] + [ALL_AUTHORITIES]
    return out.set_index("authority").loc[order].reset_index()[COLUMNS]
