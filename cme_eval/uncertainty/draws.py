"""The fit's uncertainty in a replicate: each fitted setting drawn from its 95% interval.

``cme-eval calibrate`` gives every fitted setting a 95% interval (``calibration.intervals``,
laid in from the fitted file). A replicate with ``--parameter-draws`` runs the world with each
setting drawn from a normal distribution centred on its fitted value whose 95% range is that
interval (sd = width / 3.92), clipped to the setting's declared range; an LA's size is rounded
to a whole number. Draws are keyed by the scenario's seed and the replicate's number, so
replicate k draws the same settings whatever N is and whichever worker runs it.
"""

from __future__ import annotations

from cme_eval.calibration.free import in_run, setting_value, whole_number
from cme_eval.config import Scenario
from cme_eval.config.convert import merge, nested
from cme_eval.rng import keyed_rng

Z95 = 1.959964


def parameter_draw(scenario: Scenario, k: int) -> dict:
    """Overrides for replicate ``k``: every fitted setting with an interval, drawn."""
    intervals = scenario.calibration.intervals
    rng = keyed_rng(scenario.seed, "parameter-draw", k)
    out: dict = {}
    for key in sorted(intervals):  # a fixed order: the draws never depend on dict order
        if not in_run(scenario, key):
            continue  # an LA this run leaves out
        low, high = intervals[key]
        free = scenario.calibration.free.get(key)
        centre = setting_value(scenario, key)
        sd = max(high - low, 0.0) / (2 * Z95)
        value = float(rng.normal(centre, sd)) if sd > 0 else centre
        if free is not None:
            value = min(max(value, free.range[0]), free.range[1])
        out = merge(out, nested(key, int(round(value)) if whole_number(key) else
                                round(value, 6)))
    return out

