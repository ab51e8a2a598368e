"""Back test: the smoke run's published tables equal the committed known-good ones.

A difference is either a bug or a deliberate change; for the latter, refresh the baseline with
scripts/update_backtest.py and commit it with the change.
"""

from __future__ import annotations

import difflib

import pytest

from scripts.update_backtest import BASELINE, DIGESTS, TABLES, digests

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", TABLES)
def test_smoke_tables_match_the_known_good_ones(smoke_run, name):
    expected = (BASELINE / name).read_text(encoding="utf-8")
    actual = (smoke_run / name).read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            "known-good", "this run", n=1))
        pytest.fail(f"{name} differs from tests/backtest/smoke/{name}:\n{diff[:3000]}")


def test_every_las_outcomes_and_tables_match_the_known_good_ones(smoke_run):
    """Each LA's outcomes (every record's outcome, match, score and reason) and tables, by
    digest: the committed digests were made before the issue 21 refactor."""
    expected = (BASELINE / DIGESTS).read_text(encoding="utf-8").splitlines()
    actual = digests(smoke_run).splitlines()
    differ = sorted(set(expected) ^ set(actual))
    assert not differ, "differ from tests/backtest/smoke/authorities.sha256:\n" + "\n".join(
        line.split("  ")[1] for line in differ)
