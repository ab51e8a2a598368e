"""Why a pair got its outcome: each comparison's level and weight, as a table and a waterfall.

Shows comparison labels and weights only, never the records' values, so an explanation can go
into a report or a ticket without carrying personal data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cme_eval.linkage.classify import pair_weights
from cme_eval.linkage.spec import LinkSpec

EXPLAIN_COLUMNS = ["comparison", "level", "weight", "cumulative"]


def explain_pair(levels_row: pd.Series, spec: LinkSpec, weights_row: pd.Series | None = None,
                 ) -> pd.DataFrame:
    """Waterfall table for one candidate pair, given its levels (one per comparison).

    ``weights_row`` (per comparison) overrides the declared weights, e.g. with the
    term-frequency weights actually used; by default the spec's level weights.
    """
    rows, total = [], 0.0
    for comparison in spec.comparisons:
        level = int(levels_row[comparison.name])
        if level < 0:
            label, weight = "missing", 0.0
        else:
            label = comparison.labels()[level]
            weight = (float(weights_row[comparison.name]) if weights_row is not None
                      else comparison.weights()[level])
        total += weight
        rows.append({"comparison": comparison.name, "level": label, "weight": round(weight, 3),
                     "cumulative": round(total, 3)})
    return pd.DataFrame(rows, columns=EXPLAIN_COLUMNS)


def comparison_weights(levels: pd.DataFrame, spec: LinkSpec, left: pd.DataFrame,
                       right: pd.DataFrame) -> pd.DataFrame:
    """Per-pair, per-comparison weights as classification uses them (term frequencies too)."""
    out = {}
    for comparison in spec.comparisons:
        single = LinkSpec(comparisons=(comparison,), blocking=spec.blocking,
                          settings=spec.settings)
        out[comparison.name] = pair_weights(levels[[comparison.name]], single, left,
                                            right).to_numpy()
    return pd.DataFrame(out, index=levels.index)


def waterfall(table: pd.DataFrame, threshold: float, title: str = "Why this match weight?"):
    """A waterfall figure of ``explain_pair``'s table, with the partial-match threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    starts = np.r_[0.0, table["cumulative"].to_numpy()[:-1]]
    colours = np.where(table["weight"] >= 0, "#009E73", "#D55E00")
    ax.bar(range(len(table)), table["weight"], bottom=starts, color=colours)
    ax.axhline(threshold, color="#0072B2", linestyle="--", linewidth=1,
               label=f"partial-match threshold ({threshold:g})")
    ax.set_xticks(range(len(table)),
                  [f"{c}\n{lv}" for c, lv in zip(table["comparison"], table["level"],
                                                  strict=True)], fontsize=7)
    ax.set_ylabel("match weight (log2 Bayes factor)")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
