"""Statistical disclosure control for published tables.

When a run is marked as real data, a count of 1 to 4 children is shown as ``[c]`` (primary
suppression, the GSS convention for confidential cells), and enough other cells are suppressed
that none can be worked back by subtraction (secondary suppression): in every row whose parts
add up to a total, and in every group of rows whose parts add up to a total row, a suppressed
part never stands alone. Every other count is rounded to the nearest 5. Zeros are shown: a
structural zero discloses nothing about a child. Synthetic runs show exact counts unless asked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SUPPRESSED = "[c]"


@dataclass(frozen=True)
class Additivity:
    """How a table's counts add up, so secondary suppression can close every gap.

    ``row_total``/``row_parts``: columns where total = sum of parts within a row.
    ``group_by``/``label_column``/``total_label``: row groups (e.g. one authority's sources)
    where the row labelled ``total_label`` is the sum of the others, column by column.
    """

    row_total: str | None = None
    row_parts: tuple[str, ...] = ()
    group_by: str | None = None
    label_column: str | None = None
    total_label: str | None = None


def _round5(values: np.ndarray) -> np.ndarray:
    return (np.floor(values / 5 + 0.5) * 5).astype(int)


def _close_gaps(mask: np.ndarray, values: np.ndarray, groups: list[list[int]]) -> bool:
    """Within each group (a set of cell positions that add up), if exactly one cell is
    suppressed, suppress the smallest other non-zero cell too. Returns whether anything changed.
    """
    changed = False
    flat_mask, flat_values = mask.reshape(-1), values.reshape(-1)
    assert np.shares_memory(flat_mask, mask), "the mask must be edited in place"
    for cells in groups:
        hidden = [c for c in cells if flat_mask[c]]
        if len(hidden) == 1:
            candidates = [c for c in cells if not flat_mask[c] and flat_values[c] > 0]
            if candidates:
                flat_mask[min(candidates, key=lambda c: (flat_values[c], c))] = True
                changed = True
    return changed


def protect(table: pd.DataFrame, count_columns: list[str], additivity: Additivity,
            threshold: int = 5) -> pd.DataFrame:
    """The table with counts suppressed (``[c]``) or rounded to 5, as text."""
    # C order: _close_gaps edits the mask through a flat view (pandas hands back F order)
    values = np.ascontiguousarray(table[count_columns].to_numpy(dtype=float))
    mask = np.ascontiguousarray((values > 0) & (values < threshold))
    col = {c: i for i, c in enumerate(count_columns)}
    n_cols = len(count_columns)
    groups: list[list[int]] = []
    if additivity.row_total:
        members = [additivity.row_total, *additivity.row_parts]
        for r in range(len(table)):
            groups.append([r * n_cols + col[c] for c in members])
    if additivity.group_by:
        for _, rows in table.groupby(additivity.group_by, sort=False).indices.items():
            for c in count_columns:
                groups.append([int(r) * n_cols + col[c] for r in rows])
    for _ in range(50):  # suppression in one direction can open a gap in the other
        if not _close_gaps(mask, values, groups):
            break
    rounded = _round5(values)
    shown = np.where(mask, SUPPRESSED, rounded.astype(str))
    out = table.copy()
    for c in count_columns:
        out[c] = shown[:, col[c]]
    return out
