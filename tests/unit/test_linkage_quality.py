"""cme_eval.evaluate.quality: each engine judged against the truth, with true partners lost at
blocking, on hand-made records (plain frames, no run folder)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cme_eval.evaluate.accuracy import QUALITY_COLUMNS
from cme_eval.evaluate.quality import linkage_quality, lost_at_blocking_flags
from cme_eval.linkage.spec import DEFAULT_BLOCKING
from cme_eval.schema import MATCHED_AGAINST
from cme_eval.standardise import prepare

REF = dt.date(2024, 1, 15)
FIELDS = ["record_id", "forename", "surname", "dob", "address", "postcode"]


def _records(source, rows):
    return pd.DataFrame(rows, columns=FIELDS).assign(source=source, authority="Powys")


SOURCES = {name: _records(name, []) for sources in MATCHED_AGAINST.values() for name in sources}
SOURCES.update({name: _records(name, []) for name in MATCHED_AGAINST})
SOURCES["nwssp"] = _records("nwssp", [
    ("N1", "Ann", "Jones", "2014-05-06", "1 High Street", "LD1 5AA"),
    # Every blocking key differs from P2's (name, date of birth, postcode): lost at blocking.
    ("N2", "Robert", "Smyth", "2013-02-03", "9 Hill Road", "SY21 7BB"),
    ("N3", "Cai", "Evans", "2015-07-08", "3 Mill Lane", "NP8 1CC"),  # no partner in the LA
])
SOURCES["plasc"] = _records("plasc", [
    ("P1", "Ann", "Jones", "2014-05-06", "1 High Street", "LD1 5AA"),
    ("P2", "Bob", "Smith", "2013-03-02", "9 Hill Rd", "SY21 7BD"),
])
SOURCES["independent"] = _records("independent", [
    ("I1", "Dewi", "Price", "2012-01-01", "School House", "LD3 0DD"),
])
TRUTH = pd.DataFrame({
    "record_id": ["N1", "N2", "N3", "P1", "P2", "I1", "W3"],
    "person_id": ["p1", "p2", "p3", "p1", "p2", "p4", "p3"],
    "source": ["nwssp", "nwssp", "nwssp", "plasc", "plasc", "independent", "plasc_wales"],
    "errors": ["", "typo", "", "", "", "", ""],
})


def _outcomes(links):
    rows = []
    for record_id, source in (("N1", "nwssp"), ("N2", "nwssp"), ("N3", "nwssp"),
                              ("I1", "independent")):
        matched = links.get(record_id, "")
        rows.append({"record_id": record_id, "source": source,
                     "outcome": "perfect" if matched else "not_matched",
                     "matched_record_id": matched, "matched_dataset": "plasc" if matched else "",
                     "score": "", "reason": ""})
    return pd.DataFrame(rows)


def _total(table, engine):
    return table.query("engine == @engine and source == 'Total' and mechanism == 'all'").iloc[0]


def test_lost_at_blocking_flags_only_true_partners_no_blocking_pass_reaches():
    prepared = {name: prepare(frame, REF) for name, frame in SOURCES.items()}
    person = TRUTH.set_index("record_id")["person_id"]
    lost = lost_at_blocking_flags(prepared, person, DEFAULT_BLOCKING)
    assert lost[lost].index.tolist() == ["N2"]
    assert set(lost.index) == {"N1", "N2", "N3", "P1", "P2", "I1"}


def test_each_engine_is_judged_with_lost_at_blocking_in_quality_columns():
    by_engine = {"good": _outcomes({"N1": "P1"}), "wrong": _outcomes({"N1": "P2"})}
    table = linkage_quality(SOURCES, TRUTH, by_engine, authority="Powys", reference_date=REF,
                            blocking=DEFAULT_BLOCKING, main_engine="good",
                            central_matching=False)
    assert list(table.columns) == QUALITY_COLUMNS
    assert list(dict.fromkeys(table["engine"])) == ["good", "wrong"]
    assert set(table["authority"]) == {"Powys"}
    good, wrong = _total(table, "good"), _total(table, "wrong")
    assert (good.records, good.with_true_partner, good.predicted_links, good.correct_links,
            good.lost_at_blocking) == (4, 2, 1, 1, 1)
    assert (good.precision, good.recall) == (1.0, 0.5)
    assert (wrong.correct_links, wrong.precision, wrong.recall) == (0, 0.0, 0.0)
    typo = table.query("engine == 'good' and source == 'NWSSP' and mechanism == 'typo'")
    assert typo[["records", "lost_at_blocking"]].values.tolist() == [[1, 1]]


def test_under_central_matching_only_the_main_engine_is_judged_against_all_wales_plasc():
    by_engine = {"main": _outcomes({"N1": "P1"}), "other": _outcomes({"N1": "P1"})}
    table = linkage_quality(SOURCES, TRUTH, by_engine, authority="Powys", reference_date=REF,
                            blocking=DEFAULT_BLOCKING, main_engine="main",
                            central_matching=True)
    # N3's person is on another LA's PLASC (W3): a true partner only for centrally matched NHS.
    assert _total(table, "main").with_true_partner == 3
    assert _total(table, "other").with_true_partner == 2
    assert _total(table, "main").lost_at_blocking == 1  # blocking loss is the LA's own link
