"""What the notebooks show (cme_eval.run.views): words for people, the blocking plan as the
link's diagnostics record it, explanations that carry no record's values, the figures a run
wrote. Everything is written under pytest's temporary folders."""

from __future__ import annotations

import re

import matplotlib.text
import pandas as pd
import pytest

from cme_eval.fileio import read_csv
from cme_eval.inputs.ingest import read_authority
from cme_eval.linkage.engines import engine_names
from cme_eval.report import labels
from cme_eval.run import stages, views

MACHINE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")  # a snake_case name: not words for people
LA = "Isle of Anglesey"  # the smallest pilot LA: its link takes a second or two


def _run(tmp_path, **overrides) -> stages.Run:
    return stages.Run.open("smoke", tmp_path, authorities=[LA], overrides=overrides or None)


def _cells(frame: pd.DataFrame) -> str:
    return " | ".join([*map(str, frame.columns), *frame.astype(str).to_numpy().ravel()])


@pytest.fixture(scope="module")
def linked(tmp_path_factory) -> stages.Run:
    run = stages.Run.open("smoke", tmp_path_factory.mktemp("views-run"), authorities=[LA])
    stages.link(run, LA)
    return run


# -- labels --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", engine_names())
def test_every_engine_has_a_label_in_words(name):
    label = views.engine_label(name)
    assert label and label != name and not MACHINE.search(label)


def test_an_engines_own_label_wins_over_the_fallback_table(monkeypatch):
    from cme_eval.linkage import engines

    engine = engines.get("splink")
    monkeypatch.setattr(type(engine), "label", "Splink, as the engine names itself", raising=False)
    assert labels.engine("splink") == "Splink, as the engine names itself"
    monkeypatch.setattr(type(engine), "label", "", raising=False)
    assert labels.engine("splink") == labels.value("splink")  # no label: words, not a name


def test_notebook_words_are_not_machine_names():
    for table in (labels.DATASETS, labels.OUTCOME_WORDS, labels.FIELDS,
                  labels.VIEW_COLUMNS, labels.FIGURES):
        for key, words in table.items():
            assert not MACHINE.search(words), (key, words)


def test_a_stage_table_reads_as_words_with_no_row_index():
    methods = pd.DataFrame({"authority": ["Powys", "Powys"],
                            "engine": ["recordlinkage", "excel_baseline"],
                            "records_in_scope": [1200, 1200], "not_matched": [30, 133],
                            "not_matched_but_known": [9, 111],
                            "not_matched_truly_unaccounted": [21, 22], "false_links": [1, 0]})
    shown = views.table(methods)
    assert not MACHINE.search(_cells(shown.frame))
    assert list(shown.frame["Method"]) == [labels.engine("recordlinkage"),
                                           labels.engine("excel_baseline")]
    assert shown.frame["Records in scope"].tolist() == ["1,200", "1,200"]
    text, page = repr(shown), shown._repr_html_()
    assert text.splitlines()[0].split()[:2] == ["Local", "authority"]  # no index column first
    assert "<th></th>" not in page and page == views.table(methods)._repr_html_()


def test_what_generate_and_link_return_reads_as_words():
    counts = pd.DataFrame({"dataset": ["nwssp", "plasc", "cme_register", "people (truth)"],
                           "records": [540, 696, 2, 760]})
    summary = pd.DataFrame({"perfect": [368], "partial": [142], "not_matched": [30],
                            "out_of_scope": [0]}, index=pd.Index(["NWSSP"], name="source"))
    for shown in (views.generated(counts), views.linked(summary)):
        assert not MACHINE.search(_cells(shown.frame)), shown.frame
    assert "CME register" in views.generated(counts).frame["Dataset"].tolist()
    assert list(views.linked(summary).frame.columns) == ["Source", "Perfect match",
                                                         "Partial match", "Not matched",
                                                         "Out of scope"]


def test_the_engine_shown_is_the_one_the_scenario_runs(tmp_path):
    line = views.engine_used(_run(tmp_path, linkage={"engine": "splink"}))
    first = line.split(". ")[0].removesuffix(".")
    assert first == f"Matching method: {labels.engine('splink')}"
    assert labels.engine("splink") != labels.engine("recordlinkage")


# -- the blocking plan ---------------------------------------------------------------------


def test_the_blocking_plan_lists_the_passes_the_diagnostics_hold(tmp_path):
    run = _run(tmp_path, linkage={"max_candidate_pairs": 5000})
    run.la_dir(LA).mkdir(parents=True)
    declared = views._spec(run).blocking
    assert declared[:3] == (("postcode_std",), ("dob_std",), ("surname_std", "birth_year"))
    entries = [
        {"source": "nwssp", "engine": "recordlinkage", "left_records": 900,
         "right_records": 1100, "uninformative": ["postcode_std"],
         # postcode left out; surname + year of birth refined; forename + surname skipped
         "passes": [["dob_std"], ["surname_std", "birth_year", "surname_initial"],
                    ["forename_std", "house_number"]],
         "pair_counts": [1234, 567, 89], "notes": ["(what the linker warned)"],
         "parameters": "u estimated from these records"},
        {"source": "independent", "engine": "recordlinkage", "left_records": 11,
         "right_records": 1259, "uninformative": [], "passes": [list(p) for p in declared],
         "pair_counts": list(range(1, len(declared) + 1)), "notes": [],
         "parameters": "declared values used"},
    ]
    stages.write_diagnostics(entries, run.la_dir(LA) / stages.DIAGNOSTICS)
    run.mark_done("link", LA)  # the diagnostics stand for a link made with these settings

    plan = views.blocking_plan(run, LA)
    nhs = plan[plan["Source"] == labels.dataset("nwssp")].set_index("Blocked on")
    assert nhs.loc["postcode", "What happened"] == "left out: every column uninformative"
    assert nhs.loc["postcode", "Candidate pairs (counted)"] == ""
    assert nhs.loc["date of birth", "Candidate pairs (counted)"] == "1,234"
    assert nhs.loc["surname + year of birth + surname initial", "What happened"].startswith(
        "refined with surname initial to fit the budget of 5,000 pairs")
    assert nhs.loc["forename + surname", "What happened"].startswith("skipped: over the budget")
    assert nhs.loc["forename + house number", "Candidate pairs (counted)"] == "89"
    independent = plan[plan["Source"] == labels.dataset("independent")]
    assert (independent["What happened"] == "used").all()
    assert independent["Pass"].tolist() == [str(i) for i in range(1, len(declared) + 1)]
    assert not MACHINE.search(_cells(plan))

    summary = views.blocking_summary(run, LA).set_index("Source")
    assert summary.loc[labels.dataset("nwssp"), "Columns left out as uninformative"] == "postcode"
    assert summary.loc[labels.dataset("nwssp"), "Candidate pairs (counted)"] == "1,890"
    assert summary.loc[labels.dataset("independent"), "Method"] == labels.engine("recordlinkage")


def test_the_blocking_plan_of_a_real_link_has_every_pass_with_its_count(linked):
    plan = views.blocking_plan(linked, LA)
    nhs = plan[plan["Source"] == labels.dataset("nwssp")]
    assert len(nhs) == len(views._spec(linked).blocking)
    assert (nhs["What happened"] == "used").all() and (nhs["Candidate pairs (counted)"] != "").all()


# -- explanations --------------------------------------------------------------------------


def _texts(thing) -> str:
    if isinstance(thing, pd.DataFrame):
        return _cells(thing)
    return " | ".join(t.get_text() for t in thing.findobj(matplotlib.text.Text))


def test_explanations_show_a_partial_match_and_a_near_miss_as_the_link_weighed_them(linked):
    examples = views.explain_examples(linked, LA)
    captions = [caption for caption, _ in examples]
    assert [c.split(":")[0] for c in captions] == [views.PARTIAL_MATCH] * 2 + [views.NEAR_MISS] * 2
    outcomes = read_csv(linked.la_dir(LA) / "outcomes.csv")
    threshold = linked.scenario.linkage.partial_min_weight
    tables = {c.split(":")[0]: t for c, t in examples if isinstance(t, pd.DataFrame)}
    for kind, outcome in ((views.PARTIAL_MATCH, "partial"), (views.NEAR_MISS, "not_matched")):
        total = float(tables[kind]["Running total"].iloc[-1].replace(",", ""))
        scores = pd.to_numeric(outcomes.loc[outcomes["outcome"] == outcome, "score"])
        assert (scores - total).abs().min() < 0.01, kind  # the weight the link recorded
        assert (total >= threshold) == (kind == views.PARTIAL_MATCH)
        assert list(tables[kind].columns) == ["Comparison", "Level", "Weight", "Running total"]


def test_explanations_carry_no_value_or_id_of_any_record(linked):
    sources = read_authority(linked.inputs_dir(LA), LA)
    records = pd.concat(sources.values(), ignore_index=True)
    text = " || ".join(f"{caption} | {_texts(thing)}" for caption, thing in
                       views.explain_examples(linked, LA) if thing is not None)
    assert "Forename" in text and "Date of birth" in text  # the comparisons, in words
    for column in ("forename", "surname", "postcode", "dob"):
        for value in set(records[column].astype(str)):
            if len(value) >= 3:
                assert not re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text), (column, value)
    for record_id in records["record_id"]:
        assert record_id not in text
    assert not re.search(r"\d{4}-\d\d-\d\d|\d{1,2}/\d{1,2}/\d{2,4}", text)  # no date at all


def test_an_engine_that_weighs_nothing_gets_a_one_line_note(tmp_path):
    examples = views.explain_examples(_run(tmp_path, linkage={"engine": "excel_baseline"}), LA)
    assert len(examples) == 1 and examples[0][1] is None and "\n" not in examples[0][0]


# -- figures -------------------------------------------------------------------------------


def test_the_figures_are_the_pngs_in_the_run_folder_sorted_and_captioned(tmp_path):
    run = _run(tmp_path)
    (run.run_dir / "figures").mkdir()
    for name in ("score_distribution.png", "a_new_figure.png", "outcomes_by_authority.png",
                 "notes.txt"):
        (run.run_dir / "figures" / name).write_bytes(b"")
    paths = views.figures_of(run)
    assert [p.name for p in paths] == ["a_new_figure.png", "outcomes_by_authority.png",
                                       "score_distribution.png"]
    captions = [caption for caption, _ in views.captioned(paths)]
    assert captions == ["A new figure", labels.FIGURES["outcomes_by_authority"],
                        labels.FIGURES["score_distribution"]]


def test_a_share_measured_over_replicates_reads_as_a_percentage():
    headline = pd.DataFrame({"measure": ["Received", "Precision"], "mean": [1715.3333, 0.9983],
                             "p2_5": [1701.15, 0.99712], "p97_5": [1723.0, 0.9991],
                             "n": [3, 3]})
    shown = views.table(headline).frame.set_index("Measure")
    assert shown.loc["Precision"].tolist() == ["99.83%", "99.71%", "99.91%", "3"]
    assert shown.loc["Received"].tolist() == ["1,715.33", "1,701.15", "1,723", "3"]
