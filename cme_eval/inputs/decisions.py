"""A reviewer's decisions on partial matches, read back for the next link (issue 23, point 4).

The file is the working list ``restricted/partial_for_review.csv`` (or a run's ``outcomes.csv``
rows, or several LAs' lists one under another) with its ``decision`` column filled in: ``match``
or ``not a match`` (any case, spaces as typed), blank where nobody has decided yet. It may have
been opened and saved again in Excel, so it is read like any input (``readers.read_tables``:
CSV in any office encoding, or a workbook). Only the ids and the decision are kept; every other
column (names, addresses) is left unread.

A decision names a pair by ids: the received record (``record_id``, with ``source`` when given)
and its candidate (``matched_record_id``, with ``matched_dataset`` when given); ``authority``
says whose records they are and is needed when the run has more than one LA.

Nothing is dropped silently. A value other than match / not a match, a decision without both
ids, two decisions on one pair, one record confirmed as the match of two candidates, an
authority the run does not have or an id no record of the LA has: each stops the run in one
line naming the file, row and column (values are described by their shape, never quoted). A
blank decision is not a decision: it is counted (``undecided``) and said in the diagnostics.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cme_eval.exceptions import CmeEvalError, one_line, shape
from cme_eval.inputs import readers
from cme_eval.inputs.ingest import header_key
from cme_eval.inputs.schema import MATCHED_AGAINST, RECEIVED_SOURCES

MATCH, NOT_A_MATCH = "match", "not a match"
VALUES = {MATCH: True, NOT_A_MATCH: False}
IDS = ("record_id", "matched_record_id")
REQUIRED = (*IDS, "decision")
OPTIONAL = ("authority", "source", "matched_dataset")
NO_HEADER = (f"no header row naming {', '.join(REQUIRED)} (give back the partial_for_review "
             "list with its decision column filled in)")
COLUMNS = ["file", "row", "authority", "source", "record_id", "matched_dataset",
           "matched_record_id", "match"]


class DecisionsError(CmeEvalError, ValueError):
    """A decisions file that cannot be applied as it is: the message names the file, row and
    column, never a value."""


@dataclass(frozen=True)
class Decisions:
    """The decisions of one file: one row per pair decided (``COLUMNS``; ``match`` a bool),
    and how many rows were left undecided."""

    table: pd.DataFrame
    undecided: int = 0

    def __len__(self) -> int:
        return len(self.table)


# A header spelt any way ingest accepts ("Record ID", "record_id") -> the column's name.
_NAMES = {header_key(name): name for name in REQUIRED + OPTIONAL}


def _score(row: Sequence[str]) -> int:
    """How many of the decision columns a row names (the header: at least the required)."""
    names = {_NAMES.get(header_key(c)) for c in row}
    return len(names & set(REQUIRED + OPTIONAL)) if set(REQUIRED) <= names else 0


def _value(text: str) -> str:
    return " ".join(text.lower().split())


def read(path: Path) -> Decisions:
    """The decisions of ``path``, checked as a file (see the module docstring)."""
    name = path.name
    try:
        tables, _ = readers.read_tables(path, name, _score)
    except readers.ReadError as exc:
        problem = exc.problem
        if problem.startswith(readers.NO_HEADER.split(":")[0]):  # in a file or in every sheet
            problem = NO_HEADER  # the reader's words are about pupils' files
        raise DecisionsError(f"decisions file {name}: {problem}") from None
    if not tables:
        raise DecisionsError(f"decisions file {name}: {NO_HEADER}")
    rows = []
    undecided = 0
    for table in tables:  # a workbook's sheets one after another
        frame = table.frame.rename(columns=lambda c: _NAMES.get(header_key(c), c))
        where = table.label
        for column in REQUIRED:
            if column not in frame:
                raise DecisionsError(f"decisions file {where}: no column {column}")
        for i, row in enumerate(frame.to_dict("records")):
            number = int(table.rows[i])
            decision = _value(row["decision"])
            if not decision:
                undecided += 1
                continue
            if decision not in VALUES:
                raise DecisionsError(
                    f"decisions file {where}, row {number}, column decision: a value other "
                    f"than '{MATCH}' or '{NOT_A_MATCH}' ({shape(row['decision'])})")
            for column in IDS:
                if not row[column].strip():
                    raise DecisionsError(f"decisions file {where}, row {number}, column "
                                         f"{column}: empty, but the row has a decision")
            rows.append({"file": where, "row": number,
                         **{c: row.get(c, "").strip() for c in OPTIONAL},
                         **{c: row[c].strip() for c in IDS},
                         "match": VALUES[decision]})
    table = pd.DataFrame(rows, columns=COLUMNS)
    _check_pairs(table)
    return Decisions(table, undecided)


def _place(table: pd.DataFrame, i: int) -> str:
    return f"decisions file {table['file'].iat[i]}, row {table['row'].iat[i]}"


def _check_pairs(table: pd.DataFrame) -> None:
    """One decision per pair, and one confirmed candidate per received record."""
    pair = ["authority", "source", "record_id", "matched_dataset", "matched_record_id"]
    again = table.duplicated(pair, keep="first").to_numpy()
    if again.any():
        i = int(np.flatnonzero(again)[0])
        first = table.index[(table[pair] == table[pair].iloc[i]).all(axis=1)][0]
        raise DecisionsError(
            f"{_place(table, i)}, column decision: a second decision on the pair of row "
            f"{table['row'].iat[first]}; keep one")
    confirmed = table[table["match"]]
    twice = confirmed.duplicated(["authority", "source", "record_id"], keep="first").to_numpy()
    if twice.any():
        i = int(confirmed.index[np.flatnonzero(twice)[0]])
        raise DecisionsError(
            f"{_place(table, i)}, column decision: the received record is already confirmed "
            "as the match of another candidate; a record has one match")


def for_authority(decisions: Decisions, authority: str, authorities: Sequence[str],
                  prepared: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The decisions on ``authority``'s records, each pair's ``source`` and ``matched_dataset``
    filled in, checked against its records (``prepared``: every source of the LA, standardised
    or not). Raises DecisionsError naming the row and column of an unknown authority or id."""
    table = decisions.table
    if not len(table):
        return table
    given = table["authority"].map(header_key)
    known = {header_key(a): a for a in authorities}
    if len(authorities) > 1 and (given == "").any():
        i = int(np.flatnonzero(given == "")[0])
        raise DecisionsError(f"{_place(table, i)}, column authority: empty, and this run has "
                             f"{len(authorities)} LAs: say whose records each decision is on")
    unknown = (given != "") & ~given.isin(list(known))
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise DecisionsError(f"{_place(table, i)}, column authority: not an LA of this run")
    mine = table[(given == "") | (given == header_key(authority))].reset_index(drop=True)
    ids = {name: set(frame["record_id"]) for name, frame in prepared.items()}
    filled = [_fill(mine, i, ids) for i in range(len(mine))]
    if filled:
        mine[["source", "matched_dataset"]] = filled
    _check_pairs(mine)  # again, now that every pair names its source and dataset
    return mine


def _fill(table: pd.DataFrame, i: int, ids: dict[str, set]) -> tuple[str, str]:
    """Row ``i``'s source and candidate dataset, from the records holding its ids."""
    row = table.iloc[i]
    place = _place(table, i)
    if row["source"] and row["source"] not in RECEIVED_SOURCES:
        raise DecisionsError(f"{place}, column source: not a received source "
                             f"({', '.join(RECEIVED_SOURCES)})")
    sources = [row["source"]] if row["source"] else list(RECEIVED_SOURCES)
    holding = [s for s in sources if row["record_id"] in ids.get(s, ())]
    if len(holding) != 1:
        problem = ("no received record of this LA has this id" if not holding else
                   "two received sources hold this id: give the source column")
        raise DecisionsError(one_line(f"{place}, column record_id: {problem}"))
    source = holding[0]
    targets = [row["matched_dataset"]] if row["matched_dataset"] else MATCHED_AGAINST[source]
    found = [d for d in targets
             if d in MATCHED_AGAINST[source] and row["matched_record_id"] in ids.get(d, ())]
    if len(found) != 1:
        problem = ("no record this source is matched against has this id" if not found else
                   "two datasets hold this id: give the matched_dataset column")
        raise DecisionsError(one_line(f"{place}, column matched_record_id: {problem}"))
    return source, found[0]


# -- kept in the run folder between the command and the link stage -----------------------------

STORED = "review_decisions.json"


def store(decisions: Decisions | None, folder: Path) -> None:
    """Keep ``decisions`` (ids and decisions only) in ``folder`` for the link stage, or remove
    any an earlier run kept: decisions apply only to the run they are given to."""
    path = folder / STORED
    if decisions is None:
        path.unlink(missing_ok=True)
        return
    folder.mkdir(parents=True, exist_ok=True)
    rows = decisions.table.astype({"row": int, "match": bool}).to_dict("records")
    path.write_text(json.dumps({"undecided": decisions.undecided, "decisions": rows},
                               indent=1, sort_keys=True) + "\n", encoding="utf-8")


def stored(folder: Path) -> Decisions | None:
    """The decisions kept in ``folder`` by ``store``, or None."""
    path = folder / STORED
    if not path.is_file():
        return None
    kept = json.loads(path.read_text(encoding="utf-8"))
    return Decisions(pd.DataFrame(kept["decisions"], columns=COLUMNS), kept["undecided"])
