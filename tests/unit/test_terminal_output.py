"""What a user meets on the terminal: refusals that point at the right help, help text as
written, progress bars with a total, benchmark tables people can read, and report tolerances on
the scale of their measure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cme_eval.report import labels
from cme_eval.run import bench, cli


def _refused(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        cli.main(list(argv))
    assert done.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(("argv", "help_of"), [
    (["run", "smoke", "--bogus"], "cme-eval run --help"),
    (["compare", "smoke", "--overlays", "uprn", "--out", "x", "--bogus"],
     "cme-eval compare --help"),
    (["bench", "hostile", "--out", "x", "--bogus"], "cme-eval bench hostile --help"),
])
def test_an_unknown_flag_points_to_the_help_of_the_command_it_was_given_to(capsys, argv,
                                                                            help_of):
    err = _refused(capsys, *argv)
    assert "unrecognized arguments: --bogus" in err
    assert f"(see: {help_of})" in err and err.count("\n") == 1


def test_help_shows_percent_signs_as_written(capsys):
    with pytest.raises(SystemExit):
        cli.main(["sensitivity", "--help"])
    text = capsys.readouterr().out
    assert "95% range" in " ".join(text.split()) and "%%" not in text


def test_progress_bars_are_given_their_total():
    seen = []
    progress = cli._progress(type("Args", (), {"quiet": False})(), "replicates")
    bar = progress(iter(range(3)), 3)  # an iterator has no length: the total is passed
    seen.extend(bar)
    assert seen == [0, 1, 2] and bar.total == 3
    assert cli._progress(type("Args", (), {"quiet": True})(), "x") is None


def test_replicate_runs_report_their_total_to_the_progress_bar(monkeypatch, tmp_path):
    from cme_eval.uncertainty import replicates

    calls = []
    monkeypatch.setattr(replicates, "_one", lambda task: (task[0], pd.DataFrame(),
                                                          pd.DataFrame()))

    def progress(items, total):
        calls.append(total)
        return items

    replicates.run_variants(["a", "b", "c"], tmp_path, workers=1, progress=progress)
    assert calls == [3]


def test_benchmark_tables_print_rounded_figures_and_cut_long_text():
    table = pd.DataFrame({"task": ["febrl1"], "wall_s": [450.941406], "peak_mb": [1234.5678],
                          "precision": [0.987654321], "candidate_pairs": [np.int64(1234567)],
                          "warnings": ["column 'postcode' is uninformative " * 20]})
    text = bench.for_terminal(table)
    assert "450.9" in text and "450.94" not in text
    assert "1,235" in text and "0.9877" in text and "1,234,567" in text
    assert max(len(line) for line in text.splitlines()) < 160
    assert text.splitlines()[1].rstrip().endswith("...")
    # the table itself (what the CSV holds) is untouched
    assert table["wall_s"].iloc[0] == 450.941406 and len(table["warnings"].iloc[0]) > 600


@pytest.mark.parametrize(("tolerance", "share", "shown"), [
    ("+/- 0.03", True, "+/- 3.0 points"),
    ("+/- 0.015", True, "+/- 1.5 points"),
    ("within 0.89-0.98", True, "within 89.0%-98.0%"),
    ("+/- 25% of published", True, "+/- 25% of published"),
    ("+/- 10% of published", False, "+/- 10% of published"),
    ("must add up (1 = yes)", False, "must add up (1 = yes)"),
])
def test_a_tolerance_reads_on_the_scale_of_its_measure(tolerance, share, shown):
    assert labels._tolerance(tolerance, share) == shown


def test_the_reports_comparison_shows_shares_and_their_tolerances_alike():
    table = pd.DataFrame({"measure": ["perfect match, share of records received",
                                      "NHS records sent to the seven LAs"],
                          "published": [0.68, 167000], "reproduced": [0.6758, 172267],
                          "difference": [-0.0042, 5267], "within_tolerance": [True, True],
                          "tolerance": ["+/- 0.03", "+/- 5% of published"],
                          "applicable": [True, True], "note": ["", ""]})
    shown = labels.for_reading(table)
    assert shown.iloc[0].tolist()[1:5] == ["68.00%", "67.58%", "-0.4 points", "yes"]
    assert shown.iloc[0]["Tolerance"] == "+/- 3.0 points"
    assert shown.iloc[1]["Tolerance"] == "+/- 5% of published"
