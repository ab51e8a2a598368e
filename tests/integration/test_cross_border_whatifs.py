"""Cross-border what-ifs on all 22 LAs (wales-2025, small): direction and size that follow from
the mechanisms. Central matching must find most children on another Welsh LA's roll; the
neighbour exchange, most of those schooled in a neighbouring LA; neither may lose a match."""

from __future__ import annotations

import pandas as pd
import pytest

from cme_eval.evaluate.compare import parse_overlays
from cme_eval.fileio import read_csv
from cme_eval.inputs.schema import NOT_MATCHED, NWSSP, ON_ANOTHER_WELSH_ROLL, OUT_OF_SCOPE
from cme_eval.run.stages import compare_scenarios

pytestmark = pytest.mark.slow
BASE, EXCHANGE, CENTRAL = "wales-2025", "wales-2025+neighbour-exchange", \
    "wales-2025+central-all-wales"


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("cross-border")
    compare_scenarios("wales-2025", parse_overlays("neighbour-exchange,central-all-wales"), out,
                      scale=0.01)
    table = pd.read_csv(out / "scenario_comparison.csv").set_index(["scenario", "authority"])
    return out, table


def _nhs_by_status(run_dir) -> pd.DataFrame:
    """Every in-scope NHS record of every LA: its true status and whether it was matched to
    a record of the same child."""
    frames = []
    for la in sorted((run_dir / "authorities").iterdir()):
        out = read_csv(la / "outcomes.csv")
        truth = read_csv(la / "synthetic" / "truth" / "truth_records.csv").set_index("record_id")
        status = read_csv(la / "synthetic" / "truth" / "truth_people.csv").set_index("person_id")
        person = out["record_id"].map(truth["person_id"])
        frames.append(pd.DataFrame({
            "status": person.map(status["status"]),
            "matched": out["outcome"].ne(NOT_MATCHED),
            "correct": out["matched_record_id"].map(truth["person_id"]).eq(person),
        })[(out["source"] == NWSSP) & (out["outcome"] != OUT_OF_SCOPE)])
    return pd.concat(frames, ignore_index=True)


def test_every_scenario_receives_the_same_records_and_loses_no_match(comparison):
    _, table = comparison
    base = table.loc[(BASE, "All")]
    assert table.index.get_level_values(1).nunique() == 23  # 22 LAs and All
    for scenario in (EXCHANGE, CENTRAL):
        row = table.loc[(scenario, "All")]
        assert row["received"] == base["received"]
        assert row["not_matched"] < base["not_matched"]
        assert row["true_cme"] == base["true_cme"]
    # The exchange only adds records of children on a neighbour's roll: it hides no one.
    assert table.loc[(EXCHANGE, "All"), "true_cme_found"] == base["true_cme_found"]
    # Central matching can link a missing child to another child's PLASC record (at full size
    # 4 of 1,476 after its guards, 16 without them); it must stay rare.
    hidden = base["true_cme_found"] - table.loc[(CENTRAL, "All"), "true_cme_found"]
    assert hidden <= max(1, 0.01 * base["true_cme"])


def test_central_matching_resolves_most_cross_border_cases(comparison):
    out, _ = comparison
    base = _nhs_by_status(out / "runs" / "baseline")
    central = _nhs_by_status(out / "runs" / "central-all-wales")
    cross = central[central["status"].isin(ON_ANOTHER_WELSH_ROLL)]
    assert len(cross) > 50
    assert cross["correct"].mean() >= 0.9  # resolved, to the right child
    assert base[base["status"].isin(ON_ANOTHER_WELSH_ROLL)]["matched"].mean() < 0.1
    # it finds children on Welsh rolls only: those schooled in England stay unmatched
    england = central[central["status"] == "maintained_england"]
    assert not england["matched"].any()


def test_the_exchange_resolves_pupils_of_neighbouring_las_and_nothing_else(comparison):
    out, _ = comparison
    exchange = _nhs_by_status(out / "runs" / "neighbour-exchange")
    neighbour = exchange[exchange["status"] == "maintained_neighbour_la"]
    assert len(neighbour) > 30
    assert neighbour["correct"].mean() >= 0.9
    moved = exchange[exchange["status"].isin(["moved_within_wales", "misallocated_border"])]
    assert moved["matched"].mean() < 0.1


def test_central_outcomes_cover_every_nhs_record_in_wales_once(comparison):
    out, table = comparison
    central = read_csv(out / "runs" / "central-all-wales" / "central" / "central_outcomes.csv")
    assert central["record_id"].is_unique
    nhs = sum(len(read_csv(la / "synthetic" / "inputs" / "nhs_extract.csv")) for la in
              (out / "runs" / "central-all-wales" / "authorities").iterdir())
    assert len(central) == nhs
    assert set(central["matched_dataset"]) <= {"", "plasc", "plasc_wales"}
