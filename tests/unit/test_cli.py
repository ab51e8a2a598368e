"""The command line explains itself and refuses bad input in one line, exit code 2."""

from __future__ import annotations

import argparse
import logging

import pytest

from cme_eval.run import cli


def _subparsers(parser: argparse.ArgumentParser):
    yield parser.prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _subparsers(sub)


def test_every_argument_of_every_command_has_help():
    missing = [f"{prog}: {action.dest}" for prog, parser in _subparsers(cli._parser())
               for action in parser._actions
               if not isinstance(action, argparse._SubParsersAction) and not action.help]
    assert missing == []
    progs = [prog for prog, _ in _subparsers(cli._parser())]
    assert progs == ["cme-eval", "cme-eval run", "cme-eval generate", "cme-eval evaluate",
                     "cme-eval compare", "cme-eval replicate", "cme-eval sensitivity",
                     "cme-eval calibrate", "cme-eval bench", "cme-eval bench linkage",
                     "cme-eval bench generate", "cme-eval bench central", "cme-eval bench hostile",
                     "cme-eval bench replicates", "cme-eval bench run"]


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("cme-eval 0.")


def _refusal(capsys, *argv: str) -> str:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:  # argparse
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("cme-eval: error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(("argv", "says"), [
    (["run", "smoke", "--scale", "-1"], "--scale: must be above 0"),
    (["run", "smoke", "--scale", "nan"], "--scale: must be above 0"),
    (["run", "smoke", "--workers", "0"], "--workers: must be at least 1"),
    (["run", "smoke", "--seed", "-2"], "--seed: must be at least 0"),
    (["run", "smoke", "--authorities", "Cardif"], "(did you mean 'Cardiff'?)"),
    (["run", "smok"], "(did you mean 'smoke'?)"),
    (["run", "no-such.yaml"], "scenario file not found: no-such.yaml"),
    (["compare", "smoke", "--overlays", "nhs-numbr", "--out", "x"], "did you mean 'nhs-number'"),
    (["bench", "linkage", "smoke", "--authority", "Cardiff", "--out", "x", "--engines", "fast"],
     "unknown engine 'fast'"),
    (["generate", "smoke"], "required: --authority, --out"),
])
def test_bad_arguments_are_refused_in_one_line(capsys, tmp_path, monkeypatch, argv, says):
    monkeypatch.chdir(tmp_path)
    assert says in _refusal(capsys, *argv)
    assert list(tmp_path.iterdir()) == []  # nothing started, nothing written


@pytest.mark.parametrize(("text", "says"), [
    ("linkage:\n  partial_min_weight: .nan\n", "linkage.partial_min_weight: nan is not a finite"),
    ("population:\n  household_children_weights: [0, 0, 0]\n",
     "population.household_children_weights: the weights add up to 0"),
    ("independent_schools:\n  dob_formats: ['%Q']\n", "independent_schools.dob_formats[0]"),
    ("dates:\n  nhs_extract: 2025-02-30\n", "dates.nhs_extract: '2025-02-30' is not a real date"),
    ("seed: .inf\n", "seed: inf is not a finite number"),
])
def test_bad_settings_name_the_file_and_the_key(capsys, tmp_path, monkeypatch, text, says):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("base: smoke\n" + text, encoding="utf-8")
    err = _refusal(capsys, "run", "bad.yaml")
    assert err.startswith(f"cme-eval: error: bad.yaml: {says}"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_a_file_named_as_the_run_folder_is_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("")
    for argv in (["run", "smoke", "--out", "taken"],
                 ["generate", "smoke", "--authority", "Powys", "--out", "taken"]):
        err = _refusal(capsys, *argv)
        assert "--out" in err and "taken: is a file, not a folder" in err


def test_quiet_and_verbose_set_what_the_terminal_shows():
    cli._configure_logging(argparse.Namespace(quiet=True, verbose=False))
    assert logging.getLogger().handlers[0].level == logging.WARNING
    cli._configure_logging(argparse.Namespace(quiet=False, verbose=True))
    assert logging.getLogger().handlers[0].level == logging.DEBUG
    # by default the progress bar says what runs: INFO lines (a stage run first, each
    # notebook's time) stay in run.log, off the terminal
    cli._configure_logging(argparse.Namespace(quiet=False, verbose=False))
    assert logging.getLogger().handlers[0].level == logging.WARNING
    assert logging.getLogger().level == logging.INFO  # run.log still receives INFO


def test_ctrl_c_is_one_line_saying_how_to_resume(monkeypatch, capsys):
    from cme_eval.run import cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "generate", interrupted)
    code = cli.main(["generate", "smoke", "--authority", "Powys", "--out", "unused"])
    err = capsys.readouterr().err.strip()
    assert code == cli.EXIT_STOPPED == 130
    assert err.count("\n") == 0 and "run the same command again to resume" in err


def test_a_full_disk_behind_another_error_is_one_line(monkeypatch, capsys, tmp_path):
    """papermill reports a full disk as a notebook it could not read back (NotJSONError raised
    in a finally:); the one line names the operating system's error, not that."""
    import errno

    from cme_eval.run import cli

    def full(args):
        try:
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.ipynb"))
        finally:
            raise ValueError("Notebook does not appear to be JSON")

    monkeypatch.setitem(cli.COMMANDS, "generate", full)
    code = cli.main(["generate", "smoke", "--authority", "Powys", "--out", "unused"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    assert "No space left on device" in err and "run the same command again" in err


def test_a_bug_keeps_its_traceback(monkeypatch):
    from cme_eval.run import cli

    def bug(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(cli.COMMANDS, "generate", bug)
    with pytest.raises(ZeroDivisionError):
        cli.main(["generate", "smoke", "--authority", "Powys", "--out", "unused"])


def test_help_documents_the_exit_codes(capsys):
    from cme_eval.run import cli

    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "Exit codes: 0 done; 2 refused" in out and "130 stopped with Ctrl-C" in out


def test_an_extract_date_out_of_range_is_blamed_on_the_flag(capsys, tmp_path):
    from cme_eval.run import cli

    with pytest.raises(SystemExit) as stop:
        cli.main(["evaluate", str(tmp_path), "--authority", "Powys", "--out",
                  str(tmp_path / "out"), "--extract-date", "9999-12-31"])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and err.count("\n") == 0
    assert "--extract-date" in err and "9999-12-31 is out of range" in err
