"""Tornado figures: how far each setting's low and high move a headline measure, beside chance."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from cme_eval.report.labels import column as label  # noqa: E402
from cme_eval.report.labels import parameter as parameter_label  # noqa: E402

LOW_COLOUR, HIGH_COLOUR, CHANCE_COLOUR = "#56B4E9", "#D55E00", "#BBBBBB"


def tornado(table: pd.DataFrame, measure: str, interval: tuple[float, float] | None = None,
            *, top: int = 12) -> plt.Figure:
    """One bar per parameter from its low to its high value of ``measure`` (the ``top`` that
    move it most), the base value as a line, and ``interval`` (the replicates' 95% range, as
    offsets from their mean) as a grey band around the base: a bar that stays inside the
    band is an effect the seed alone could make."""
    rows = table[table["measure"] == measure].copy()
    rows["swing"] = (rows["value_high"] - rows["value_low"]).abs()
    rows = rows.sort_values(["swing", "parameter"], ascending=[True, False]).tail(top)
    base = float(rows["value_base"].iloc[0]) if len(rows) else 0.0
    fig, ax = plt.subplots(figsize=(10, 0.38 * max(len(rows), 1) + 2.2))
    if interval is not None:
        ax.axvspan(base + interval[0], base + interval[1], color=CHANCE_COLOUR, alpha=0.5,
                   label="95% of replicates (chance)")
    y = range(len(rows))
    ax.barh(y, rows["value_low"] - base, left=base, color=LOW_COLOUR, height=0.6,
            label="Setting at its low value")
    ax.barh(y, rows["value_high"] - base, left=base, color=HIGH_COLOUR, height=0.6,
            label="Setting at its high value")
    ax.axvline(base, color="black", linewidth=1)
    ax.set_yticks(list(y), [parameter_label(*row) for row in
                            rows[["parameter", "low", "high", "unit"]].itertuples(index=False)],
                  fontsize=8)
    ax.set_xlabel(f"{label(measure)}, all authorities (line: the scenario as set)")
    ax.set_title(f"{label(measure)}: which setting moves it most")
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16),
              ncol=3)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
