"""Work done once instead of per row or per engine gives exactly what the plain way gives:
standardising each distinct value once, households grouped without a Python call each, one
blocking plan and one set of candidate pairs for every engine of a link, and no heavy import
until it is needed."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cme_eval.inputs import standardise as st


def test_per_distinct_gives_what_each_row_would(tmp_path):
    values = pd.Series(["12/03/2014", None, "", "2014-03-12", "12/03/2014", "31/02/2015",
                        " 1 Aug 2011", "41000", "12/03/2014", np.nan, "13/14/2015"] * 3,
                       index=np.arange(100, 133)[::-1])
    for fn in (lambda s: st.dates_of_birth(s, reference_year=2025),
               lambda s: st.dates_of_birth(s, reference_year=2025, date_order="auto")):
        got, expected = st._per_distinct(values, fn), fn(values.fillna("").astype(str))
        for g, e in zip(got, expected, strict=True):
            pd.testing.assert_series_equal(g, e, check_names=False)
    addresses = pd.Series(["12 High St", "Tŷ Gwyn, Heol y Bryn", None, "12 High St", "4a Rd"],
                          index=list("abcde"))
    pd.testing.assert_frame_equal(st._per_distinct(addresses, st.addresses),
                                  st.addresses(addresses.fillna("")))
    codes = pd.Series(["cf10 1aa", "CF101AA", "", "90210", "cf10 1aa"])
    for g, e in zip(st._per_distinct(codes, st.postcodes), st.postcodes(codes), strict=True):
        pd.testing.assert_series_equal(g, e, check_names=False)


def test_per_distinct_of_nothing():
    empty = pd.Series([], dtype=object)
    parsed, flags = st._per_distinct(empty, lambda s: st.dates_of_birth(s, reference_year=2025))
    assert len(parsed) == len(flags) == 0


def test_household_members_are_grouped_as_groupby_would():
    from cme_eval.synth.errors import ErrorContext

    rng = np.random.default_rng(3)
    people = pd.DataFrame({"household_id": rng.choice(["h10", "h2", "h1", "h30"], 40),
                           "person_id": [f"p{i}" for i in range(40)]})

    class Holder:  # members only reads ``people``
        pass

    holder = Holder()
    holder.people = people
    got = ErrorContext.members.func(holder)
    pd.testing.assert_series_equal(got, people.groupby("household_id")["person_id"].agg(list))


@pytest.fixture(scope="module")
def anglesey(tmp_path_factory):
    from cme_eval.config import load_scenario
    from cme_eval.inputs.ingest import read_authority
    from cme_eval.synth.sources import synthesise, write_synthetic

    folder = tmp_path_factory.mktemp("anglesey")
    scenario = load_scenario("smoke", authorities=["Isle of Anglesey"])
    write_synthetic(synthesise(scenario, "Isle of Anglesey"), folder)
    return read_authority(folder, "Isle of Anglesey"), scenario.dates.nhs_extract


def test_engines_sharing_one_plan_link_as_each_would_alone(anglesey, monkeypatch):
    from cme_eval.linkage import blocking, link_authority, prepare_sources
    from cme_eval.linkage.spec import default_spec

    sources, ref = anglesey
    prepared = prepare_sources(sources, ref)
    alone = {e: link_authority(sources, default_spec(), reference_date=ref, engine=e,
                               prepared=prepared) for e in ("recordlinkage", "excel_baseline")}
    made = []
    real = blocking.candidate_positions
    monkeypatch.setattr(blocking, "candidate_positions",
                        lambda left, *a, **k: made.append(len(left)) or real(left, *a, **k))
    shared: dict = {}
    for engine, outcomes in alone.items():
        together = link_authority(sources, default_spec(), reference_date=ref, engine=engine,
                                  prepared=prepared, shared=shared)
        pd.testing.assert_frame_equal(together, outcomes)
    # once per received source (NHS, independent), not once per engine; the duplicates pass
    # makes its own few pairs (unmatched records against matched ones of the same source)
    sizes = sorted(len(prepared[s]) for s in ("nwssp", "independent"))
    assert sorted(n for n in made if n in sizes) == sizes


def test_loading_a_scenario_imports_neither_recordlinkage_nor_scikit_learn(tmp_path):
    """Each stage notebook loads the scenario; only the link stage needs recordlinkage, whose
    import (scikit-learn) costs about 1.4 s in each of the 22 kernels of a run otherwise."""
    code = ("import sys, cme_eval.run.cli\n"
            "from cme_eval.run import stages\n"
            "stages.Run.open('smoke', sys.argv[1], authorities=['Powys'])\n"
            "print(','.join(m for m in ('recordlinkage', 'sklearn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "run")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""


def test_one_digit_different_is_the_eight_digit_count():
    # the arithmetic test agrees with comparing the eight digits one by one
    from cme_eval.linkage.rules import _one_digit_different

    rng = np.random.default_rng(7)
    a = rng.integers(0, 10**8, 200_000)
    place, step = rng.integers(0, 8, len(a)), rng.integers(-9, 10, len(a))
    kind = rng.integers(0, 4, len(a))
    b = np.where(kind == 0, a, np.where(kind == 1, a + step * 10**place,
                                        np.where(kind == 2, rng.integers(0, 10**8, len(a)),
                                                 a + 1)))
    a = np.concatenate([a, [20140101, 0, 20000101, 20091231]])
    b = np.concatenate([np.clip(b, 0, 10**8 - 1), [0, 20140101, 19991231, 20101231]])
    powers = 10 ** np.arange(8)
    digits = ((a[:, None] // powers % 10) != (b[:, None] // powers % 10)).sum(axis=1) == 1
    assert digits.sum() > 40_000
    np.testing.assert_array_equal(_one_digit_different(a, b), digits)


def test_trigram_sets_are_scikit_learns_character_3_grams():
    # the Excel baseline's 3-grams without scikit-learn (which the test still has: it comes
    # with recordlinkage) give the very sets CountVectorizer gives, so Jaccard is unchanged
    from sklearn.feature_extraction.text import CountVectorizer

    from cme_eval.linkage.engines.excel_baseline import trigram_sets

    rng = np.random.default_rng(3)
    alphabet = list("abcKLM_ 0129ŵâŷ\t'-") + ["  "]
    texts = pd.Series(["".join(rng.choice(alphabet, rng.integers(0, 30))) for _ in range(5000)]
                      + ["", "ab", "abc", "Aa  b\t\tc", "aaaaaa", "ŴŴŴ"])
    theirs = CountVectorizer(analyzer="char", ngram_range=(3, 3), binary=True,
                             lowercase=True).fit_transform(texts)
    ours = trigram_sets(texts)
    assert ours.shape == theirs.shape
    i, j = rng.integers(0, len(texts), 20_000), rng.integers(0, len(texts), 20_000)
    for left, right in ((i, j), (np.arange(len(texts)), np.arange(len(texts)))):
        np.testing.assert_array_equal(np.asarray(ours[left].multiply(ours[right]).sum(axis=1)),
                                      np.asarray(theirs[left].multiply(theirs[right]).sum(axis=1)))
