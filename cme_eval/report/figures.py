"""Figures where people would rather look than read. PNGs are written without timestamps or
software tags so the same tables always give the same bytes."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from cme_eval.inputs.schema import ALL_AUTHORITIES, TOTAL  # noqa: E402
from cme_eval.report.labels import value

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


def _counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts as numbers; a suppressed cell (`[c]`) of a protected table becomes missing."""
    return frame.apply(lambda c: pd.to_numeric(c.astype(str).str.replace(",", ""),
                                               errors="coerce"))


def _shown(v: object) -> str:
    """A count as the table shows it: whole numbers grouped, text (`[c]`, `1,005`) as it is."""
    return f"{int(v):,}" if isinstance(v, (int, float)) and v == v else str(v)


def outcomes_alt_text(table_5_1: pd.DataFrame) -> str:
    """What `outcomes_by_authority` shows, in words for a screen reader: the pooled shares
    and the LAs with the lowest and highest perfect-match share. Give it the table the report
    shows (the released one, under disclosure control), so the words give away nothing more."""
    rows = table_5_1[table_5_1["source"] == TOTAL].set_index("authority")
    counts = _counts(rows[["received", *(c for c, _, _ in OUTCOME_STYLE)]])
    shares = counts.drop(columns="received").div(counts["received"].where(
        counts["received"] > 0), axis=0)
    text = "Stacked bar chart of the share of records received by outcome, per local authority"
    if ALL_AUTHORITIES in shares.index and shares.loc[ALL_AUTHORITIES].notna().all():
        pooled = shares.loc[ALL_AUTHORITIES]
        text += ". All authorities: " + ", ".join(
            f"{pooled[c]:.1%} {label.lower()}" for c, label, _ in OUTCOME_STYLE)
    las = shares.drop(index=ALL_AUTHORITIES, errors="ignore")["perfect_match"].dropna()
    if len(las) > 1:
        text += (f". Perfect matches range from {las.min():.1%} ({las.idxmin()}) to "
                 f"{las.max():.1%} ({las.idxmax()})")
    return text + ". The counts are in the table below."


def potential_cme_alt_text(breakdown: pd.DataFrame) -> str:
    """What `potential_cme_by_status` shows, in words: each true status, largest first, with
    how many follow-up resolves, as the table the report shows gives them (`[c]` stays)."""

    order = _counts(breakdown[["potential_cme"]])["potential_cme"]
    rows = breakdown.loc[order.sort_values(ascending=False, kind="stable").index]
    rows = rows[order.loc[rows.index].fillna(1) != 0]
    parts = [f"{value(r.true_status)} {_shown(r.potential_cme)} "
             f"({_shown(r.resolved_by_follow_up)} resolved)" for r in rows.itertuples()]
    return ("Bar chart of the potential CME by their true status, split into resolved by "
            "follow-up and still unresolved: " + ("; ".join(parts) or "none") + ".")


def save_png(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path


def published_vs_reproduced(comparison: pd.DataFrame) -> plt.Figure:
    """Published and reproduced shares side by side (the share measures only)."""
    rows = comparison[comparison["measure"].str.contains("share")].iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.4))
    y = range(len(rows))
    ax.barh([i + 0.2 for i in y], rows["published"], height=0.4, color="#999999",
            label="Published")
    ax.barh([i - 0.2 for i in y], rows["reproduced"], height=0.4, color="#0072B2",
            label="Reproduced")
    ax.set_yticks(list(y), rows["measure"], fontsize=8)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_title("Published evaluation and this re-run")
    ax.legend(frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def potential_cme_by_status(breakdown: pd.DataFrame) -> plt.Figure:
    """What the potential CME really are (pooled), resolved by follow-up or not."""
    rows = breakdown.sort_values("potential_cme")
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.4))
    resolved = rows["resolved_by_follow_up"]
    ax.barh(rows["true_status"], resolved, color="#009E73", label="Resolved by follow-up")
    ax.barh(rows["true_status"], rows["potential_cme"] - resolved, left=resolved,
            color="#D55E00", label="Still unresolved")
    ax.set_xlabel("Potential CME (NHS records not matched)")
    ax.set_title("What the potential CME really are")
    ax.legend(frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def score_distribution(scores: pd.DataFrame, threshold: float) -> plt.Figure:
    """Match weights of the best candidate, by outcome, with the partial-match threshold."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    colours = {"perfect": "#009E73", "partial": "#56B4E9", "not_matched": "#D55E00"}
    numeric = pd.to_numeric(scores["score"], errors="coerce")
    for outcome, colour in colours.items():
        values = numeric[scores["outcome"] == outcome].dropna()
        if len(values):
            ax.hist(values, bins=60, color=colour, alpha=0.7, label=outcome.replace("_", " "))
    ax.axvline(threshold, color="#0072B2", linestyle="--", label=f"threshold {threshold:g}")
    ax.set_yscale("log")
    ax.set_xlabel("match weight of the best candidate")
    ax.set_ylabel("records (log scale)")
    ax.set_title("Score distribution")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def precision_recall(quality: pd.DataFrame) -> plt.Figure:
    """Precision against recall per authority and engine (all sources, all mechanisms)."""
    rows = quality[(quality["source"] == "Total") & (quality["mechanism"] == "all")]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    markers = ["o", "s", "^", "D"]

    for i, (engine, group) in enumerate(rows.groupby("engine", sort=True)):
        ax.scatter(group["recall"].astype(float), group["precision"].astype(float),
                   marker=markers[i % len(markers)], label=value(engine), s=40)
    # The real scale, 0 to 1: differences of a thousandth look as small as they are.
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("Recall: true links found")
    ax.set_ylabel("Precision: links that are right")
    ax.set_title("Accuracy of each matching method, per authority")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def scenario_comparison(table: pd.DataFrame) -> plt.Figure:
    """Review hours and false potential CME per scenario (all authorities)."""
    rows = table[table["authority"] == ALL_AUTHORITIES].iloc[::-1]
    fig, axes = plt.subplots(1, 2, figsize=(9, 0.5 * len(rows) + 1.6), sharey=True)
    axes[0].barh(rows["scenario"], rows["review_hours"], color="#0072B2")
    axes[0].set_xlabel("review hours")
    axes[1].barh(rows["scenario"], rows["false_potential_cme"], color="#D55E00")
    axes[1].set_xlabel("potential CME who are not missing")
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle("What each recommendation changes, same population")
    fig.tight_layout()
    return fig
