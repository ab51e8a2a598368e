"""cme_eval.evaluate.quality: each engine judged against the truth, with true partners lost at
blocking, on hand-made records (plain frames, no run folder)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cme_eval.evaluate.accuracy import QUALITY_COLUMNS, with_pooled
from cme_eval.evaluate.quality import linkage_quality, lost_at_blocking_flags, mechanism_reach
from cme_eval.inputs.schema import MATCHED_AGAINST
from cme_eval.inputs.standardise import prepare
from cme_eval.linkage.spec import DEFAULT_BLOCKING

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


# -- injected name variants, split by what the linker's own name knowledge recognises ----------

VARIANT_SOURCES = {name: _records(name, []) for name in SOURCES}
VARIANT_SOURCES["nwssp"] = _records("nwssp", [
    ("V1", "David", "Price", "2014-01-02", "1 Bryn Road", "LL55 1AA"),  # Dafydd: known
    ("V2", "Dai", "Price", "2013-03-04", "2 Bryn Road", "LL55 1AB"),  # Dafydd: pet form, unknown
    ("V3", "Gwil", "Owen", "2012-05-06", "3 Bryn Road", "LL55 1AD"),  # Gwilym: pet form, unknown
    ("V4", "Hughes", "Tom", "2015-07-08", "4 Bryn Road", "LL55 1AE"),  # Thomas, names swapped
])
VARIANT_SOURCES["plasc"] = _records("plasc", [
    ("Q1", "Dafydd", "Price", "2014-01-02", "1 Bryn Road", "LL55 1AA"),
    ("Q2", "Dafydd", "Price", "2013-03-04", "2 Bryn Road", "LL55 1AB"),
    ("Q3", "Gwil", "Owen", "2012-05-06", "3 Bryn Road", "LL55 1AD"),  # no clean record of v3
    ("Q4", "Thomas", "Hughes", "2015-07-08", "4 Bryn Road", "LL55 1AE"),
])
VARIANT_TRUTH = pd.DataFrame({
    "record_id": ["V1", "V2", "V3", "V4", "Q1", "Q2", "Q3", "Q4"],
    "person_id": ["v1", "v2", "v3", "v4", "v1", "v2", "v3", "v4"],
    "source": ["nwssp"] * 4 + ["plasc"] * 4,
    "errors": ["welsh_english_variant", "preferred_forename", "preferred_forename",
               "preferred_forename;forename_surname_swap", "", "", "preferred_forename", ""],
})
VARIANT_PEOPLE = pd.DataFrame({"person_id": ["v1", "v2", "v3", "v4"],
                               "forename": ["Dafydd", "Dafydd", "Gwilym", "Thomas"]})


def _variant_table(people=None):
    # The engine links the variant it knows (V1) and the swapped Tom (V4), and misses the rest.
    links = {"V1": "Q1", "V4": "Q4"}
    rows = [{"record_id": r, "source": "nwssp", "outcome": "perfect" if r in links else
             "not_matched", "matched_record_id": links.get(r, ""),
             "matched_dataset": "plasc" if r in links else "", "score": "", "reason": ""}
            for r in ("V1", "V2", "V3", "V4")]
    return linkage_quality(VARIANT_SOURCES, VARIANT_TRUTH, {"rl": pd.DataFrame(rows)},
                           authority="Gwynedd", reference_date=REF, blocking=DEFAULT_BLOCKING,
                           main_engine="rl", central_matching=False, people=people)


def _mechanisms(table):
    rows = table.query("source == 'Total'").set_index("mechanism")
    return rows[["records", "correct_links", "recall"]]


def test_name_variants_are_split_by_what_the_linker_knows():
    rows = _mechanisms(_variant_table(VARIANT_PEOPLE))
    # Dafydd -> David is a Welsh/English pair the linker knows; Dafydd -> Dai and Gwilym -> Gwil
    # are pet forms only the generator's table holds; Tom (sent as the surname) is a nickname.
    assert rows.loc["welsh_english_variant (known to linker)"].tolist() == [1, 1, 1.0]
    assert rows.loc["welsh_english_variant (unknown to linker)", "records"] == 0
    assert rows.loc["preferred_forename (known to linker)"].tolist() == [1, 1, 1.0]
    assert rows.loc["preferred_forename (unknown to linker)"].tolist() == [2, 0, 0.0]
    assert rows.loc["preferred_forename", "records"] == 3  # the whole mechanism, as before
    assert list(_variant_table(VARIANT_PEOPLE).columns) == QUALITY_COLUMNS


def test_without_the_people_true_forenames_come_from_records_without_errors():
    rows = _mechanisms(_variant_table())
    # v3 has no record free of errors: its V3 is in neither part; the others as with people.
    assert rows.loc["preferred_forename (unknown to linker)"].tolist() == [1, 0, 0.0]
    assert rows.loc["preferred_forename (known to linker)"].tolist() == [1, 1, 1.0]
    assert rows.loc["welsh_english_variant (known to linker)", "records"] == 1


def test_name_variant_known_labels_each_injected_record():
    from cme_eval.evaluate.accuracy import name_variant_known, true_forenames

    records = pd.concat(VARIANT_SOURCES.values(), ignore_index=True)
    label = name_variant_known(VARIANT_TRUTH, records,
                               true_forenames(VARIANT_TRUTH, records, VARIANT_PEOPLE))
    assert label.to_dict() == {"V1": "known to linker", "V2": "unknown to linker",
                               "V3": "unknown to linker", "V4": "known to linker",
                               "Q3": "unknown to linker"}


def test_a_variant_equal_once_folded_is_known_and_a_blanked_one_is_not():
    from cme_eval.evaluate.accuracy import name_variant_known

    truth = pd.DataFrame({"record_id": ["A", "B", "C"], "person_id": ["a", "b", "c"],
                          "errors": ["preferred_forename", "preferred_forename;missing_forename",
                                     "missing_forename"]})
    records = pd.DataFrame({"record_id": ["A", "B", "C"], "forename": ["Sian", "", ""],
                            "surname": ["Jones"] * 3})
    label = name_variant_known(truth, records, pd.Series({"a": "Siân", "b": "Thomas",
                                                          "c": "Thomas"}))
    assert label.to_dict() == {"A": "known to linker", "B": "unknown to linker"}


def test_blocking_may_be_given_per_source():
    prepared = {name: prepare(frame, REF) for name, frame in SOURCES.items()}
    person = TRUTH.set_index("record_id")["person_id"]
    # the NHS extract's own passes (here the default ones): N2 is lost as before
    per_source = {"nwssp": DEFAULT_BLOCKING}
    assert lost_at_blocking_flags(prepared, person, per_source).equals(
        lost_at_blocking_flags(prepared, person, DEFAULT_BLOCKING))
    # a pass on the birth year alone (2013 for both) brings N2 and P2 together
    reached = lost_at_blocking_flags(prepared, person, {"nwssp": (("birth_year",),)})
    assert not reached.any()
    # a source without passes of its own is not judged
    assert not lost_at_blocking_flags(prepared, person, {"plasc": DEFAULT_BLOCKING}).any()


# -- links to the child's own twin, and those whose records nothing tells apart -----------------

TWIN_SOURCES = {name: _records(name, []) for name in SOURCES}
TWIN_SOURCES["nwssp"] = _records("nwssp", [
    ("T1", "Theo", "Hall", "2014-05-06", "5 Park Road", "CF10 1AA"),
    # Amelia's NHS record carries her brother's forename (an error): alike to his in every field
    ("T2", "Theo", "Hall", "2014-05-06", "5 Park Road", "CF10 1AA"),
    ("R1", "Cai", "Reed", "2012-02-02", "6 Park Road", "CF10 1AB"),
    ("R2", "Ffion", "Reed", "2012-02-02", "6 Park Road", "CF10 1AB"),
])
TWIN_SOURCES["plasc"] = _records("plasc", [
    ("S1", "Theo", "Hall", "2014-05-06", "5 Park Road", "CF10 1AA"),
    ("S2", "Amelia", "Hall", "2014-05-06", "5 Park Road", "CF10 1AA"),
    ("Q2", "Ffion", "Reed", "2012-02-02", "6 Park Road", "CF10 1AB"),  # Cai: not at school
])
TWIN_TRUTH = pd.DataFrame({
    "record_id": ["T1", "T2", "R1", "R2", "S1", "S2", "Q2"],
    "person_id": ["t1", "t2", "c1", "c2", "t1", "t2", "c2"],
    "source": ["nwssp"] * 4 + ["plasc"] * 3,
    "errors": ["", "copied_from_household", "", "", "", "", ""],
})
TWIN_PEOPLE = pd.DataFrame({"person_id": ["t1", "t2", "c1", "c2"],
                            "forename": ["Theo", "Amelia", "Cai", "Ffion"],
                            "twin_person_id": ["t2", "t1", "c2", "c1"]})


def _twin_table(links, people=TWIN_PEOPLE):
    rows = [{"record_id": r, "source": "nwssp", "outcome": "partial" if r in links else
             "not_matched", "matched_record_id": links.get(r, ""),
             "matched_dataset": "plasc" if r in links else "", "score": "", "reason": ""}
            for r in ("T1", "T2", "R1", "R2")]
    table = linkage_quality(TWIN_SOURCES, TWIN_TRUTH, {"rl": pd.DataFrame(rows)},
                            authority="Cardiff", reference_date=REF, blocking=DEFAULT_BLOCKING,
                            main_engine="rl", central_matching=False, people=people)
    return _total(table, "rl")


def test_a_link_to_the_twin_is_counted_and_told_apart_when_the_records_are_alike():
    # Two NHS records named Theo Hall: which took Theo's pupil record was chance, so Amelia's
    # taking it is a merge the data made; Cai taking his sister's is the linker's own
    alike = _twin_table({"T1": "S2", "T2": "S1", "R2": "Q2"})
    assert (alike.twins_merged, alike.twins_merged_alike) == (2, 2)
    seen = _twin_table({"T1": "S1", "T2": "S2", "R1": "Q2"})
    assert (seen.twins_merged, seen.twins_merged_alike) == (1, 0)
    right = _twin_table({"T1": "S1", "T2": "S2", "R2": "Q2"})
    assert (right.twins_merged, right.twins_merged_alike) == (0, 0)


def test_without_the_truths_twins_the_twin_counts_are_unknown_not_zero():
    total = _twin_table({"T2": "S1"}, people=TWIN_PEOPLE.drop(columns="twin_person_id"))
    assert pd.isna(total.twins_merged) and pd.isna(total.twins_merged_alike)
    pooled = with_pooled(pd.DataFrame([total]))
    assert pd.isna(pooled.iloc[-1]["twins_merged"])


# -- how far recall on one mechanism can go ------------------------------------------------------

REACH_SOURCES = dict(TWIN_SOURCES)
REACH_SOURCES["nwssp"] = pd.concat([TWIN_SOURCES["nwssp"], _records("nwssp", [
    ("U1", "Owen", "Lane", "2011-01-01", "7 Park Road", "CF10 1AC")])], ignore_index=True)
REACH_SOURCES["plasc"] = pd.concat([TWIN_SOURCES["plasc"], _records("plasc", [
    ("V1", "Owen", "Lane", "2011-01-01", "7 Park Road", "CF10 1AC")])], ignore_index=True)
REACH_TRUTH = pd.DataFrame({
    "record_id": ["T1", "T2", "R1", "R2", "U1", "S1", "S2", "Q2", "V1"],
    "person_id": ["t1", "t2", "c1", "c2", "u1", "t1", "t2", "c2", "u1"],
    "source": ["nwssp"] * 5 + ["plasc"] * 4,
    # T2: alike her twin T1 in every field; R1: no partner (not judged); R2: two errors;
    # U1: the error alone.
    "errors": ["", "copied_from_household", "copied_from_household",
               "outdated_address;copied_from_household", "copied_from_household", "", "", "",
               ""],
})


def _reach(links):
    rows = [{"record_id": r, "source": "nwssp", "outcome": "partial" if r in links else
             "not_matched", "matched_record_id": links.get(r, ""),
             "matched_dataset": "plasc" if r in links else "", "score": "", "reason": ""}
            for r in ("T1", "T2", "R1", "R2", "U1")]
    table = mechanism_reach(pd.DataFrame(rows), REACH_TRUTH, REACH_SOURCES, reference_date=REF,
                            central_matching=False, mechanism="copied_from_household")
    return table.set_index("kind")


def test_reach_splits_a_mechanisms_records_by_what_a_linker_could_tell():
    table = _reach({"T2": "S1", "R2": "Q2", "U1": "V1"})
    assert table.loc["alike another child", ["records", "linked_to_own"]].tolist() == [1, 0]
    assert table.loc["this error alone", ["records", "linked_to_own"]].tolist() == [1, 1]
    assert table.loc["with other errors", ["records", "linked_to_own"]].tolist() == [1, 1]
    assert table.loc["all", ["records", "linked_to_own"]].tolist() == [3, 2]
    assert table.loc["all", "recall"] == pytest.approx(2 / 3)


def test_reach_counts_each_kind_even_when_none_is_linked_and_leaves_an_empty_kind_unknown():
    table = _reach({})
    assert table["linked_to_own"].tolist() == [0, 0, 0, 0]
    assert table.loc["all", "recall"] == 0
    owen = pd.DataFrame([{"record_id": "U1", "source": "nwssp", "outcome": "partial",
                          "matched_record_id": "V1", "matched_dataset": "plasc", "score": "",
                          "reason": ""}])
    lone = mechanism_reach(owen, REACH_TRUTH[REACH_TRUTH["record_id"].isin(["U1", "V1"])],
                           REACH_SOURCES, reference_date=REF, central_matching=False,
                           mechanism="copied_from_household")
    assert lone.set_index("kind").loc["alike another child", "records"] == 0
    assert pd.isna(lone.set_index("kind").loc["alike another child", "recall"])
