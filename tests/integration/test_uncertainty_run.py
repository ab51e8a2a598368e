"""Replicates and sensitivity end to end through the command line, at smoke size."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cme_eval.run.cli import main
from cme_eval.uncertainty.intervals import MECHANISM_RECALL

pytestmark = pytest.mark.slow
LAS = "Powys,Gwynedd"


@pytest.fixture(scope="module")
def replicated(tmp_path_factory):
    out = tmp_path_factory.mktemp("replicates")
    assert main(["replicate", "smoke", "--replicates", "3", "--authorities", LAS,
                 "--workers", "2", "--out", str(out / "two-workers"), "-q"]) == 0
    assert main(["replicate", "smoke", "--replicates", "2", "--authorities", LAS,
                 "--workers", "1", "--out", str(out / "one-worker"), "-q"]) == 0
    return out


def test_replicates_do_not_depend_on_workers_or_on_how_many(replicated):
    three = pd.read_csv(replicated / "two-workers" / "replicates.csv")
    two = pd.read_csv(replicated / "one-worker" / "replicates.csv")
    pd.testing.assert_frame_equal(three[three["replicate"] <= 2].reset_index(drop=True), two)
    assert three["seed"].nunique() == 3
    assert sorted(three["authority"].unique()) == ["All", "Gwynedd", "Powys"]


def test_every_replicate_adds_up_and_the_seeds_make_a_difference(replicated):
    rows = pd.read_csv(replicated / "two-workers" / "replicates.csv")
    parts = rows[["perfect_match", "partial_match", "not_matched", "out_of_scope"]].sum(axis=1)
    assert (parts == rows["received"]).all()
    las = rows[rows["authority"] != "All"].groupby("replicate")[["received", "not_matched"]].sum()
    pooled = rows[rows["authority"] == "All"].set_index("replicate")
    assert (las["received"] == pooled["received"]).all()
    assert pooled["not_matched"].nunique() > 1  # three seeds, not one population thrice


def test_the_summary_has_the_stated_columns_and_published_measures(replicated):
    summary = pd.read_csv(replicated / "two-workers" / "replicate_summary.csv")
    assert list(summary.columns) == ["measure", "authority", "mean", "sd", "p2_5", "p50",
                                     "p97_5", "n"]
    # every replicate has every measure, but the recall on an error no record of an LA
    # carried in that replicate (at smoke size), which is unknown and left out of its n
    rare = summary["measure"].isin(list(MECHANISM_RECALL))
    assert (summary.loc[~rare, "n"] == 3).all() and summary.loc[rare, "n"].between(1, 3).all()
    row = summary[(summary["measure"] == "not_matched") & (summary["authority"] == "All")]
    assert row["p2_5"].iloc[0] <= row["p50"].iloc[0] <= row["p97_5"].iloc[0]
    # Powys and Gwynedd: judged on the per-LA range only (issue 24), not on the five's shares
    assert summary["measure"].str.startswith("published: lowest matched share of the pilot").any()
    assert not summary["measure"].str.startswith("published: perfect match").any()


def test_a_run_shows_the_replicate_range_and_refuses_another_runs(replicated, tmp_path,
                                                                   capsys):
    reps = str(replicated / "two-workers")
    assert main(["run", "smoke", "--authorities", LAS, "--out", str(tmp_path / "run"),
                 "--replicates-from", reps, "-q"]) == 0
    comparison = pd.read_csv(tmp_path / "run" / "published_vs_reproduced.csv",
                             keep_default_na=False)
    shares = comparison[comparison["measure"].str.contains("share")
                        & comparison["applicable"].astype(str).eq("True")]
    assert len(shares) and shares["published_in_replicate_interval"].isin(
        ["True", "False"]).all()
    report = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "How sure are these figures?" in report and "on 3 other seeds" in report
    reader = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|code)>.*?</\1>", "", report, flags=re.S))
    assert re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", reader) == []  # words, not column names
    capsys.readouterr()
    assert main(["run", "smoke", "--authorities", "Powys", "--out", str(tmp_path / "other"),
                 "--replicates-from", reps, "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cme-eval: error: --replicates-from: the replicates are of "
                          "authorities ['Powys', 'Gwynedd'], this run is of ['Powys']")
    assert "\n" not in err


def test_sensitivity_varies_one_setting_at_a_time_on_the_same_population(replicated, tmp_path):
    out = tmp_path / "sensitivity"
    assert main(["sensitivity", "smoke", "--authorities", LAS, "--out", str(out),
                 "--parameters", "follow_up.resolve_probability.maintained_neighbour_la=0:1",
                 "linkage.partial_min_weight", "--replicates-from",
                 str(replicated / "two-workers"), "-q"]) == 0
    table = pd.read_csv(out / "sensitivity.csv").set_index(["parameter", "measure"])
    assert len(table) == 2 * 9 and "exceeds_chance" in table.columns
    follow = table.loc["follow_up.resolve_probability.maintained_neighbour_la"]
    # after linkage: the links are the base run's, only the follow-up changes
    for measure in ("not_matched", "precision", "recall"):
        assert (follow.loc[measure, ["value_low", "value_high"]]
                == follow.loc[measure, "value_base"]).all()
    known_after = follow.loc["cme_known_after"]
    assert known_after["value_low"] > known_after["value_high"]  # never resolved vs always
    weight = table.loc["linkage.partial_min_weight"]
    assert weight.loc["partial_match", "value_low"] >= weight.loc["partial_match", "value_high"]
    for measure in ("not_matched", "potential_cme_identified", "truly_missing_found",
                    "hours_total"):
        assert (out / "figures" / f"tornado_{measure}.png").stat().st_size > 10_000


def test_bad_uncertainty_flags_are_refused_in_one_line(tmp_path, capsys):
    for argv, expected in [
        (["replicate", "smoke", "--replicates", "0", "--out", str(tmp_path)],
         "argument --replicates: must be at least 1, got 0"),
        (["sensitivity", "smoke", "--out", str(tmp_path), "--parameters", "errors.nope"],
         "--parameters: unknown parameter 'errors.nope'"),
        (["sensitivity", "smoke", "--out", str(tmp_path), "--parameters",
          "follow_up.resolve_probability.moved_abroad=0:2"], "2 is outside what the setting"),
        (["sensitivity", "smoke", "--out", str(tmp_path), "--replicates-from",
          str(tmp_path / "none")], "replicates.json: not found"),
    ]:
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refuses a bad flag value itself
            code = exc.code
        assert code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("cme-eval: error: ") and expected in err and "\n" not in err


def test_the_replicate_benchmark_prints_time_and_pool_memory(tmp_path, capsys):
    assert main(["bench", "replicates", "smoke", "--replicates", "2", "--authorities", "Powys",
                 "--out", str(tmp_path), "-q"]) == 0
    table = pd.read_csv(tmp_path / "bench_replicates.csv")
    row = table.iloc[0]
    assert (row["replicates"], row["workers"], row["authorities"]) == (2, 2, 1)
    assert row["wall_s"] > 0 and row["peak_mb_all_processes"] > 100
    assert "s_per_replicate" in capsys.readouterr().out
    assert (tmp_path / "replicate_summary.csv").is_file()


def test_parameter_draws_run_the_same_seeds_again_and_the_report_separates_them(tmp_path):
    """issue 24: chance alone, then chance and the fit's uncertainty, on the same seeds."""
    out = tmp_path / "drawn"
    assert main(["replicate", "smoke", "--replicates", "2", "--authorities", "Powys",
                 "--workers", "2", "--parameter-draws", "--out", str(out), "-q"]) == 0
    chance = pd.read_csv(out / "replicates.csv")
    drawn = pd.read_csv(out / "replicates_parameters.csv")
    assert chance["seed"].tolist() == drawn["seed"].tolist()
    assert (chance["received"] != drawn["received"]).any()  # Powys's size is drawn too
    assert (out / "replicate_summary_parameters.csv").is_file()
    assert main(["run", "smoke", "--authorities", "Powys", "--out", str(tmp_path / "run"),
                 "--replicates-from", str(out), "-q"]) == 0
    intervals = pd.read_csv(tmp_path / "run" / "replicate_intervals.csv")
    assert {"p2_5_parameters", "p97_5_parameters"} <= set(intervals.columns)
    report = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "chance and the uncertainty of the fit together" in report
    assert "chance and fit: 97.5%" in report


def test_parameter_draws_need_a_fitted_scenario(tmp_path, capsys):
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: plain\nscale: 0.01\nauthorities:\n  Powys: {}\n", encoding="utf-8")
    assert main(["replicate", str(plain), "--replicates", "2", "--parameter-draws",
                 "--out", str(tmp_path / "o"), "-q"]) == 2
    assert "--parameter-draws: scenario 'plain' has no fitted intervals" in capsys.readouterr().err
