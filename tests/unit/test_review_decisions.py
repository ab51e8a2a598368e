"""A reviewer's decisions given back (issue 23, point 4): read and checked as a file
(``inputs.decisions``), then applied in the link (``linkage.review``): confirmed pairs linked
first, rejected pairs never, labelled pairs in the estimate of m."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cme_eval.evaluate.tables import table_5_1_notes_for
from cme_eval.inputs import decisions
from cme_eval.inputs.decisions import DecisionsError
from cme_eval.inputs.schema import CONFIRMED, REJECTED
from cme_eval.inputs.standardise import prepare
from cme_eval.linkage import link_prepared
from cme_eval.linkage.estimation import PRIOR_PAIRS, estimate_m, labelled_m
from cme_eval.linkage.review import Review
from cme_eval.linkage.spec import default_spec

REF = dt.date(2025, 4, 30)
COLUMNS = ["record_id", "source", "forename", "surname", "dob", "address", "postcode"]
HOME = ("12 Heol Isaf, Cardiff", "CF24 6TN")
LEFT = pd.DataFrame([
    ("N1", "nwssp", "Zebedee", "Pritchard", "2014-05-06", *HOME),  # a variant: partial
    ("N2", "nwssp", "Harry", "Jones", "2013-02-02", "4 Oak Road, Cardiff", "CF5 0WQ"),  # weak
    ("N3", "nwssp", "Megan", "Bowen", "2012-11-20", "20 Tan y Bryn", "LL59 5QQ"),  # perfect
], columns=COLUMNS)
RIGHT = pd.DataFrame([
    ("P1", "plasc", "Ziggy", "Pritchard", "2014-05-06", *HOME),
    ("P2", "plasc", "Harry", "Jones", "2013-03-02", "9 Elm Road, Newport", "NP20 1AA"),
    ("P3", "plasc", "Megan", "Bowen", "2012-11-20", "20 Tan y Bryn", "LL59 5QQ"),
], columns=COLUMNS).assign(dataset="plasc")
PREPARED = {"nwssp": LEFT, "independent": LEFT.iloc[:0], "plasc": RIGHT.drop(columns="dataset"),
            "ehe": LEFT.iloc[:0], "eotas": LEFT.iloc[:0], "out_of_county": LEFT.iloc[:0],
            "cme_register": LEFT.iloc[:0]}
HEADER = "record_id,source,forename,matched_record_id,matched_dataset,decision\n"


def _file(tmp_path: Path, body: str, header: str = HEADER, name: str = "reviewed.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def _link(decided: pd.DataFrame | None, diagnostics: list | None = None) -> pd.DataFrame:
    return link_prepared(prepare(LEFT, REF), prepare(RIGHT, REF), default_spec(),
                         reference_date=REF, decisions=decided, diagnostics=diagnostics)


def _decided(tmp_path: Path, body: str) -> pd.DataFrame:
    read = decisions.read(_file(tmp_path, body))
    return decisions.for_authority(read, "Cardiff", ["Cardiff"], PREPARED)


# -- the file ---------------------------------------------------------------------------------

def test_decisions_are_read_in_any_case_and_blank_rows_are_counted_not_applied(tmp_path):
    read = decisions.read(_file(tmp_path, "N1,nwssp,Zebedee,P1,plasc,Not A  Match\n"
                                          "N2,,Harry,P2,, MATCH \nN3,nwssp,Megan,P3,plasc,\n"))
    assert read.undecided == 1
    assert read.table[["record_id", "matched_record_id", "match", "row"]].values.tolist() == [
        ["N1", "P1", False, 2], ["N2", "P2", True, 3]]
    assert "forename" not in read.table  # names are never kept


def test_a_workbook_saved_by_excel_is_read_too(tmp_path):
    path = tmp_path / "reviewed.xlsx"
    pd.DataFrame({"Record ID": ["N1"], "matched_record_id": ["P1"],
                  "Decision": ["match"]}).to_excel(path, index=False)
    assert decisions.read(path).table["match"].tolist() == [True]


@pytest.mark.parametrize("body, where", [
    ("N1,nwssp,Zebedee,P1,plasc,yes Zebedee\n", "row 2, column decision"),
    ("N1,nwssp,Zebedee,,plasc,match\n", "row 2, column matched_record_id"),
    ("N1,nwssp,Zebedee,P1,plasc,match\nN2,nwssp,Harry,P2,plasc,match\n"
     "N1,nwssp,Zebedee,P1,plasc,not a match\n", "row 4, column decision"),
    ("N1,nwssp,Zebedee,P1,plasc,match\nN1,nwssp,Zebedee,P3,plasc,match\n",
     "row 3, column decision"),
])
def test_a_bad_decision_stops_in_one_line_naming_file_row_and_column_not_the_value(
        tmp_path, body, where):
    with pytest.raises(DecisionsError) as caught:
        decisions.read(_file(tmp_path, body))
    message = str(caught.value)
    assert "reviewed.csv" in message and where in message and "\n" not in message
    assert "Zebedee" not in message and "yes" not in message


def test_a_second_decision_names_the_first(tmp_path):
    with pytest.raises(DecisionsError, match="pair of row 2"):
        decisions.read(_file(tmp_path, "N1,nwssp,Z,P1,plasc,match\nN1,nwssp,Z,P1,plasc,match\n"))


def test_a_file_without_a_decision_column_is_refused(tmp_path):
    with pytest.raises(DecisionsError, match="reviewed.csv: no header row naming"):
        decisions.read(_file(tmp_path, "N1,P1\n", header="record_id,matched_record_id\n"))
    with pytest.raises(DecisionsError, match="missing.csv: file not found"):
        decisions.read(tmp_path / "missing.csv")


@pytest.mark.parametrize("body, where", [
    ("N9,nwssp,Zebedee,P1,plasc,match\n", "row 2, column record_id"),
    ("N1,nwssp,Zebedee,P9,plasc,match\n", "row 2, column matched_record_id"),
    ("N1,nwssp,Zebedee,P1,ehe,match\n", "row 2, column matched_record_id"),
    ("N1,plasc,Zebedee,P1,plasc,match\n", "row 2, column source"),
])
def test_ids_the_la_does_not_hold_are_refused_by_row_and_column(tmp_path, body, where):
    with pytest.raises(DecisionsError) as caught:
        _decided(tmp_path, body)
    assert where in str(caught.value) and "N9" not in str(caught.value)


def test_a_run_of_several_las_needs_the_authority_of_each_decision(tmp_path):
    read = decisions.read(_file(tmp_path, "N1,nwssp,Z,P1,plasc,match\n"))
    with pytest.raises(DecisionsError, match="row 2, column authority: empty"):
        decisions.for_authority(read, "Cardiff", ["Cardiff", "Powys"], PREPARED)
    read = decisions.read(_file(tmp_path, "Caerdydd,N1,P1,match\nPOWYS,N1,P1,match\n",
                                header="authority,record_id,matched_record_id,decision\n"))
    with pytest.raises(DecisionsError, match="row 2, column authority: not an LA of this run"):
        decisions.for_authority(read, "Powys", ["Cardiff", "Powys"], PREPARED)
    mine = decisions.for_authority(decisions.Decisions(read.table.iloc[1:]), "Powys",
                                   ["Cardiff", "Powys"], PREPARED)
    assert mine["record_id"].tolist() == ["N1"]
    assert decisions.for_authority(decisions.Decisions(read.table.iloc[1:]), "Cardiff",
                                   ["Cardiff", "Powys"], PREPARED).empty


def test_decisions_kept_for_the_link_round_trip_and_are_removed_when_not_given(tmp_path):
    read = decisions.read(_file(tmp_path, "N1,nwssp,Z,P1,plasc,match\nN2,,H,P2,,\n"))
    decisions.store(read, tmp_path / "restricted")
    kept = decisions.stored(tmp_path / "restricted")
    assert kept is not None and kept.undecided == 1
    pd.testing.assert_frame_equal(kept.table, read.table)
    decisions.store(None, tmp_path / "restricted")
    assert decisions.stored(tmp_path / "restricted") is None


# -- in the link ------------------------------------------------------------------------------

def test_without_decisions_the_link_is_as_before():
    plain = _link(None)
    assert plain["outcome"].tolist() == ["partial", "not_matched", "perfect"]


def test_confirmed_pairs_are_linked_and_rejected_ones_never(tmp_path):
    decided = _decided(tmp_path, "N1,nwssp,Z,P1,plasc,not a match\nN2,nwssp,H,P2,plasc,match\n")
    diagnostics: list = []
    out = _link(decided, diagnostics)
    assert out["outcome"].tolist() == ["not_matched", "partial", "perfect"]
    assert out["matched_record_id"].tolist() == ["", "P2", "P3"]
    assert out["reason"][0].startswith(REJECTED) and out["reason"][1].startswith(CONFIRMED)
    assert diagnostics[0]["review"] == {"given": 2, "applied": 2}
    notes = table_5_1_notes_for("Cardiff", out).set_index("source")
    assert notes.loc["Total", "matched_confirmed_by_review"] == 1
    assert notes.loc["Total", "not_matched_rejected_by_review"] == 1
    assert notes.loc["NWSSP", "matched_confirmed_by_review"] == 1


def test_a_confirmed_pair_no_blocking_pass_proposed_is_still_linked(tmp_path):
    # N2 and P3 share nothing a blocking pass keys on; the reviewer knows better
    decided = _decided(tmp_path, "N2,nwssp,H,P3,plasc,match\n")
    out = _link(decided)
    assert out.loc[1, ["outcome", "matched_record_id"]].tolist() == ["partial", "P3"]
    # P3 is taken by the reviewer's pair; N3, exact on it, does not take it as well
    assert out.loc[2, "outcome"] == "not_matched"


def test_review_positions_keep_only_this_links_pairs():
    decided = pd.DataFrame({"record_id": ["N1", "X"], "matched_dataset": ["plasc", "plasc"],
                            "matched_record_id": ["P1", "P1"], "match": [True, False]})
    review = Review.of(decided, LEFT, RIGHT)
    assert review is not None
    assert review.left.tolist() == [0] and review.right.tolist() == [0]
    pairs = pd.MultiIndex.from_arrays([[0, 1], [0, 1]])
    assert review.labels(pairs)[0] == 1.0 and np.isnan(review.labels(pairs)[1])


def test_labelled_pairs_move_m_towards_what_the_reviewer_saw():
    # 400 candidate pairs: the unlabelled ones agree on everything or nothing; 60 pairs that
    # agree on the surname only (typed wrongly, moved, a new name) look like non-matches to the
    # EM, but a reviewer labelled them matches: m of a different forename must rise
    spec = default_spec()
    rng = np.random.default_rng(0)
    n = 400
    good = rng.random(n) < 0.5
    levels = pd.DataFrame({c.name: np.where(good, 0, len(c.levels) - 1).astype(np.int8)
                           for c in spec.comparisons})
    levels.loc[:59, :] = 0
    for c in spec.comparisons:
        if c.name != "surname":
            levels.loc[:59, c.name] = len(c.levels) - 1
    u = {c.name: np.asarray([lv.u for lv in c.levels]) for c in spec.comparisons}
    plain, _ = estimate_m(levels, spec, u)
    labels = np.full(n, np.nan)
    labels[:60] = 1.0
    taught, _ = estimate_m(levels, spec, u, labels=labels)
    worst = len(spec.comparisons[0].levels) - 1
    assert taught["forename"][worst] > plain["forename"][worst] + 0.05
    assert np.isclose(taught["forename"].sum(), 1.0)


def test_labelled_m_weighs_the_reviewed_sample_up_to_the_band_it_came_from():
    # 100 exact pairs (matches by definition, all at level 0) and a partial band of 50 records
    # whose forename differs (level 1); a reviewer decided 10 of them and confirmed 8: they
    # stand for 40 matches of the band, not 8
    spec = default_spec()
    n_exact, n_band = 100, 50
    levels = pd.DataFrame({c.name: np.zeros(n_exact + n_band, dtype=np.int8)
                           for c in spec.comparisons},
                          index=pd.MultiIndex.from_arrays([np.arange(150), np.arange(150)]))
    levels.loc[levels.index[n_exact:], "forename"] = 1
    exact = np.r_[np.ones(n_exact, dtype=bool), np.zeros(n_band, dtype=bool)]
    labels = np.full(150, np.nan)
    labels[n_exact:n_exact + 8] = 1.0
    labels[n_exact + 8:n_exact + 10] = 0.0
    m = labelled_m(levels, spec, labels, exact)["forename"]
    declared_m = np.asarray([lv.m for lv in spec.comparisons[0].levels])
    expected = (np.bincount([0] * 100 + [1] * 40, minlength=len(declared_m))
                + PRIOR_PAIRS * declared_m) / (140 + PRIOR_PAIRS)
    np.testing.assert_allclose(m, expected)
    # without decisions on the band nothing but the exact pairs is counted
    none = labelled_m(levels, spec, np.full(150, np.nan), exact)["forename"]
    assert none[1] < m[1]
