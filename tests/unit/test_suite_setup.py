"""How the suite is spread over pytest-xdist workers (tests/conftest.py): a notebook's cells
stay together, the stage notebooks that share a scratch folder stay together, so do the tests
of a file with a module-scoped fixture, and every other test is free."""

from __future__ import annotations

from tests.conftest import MODULE_FIXTURE_FILES, unit_of


def test_a_notebooks_cells_are_one_unit_and_the_stage_notebooks_one_together():
    assert unit_of("notebooks/05_uncertainty.ipynb::Cell 0") == "notebooks/05_uncertainty.ipynb"
    assert unit_of("notebooks/05_uncertainty.ipynb::Cell 4") == "notebooks/05_uncertainty.ipynb"
    stages = {unit_of(f"notebooks/{name}.ipynb::Cell 1")
              for name in ("01_generate", "02_link", "03_evaluate", "04_compile")}
    assert stages == {"stage notebooks"}


def test_a_file_with_a_module_fixture_is_one_unit():
    assert "tests/integration/test_cross_border_whatifs.py" in MODULE_FIXTURE_FILES
    assert unit_of("tests/integration/test_compare.py::test_outputs_and_columns") == (
        "tests/integration/test_compare.py")


def test_every_other_test_is_its_own_unit():
    ids = ["tests/unit/test_rng.py::test_a", "tests/unit/test_rng.py::test_b[x]",
           "tests/integration/test_readme_commands.py::test_readme_block_runs_as_written[make]"]
    assert [unit_of(i) for i in ids] == ids
