"""Figures where people would rather look than read. PNGs are written without timestamps or
software tags so the same tables always give the same bytes."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from cme_eval.schema import ALL_AUTHORITIES, TOTAL  # noqa: E402

OUTCOME_STYLE = [  # column, label, colour (colour-blind safe, Okabe-Ito)
    ("perfect_match", "Perfect match", "#009E73"),
    ("partial_match", "Partial match", "#56B4E9"),
    ("not_matched", "Not matched", "#D55E00"),
    ("out_of_scope", "Out of scope", "#999999"),
]


def outcomes_by_authority(table_5_1: pd.DataFrame) -> plt.Figure:
    """Share of records received by outcome, per LA and pooled (Total source rows)."""
    rows = table_5_1[table_5_1["source"] == TOTAL].set_index("authority")
    order = [a for a in rows.index if a != ALL_AUTHORITIES][::-1] + [ALL_AUTHORITIES]
    rows = rows.loc[[a for a in order if a in rows.index]]
    shares = rows[[c for c, _, _ in OUTCOME_STYLE]].div(rows["received"].clip(lower=1), axis=0)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.6))
    left = pd.Series(0.0, index=shares.index)
    for column, label, colour in OUTCOME_STYLE:
        ax.barh(shares.index, shares[column], left=left, color=colour, label=label)
        left += shares[column]
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("Share of records received (NWSSP and independent schools)")
    ax.set_title("Outcome of matching, by local authority")
    ax.legend(ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def save_png(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path
