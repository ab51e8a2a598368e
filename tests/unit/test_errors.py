"""cme_eval.synth.errors: the error model, applied at declared rates with its truth kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from pandas.testing import assert_frame_equal, assert_series_equal

from cme_eval.config import load_scenario
from cme_eval.synth.errors import (
    ERROR_TYPES,
    KEY_NEIGHBOURS,
    REGISTRY,
    ErrorContext,
    ErrorType,
    _record_keys,
    apply_errors,
    fold_diacritics,
    keyboard_typo,
)
from cme_eval.synth.population import AddressFactory


def osa_distance(a: str, b: str) -> int:
    """Reference optimal-string-alignment distance (insert, delete, substitute, transpose)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def test_reference_distance_sanity():
    assert osa_distance("jones", "jnoes") == 1
    assert osa_distance("jones", "jone") == 1
    assert osa_distance("jones", "jomes") == 1
    assert osa_distance("jones", "jomes ") == 2


FAKE_ADDRESS = ("99 New Road, Nowhere", "ZZ9 9ZZ")
CTX = ErrorContext(new_addresses=lambda rngs: pd.DataFrame(
    {"address": [FAKE_ADDRESS[0]] * len(rngs), "postcode": [FAKE_ADDRESS[1]] * len(rngs)}))


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "person_id": ["p0", "p1", "p2", "p3", "p4", "p5"],
        "forename": ["Siân", "Thomas", "Llŷr", "Zoë", "Megan", "Dafydd"],
        "surname": ["Jones", "Ó Briain", "Evans", "Hughes", "Öztürk", "Bowen"],
        "dob": ["2014-05-06", "2014-05-05", "2014-05-20", "2014-12-01", "2013-01-13",
                "2012-11-03"],
        "address": ["1 A St", "2 B St", "3 C St", "4 D St", "5 E St", "6 F St"],
        "postcode": ["LL77 7AB", "", "LL68 9ZZ", "LL65 1AA", "", "CF10 1AA"],
    }, index=[10, 11, 12, 13, 14, 15])


# ------------------------------------------------------------------------------------------
# Single-value functions


def test_keyboard_neighbours_by_hand():
    assert set(KEY_NEIGHBOURS["a"]) == set("qwszx")
    assert set(KEY_NEIGHBOURS["g"]) == set("fhrtyvbn")
    assert set(KEY_NEIGHBOURS["p"]) == set("ol")
    assert all(ch not in near for ch, near in KEY_NEIGHBOURS.items())


@pytest.mark.parametrize("value", ["Megan", "Rhys", "Pritchard", "Gwenllian", "Ab"])
def test_keyboard_typo_is_exactly_one_edit(value):
    distances = {osa_distance(value, keyboard_typo(value, np.random.default_rng(s)))
                 for s in range(200)}
    if any(value[k] == value[k + 1] for k in range(len(value) - 1)):
        # a transposition of two equal letters leaves the value unchanged
        assert distances <= {0, 1}
    else:
        assert distances == {1}


def test_keyboard_typo_covers_all_four_kinds_of_slip():
    value = "rhys"
    results = {keyboard_typo(value, np.random.default_rng(s)) for s in range(300)}
    assert any(len(r) == 3 for r in results)  # dropped letter
    assert any(len(r) == 5 for r in results)  # doubled letter
    assert "hrys" in results or "rysh" in results or "rhsy" in results or "ryhs" in results
    substituted = [r for r in results if len(r) == 4 and sorted(r) != sorted(value)]
    assert substituted
    for r in substituted:
        (i,) = [k for k in range(4) if r[k] != value[k]]
        assert r[i] in KEY_NEIGHBOURS[value[i]]


@pytest.mark.parametrize("value", ["", "A"])
def test_keyboard_typo_leaves_one_letter_alone(value):
    assert keyboard_typo(value, np.random.default_rng(0)) == value


@pytest.mark.parametrize(
    "raw, folded",
    [("Siân", "Sian"), ("Llŷr", "Llyr"), ("Ó Briain", "O Briain"), ("Zoë", "Zoe"),
     ("Jones", "Jones")],
)
def test_fold_diacritics(raw, folded):
    assert fold_diacritics(raw) == folded


# ------------------------------------------------------------------------------------------
# apply_errors


def test_rate_zero_changes_nothing():
    df = _frame()
    out, applied = apply_errors(df, source="nwssp", rates={e: 0.0 for e in ERROR_TYPES},
                                seed=1, authority="Powys", context=CTX)
    assert_frame_equal(out, df.reset_index(drop=True))
    assert applied == [[]] * 6


def test_a_records_errors_do_not_depend_on_the_other_records_in_the_frame():
    # a what-if that drops records (a quarterly extract, fewer returns) must not redraw the rest
    big = pd.concat([_frame().assign(person_id=lambda d, k=k: d.person_id + f"-{k}")
                     for k in range(40)], ignore_index=True)
    rates = {"surname_typo": 0.3, "missing_postcode": 0.3, "duplicate_record": 0.2}
    all_out, all_applied = apply_errors(big, source="nwssp", rates=rates, seed=3,
                                        authority="Powys", context=CTX)
    keep = big.index % 3 != 0
    some_out, some_applied = apply_errors(big[keep], source="nwssp", rates=rates, seed=3,
                                          authority="Powys", context=CTX)
    originals = {pid: errs for pid, errs in zip(big.person_id, all_applied[:len(big)],
                                                strict=True)}
    kept_ids = big.person_id[keep].tolist()
    assert [originals[p] for p in kept_ids] == some_applied[:len(kept_ids)]
    assert sum(map(bool, some_applied)) > 20  # errors were drawn at all
    # and the kept records that were duplicated are the same ones
    copied = set(all_out.person_id[len(big):])
    assert set(some_out.person_id[len(kept_ids):]) == copied & set(kept_ids)


# A frame in which every error type applies to many records: 40 copies of _frame(), each copy
# two households of three siblings (for copied_from_household), with real addresses drawn for
# outdated_address. Every third person is dropped for the what-if.
FIELDS = ["forename", "surname", "dob", "address", "postcode"]


@pytest.fixture(scope="module")
def many():
    frame = pd.concat([_frame().assign(person_id=lambda d, k=k: d.person_id + f"-{k}")
                       for k in range(40)], ignore_index=True)
    frame["uprn"] = np.arange(len(frame), dtype="int64") + 10_090_000_000
    people = frame.assign(household_id=[f"h{i // 3}" for i in range(len(frame))])
    factory = AddressFactory(load_scenario("smoke", authorities=["Powys"]), "Powys")
    ctx = ErrorContext(new_addresses=factory.make_each, people=people)
    return frame, ctx


def _by_record(out: pd.DataFrame) -> pd.DataFrame:
    return out.set_index(_record_keys(out).to_numpy())[[*FIELDS, "uprn"]]


def _what_if_drop(frame, ctx, rates, seed=11):
    everyone, applied_all = apply_errors(frame, source="nwssp", rates=rates, seed=seed,
                                         authority="Powys", context=ctx)
    keep = np.arange(len(frame)) % 3 != 0
    fewer, applied_fewer = apply_errors(frame[keep], source="nwssp", rates=rates, seed=seed,
                                        authority="Powys", context=ctx)
    return everyone, applied_all, fewer, applied_fewer


@pytest.mark.parametrize("error", REGISTRY, ids=lambda e: e.name)
def test_dropping_records_leaves_every_other_records_error_values_alone(many, error):
    # not only which errors a record gets, but what they make of it: the same typo, the same
    # new address, the same sibling's value, the same date format
    frame, ctx = many
    everyone, applied_all, fewer, applied_fewer = _what_if_drop(frame, ctx, {error.name: 0.8})
    all_records, some_records = _by_record(everyone), _by_record(fewer)
    assert set(some_records.index) <= set(all_records.index)
    assert_frame_equal(some_records, all_records.loc[some_records.index])
    errors_all = dict(zip(all_records.index, applied_all, strict=True))
    assert [errors_all[k] for k in some_records.index] == applied_fewer
    # the type did something to the kept records, so the comparison means something
    assert sum(error.name in a for a in applied_fewer) > 10


def test_dropping_records_leaves_the_others_values_alone_with_every_type_at_once(many):
    frame, ctx = many
    rates = {e.name: 0.5 for e in REGISTRY}
    everyone, applied_all, fewer, applied_fewer = _what_if_drop(frame, ctx, rates, seed=5)
    all_records, some_records = _by_record(everyone), _by_record(fewer)
    assert_frame_equal(some_records, all_records.loc[some_records.index])
    errors_all = dict(zip(all_records.index, applied_all, strict=True))
    assert [errors_all[k] for k in some_records.index] == applied_fewer
    assert len(fewer) > int((np.arange(len(frame)) % 3 != 0).sum())  # duplicates among them
    changed = some_records.ne(_by_record(frame.iloc[np.arange(len(frame)) % 3 != 0])
                              .reindex(some_records.index))
    assert changed[FIELDS].any(axis=0).all()  # every field changed somewhere


def test_record_order_does_not_change_a_records_error_values(many):
    frame, ctx = many
    rates = {e.name: 0.5 for e in REGISTRY}
    forward, _ = apply_errors(frame, source="nwssp", rates=rates, seed=5, authority="Powys",
                              context=ctx)
    backward, _ = apply_errors(frame.iloc[::-1], source="nwssp", rates=rates, seed=5,
                               authority="Powys", context=ctx)
    a, b = _by_record(forward), _by_record(backward)
    assert_frame_equal(b.loc[a.index], a)


def test_row_noise_has_no_apply_function_and_field_errors_need_one():
    assert ERROR_TYPES["duplicate_record"].apply is None
    assert all(e.apply is not None for e in REGISTRY if not e.row_noise)
    with pytest.raises(ValueError, match="row noise"):
        ErrorType("bad", (), "row noise with an apply", lambda df, rows, rngs, ctx: rows,
                  row_noise=True)
    with pytest.raises(ValueError, match="row noise"):
        ErrorType("bad", ("forename",), "a field error without an apply")


def test_input_frame_is_not_modified():
    df = _frame()
    copy = df.copy()
    apply_errors(df, source="nwssp", rates={e: 1.0 for e in ERROR_TYPES}, seed=1,
                 authority="Powys", context=CTX)
    assert_frame_equal(df, copy)


def test_rate_one_typos_apply_to_every_row():
    out, applied = apply_errors(_frame(), source="nwssp", rates={"surname_typo": 1.0},
                                seed=3, authority="Powys", context=CTX)
    # no surname has a doubled letter, so every typo is visible
    assert applied == [["surname_typo"]] * 6
    assert all(osa_distance(a, b) == 1 for a, b in zip(_frame().surname, out.surname,
                                                          strict=True))


def test_rate_one_dropped_diacritics_only_where_there_is_one():
    out, applied = apply_errors(_frame(), source="nwssp", rates={"dropped_diacritics": 1.0},
                                seed=1, authority="Powys", context=CTX)
    assert out["forename"].tolist() == ["Sian", "Thomas", "Llyr", "Zoe", "Megan", "Dafydd"]
    assert out["surname"].tolist() == ["Jones", "O Briain", "Evans", "Hughes", "Ozturk", "Bowen"]
    assert applied == [["dropped_diacritics"], ["dropped_diacritics"], ["dropped_diacritics"],
                       ["dropped_diacritics"], ["dropped_diacritics"], []]


def test_rate_one_dob_swap_only_where_day_at_most_12_and_not_equal_to_month():
    out, applied = apply_errors(_frame(), source="nwssp", rates={"dob_day_month_swap": 1.0},
                                seed=1, authority="Powys", context=CTX)
    # 06/05 -> swap; 05/05 same; 20/05 day > 12; 01/12 -> swap; 13/01 day > 12; 03/11 -> swap
    assert out["dob"].tolist() == ["2014-06-05", "2014-05-05", "2014-05-20", "2014-01-12",
                                   "2013-01-13", "2012-03-11"]
    assert applied == [["dob_day_month_swap"], [], [], ["dob_day_month_swap"], [],
                       ["dob_day_month_swap"]]


def test_dob_swap_with_no_applicable_row():
    df = _frame().iloc[[1, 2, 4]]
    out, applied = apply_errors(df, source="nwssp", rates={"dob_day_month_swap": 1.0},
                                seed=1, authority="Powys", context=CTX)
    assert_series_equal(out["dob"], df["dob"].reset_index(drop=True))
    assert applied == [[], [], []]


def test_rate_one_missing_postcode_only_where_there_was_one():
    out, applied = apply_errors(_frame(), source="nwssp", rates={"missing_postcode": 1.0},
                                seed=1, authority="Powys", context=CTX)
    assert out["postcode"].tolist() == [""] * 6
    assert applied == [["missing_postcode"], [], ["missing_postcode"], ["missing_postcode"], [],
                       ["missing_postcode"]]


def test_rate_one_preferred_forename_only_where_a_variant_is_known():
    out, applied = apply_errors(_frame(), source="nwssp", rates={"preferred_forename": 1.0},
                                seed=1, authority="Powys", context=CTX)
    # From data/name_variants.csv (both directions): Siân: Jane, Jean, Sian; Thomas: Tom,
    # Tommy, Tomos; Llŷr: Llyr; Megan: Margaret, Meghan; Dafydd: Dai, Deio, Dafs, David,
    # Dafyd. Zoë has no variant.
    assert out.loc[0, "forename"] in {"Jane", "Jean", "Sian"}
    assert out.loc[1, "forename"] in {"Tom", "Tommy", "Tomos"}
    assert out.loc[2, "forename"] == "Llyr"
    assert out.loc[3, "forename"] == "Zoë"
    assert out.loc[4, "forename"] in {"Margaret", "Meghan"}
    assert out.loc[5, "forename"] in {"Dai", "Deio", "Dafs", "David", "Dafyd"}
    assert applied == [["preferred_forename"]] * 3 + [[]] + [["preferred_forename"]] * 2


def test_rate_one_outdated_address_replaces_address_and_postcode():
    out, applied = apply_errors(_frame(), source="plasc", rates={"outdated_address": 1.0},
                                seed=1, authority="Powys", context=CTX)
    assert out["address"].tolist() == [FAKE_ADDRESS[0]] * 6
    assert out["postcode"].tolist() == [FAKE_ADDRESS[1]] * 6
    assert applied == [["outdated_address"]] * 6


def test_realised_rate_is_near_the_declared_rate():
    base = pd.DataFrame({"person_id": range(4000), "forename": ["Megan"] * 4000,
                         "surname": ["Bowen"] * 4000, "dob": ["2014-05-20"] * 4000,
                         "address": ["x"] * 4000, "postcode": ["LL77 7AB"] * 4000})
    _, applied = apply_errors(base, source="nwssp", rates={"missing_postcode": 0.25}, seed=5,
                              authority="Powys", context=CTX)
    share = sum(bool(a) for a in applied) / 4000
    # binomial sd = sqrt(.25 * .75 / 4000) ~ 0.0068; allow ~4 sd
    assert abs(share - 0.25) < 0.03


def test_one_error_rate_does_not_reshuffle_another():
    base = pd.concat([_frame()] * 20, ignore_index=True)
    a, applied_a = apply_errors(base, source="nwssp", rates={"forename_typo": 0.5}, seed=2,
                                authority="Powys", context=CTX)
    b, applied_b = apply_errors(base, source="nwssp",
                                rates={"forename_typo": 0.5, "surname_typo": 0.7}, seed=2,
                                authority="Powys", context=CTX)
    assert_series_equal(a["forename"], b["forename"])
    assert [("forename_typo" in x) for x in applied_a] == [("forename_typo" in x)
                                                           for x in applied_b]
    assert not a["surname"].equals(b["surname"])


def test_same_seed_same_errors_other_authority_other_errors():
    base = pd.concat([_frame()] * 20, ignore_index=True)
    rates = {"forename_typo": 0.5}
    a, _ = apply_errors(base, source="nwssp", rates=rates, seed=2, authority="Powys",
                        context=CTX)
    b, _ = apply_errors(base, source="nwssp", rates=rates, seed=2, authority="Powys",
                        context=CTX)
    c, _ = apply_errors(base, source="nwssp", rates=rates, seed=2, authority="Gwynedd",
                        context=CTX)
    assert_frame_equal(a, b)
    assert not a["forename"].equals(c["forename"])


def test_registry_is_ordered_and_fields_declared():
    names = list(ERROR_TYPES)
    # row noise first (a duplicate gets its own field errors); the date format last
    assert names[0] == "duplicate_record" and ERROR_TYPES["duplicate_record"].row_noise
    assert names[-1] == "dob_format_variety"
    assert names.index("dob_day_month_swap") < names.index("dob_format_variety")
    assert ERROR_TYPES["outdated_address"].fields == ("address", "postcode", "uprn")
    assert_array_equal(np.asarray(ERROR_TYPES["dropped_diacritics"].fields),
                       np.asarray(["forename", "surname"]))
    for error in ERROR_TYPES.values():
        assert error.description and (error.fields or error.row_noise), error.name


def test_outdated_addresses_are_drawn_one_per_record_generator():
    scenario = load_scenario("smoke", authorities=["Powys"])
    factory = AddressFactory(scenario, "Powys")
    every = factory.make_each([np.random.default_rng(s) for s in range(300)])
    some = factory.make_each([np.random.default_rng(s) for s in range(0, 300, 7)])
    assert_frame_equal(some, every.iloc[::7].reset_index(drop=True))
    batch = factory.make(np.random.default_rng(0), 300)
    assert list(every.columns) == list(batch.columns)
    assert every.dtypes.equals(batch.dtypes)
    districts = set(factory.la.postcode_districts)
    assert set(every["postcode"].str.split(" ").str[0]) <= districts
    assert every["postcode"].str.fullmatch(r"[A-Z]+\d+ \d[A-Z]{2}").all()
    assert every["address"].str.endswith(tuple(f", {t}" for t in factory.la.towns)).all()
    assert every["address"].nunique() > 290 and every["uprn"].between(10**10, 10**11).all()
    assert len(factory.make_each([])) == 0
