"""One base for every error cme-eval raises on purpose, which the command line prints in one
line (exit 2); each keeps the built-in base callers may already catch."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import cme_eval
from cme_eval.exceptions import CmeEvalError
from cme_eval.run import cli


def _errors_defined_in_the_package() -> dict[str, type]:
    found = {}
    for module in pkgutil.walk_packages(cme_eval.__path__, "cme_eval."):
        loaded = importlib.import_module(module.name)
        for name, obj in vars(loaded).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException)
                    and not issubclass(obj, Warning) and obj.__module__ == module.name):
                found[f"{module.name}.{name}"] = obj
    return found


def test_every_error_class_of_the_package_has_the_one_base():
    errors = _errors_defined_in_the_package()
    assert len(errors) >= 11  # the walk found them
    assert [name for name, cls in errors.items() if not issubclass(cls, CmeEvalError)] == []


def test_each_keeps_the_builtin_base_callers_catch():
    from cme_eval.config import ConfigError
    from cme_eval.evaluate.tables import ReconciliationError
    from cme_eval.linkage.spark import MissingExtra
    from cme_eval.run.pipeline import PipelineError

    assert issubclass(ConfigError, ValueError) and issubclass(MissingExtra, ImportError)
    assert issubclass(ReconciliationError, AssertionError)
    assert issubclass(PipelineError, RuntimeError)


@pytest.mark.parametrize("error", [
    "cme_eval.inputs.readers.ReadError", "cme_eval.linkage.spark.MissingExtra",
    "cme_eval.evaluate.tables.ReconciliationError", "cme_eval.api.LinkInputError",
])
def test_the_command_line_prints_any_of_them_in_one_line(monkeypatch, capsys, error, tmp_path):
    module, name = error.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), name)

    def fails(args):
        raise cls("what is wrong, and where")

    monkeypatch.setitem(cli.COMMANDS, "run", fails)
    assert cli.main(["run", "smoke", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "cme-eval: error: what is wrong, and where\n"
