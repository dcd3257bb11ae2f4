"""The `georeset` command line: help, errors as messages rather than tracebacks."""

from __future__ import annotations

import subprocess
import sys

from georeset import cli
from georeset.errors import BadInputError


def test_help_lists_commands(capsys):
    assert cli.main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_user_errors_become_one_line_messages(capsys, monkeypatch):
    def failing(_args):
        raise BadInputError("input 'x.txt': not UTF-8 text")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda argv=None: parser)
    sub = next(a for a in parser._actions if a.dest == "command")
    sub.add_parser("fail").set_defaults(func=failing)
    assert cli.main(["fail"]) == 1
    assert capsys.readouterr().err.strip() == "georeset: error: input 'x.txt': not UTF-8 text"


def test_console_script_runs():
    result = subprocess.run([sys.executable, "-m", "georeset.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "georeset" in result.stdout


def test_only_the_command_being_run_is_imported():
    # `georeset gazetteer ...` must not pay for torch/transformers, which the geoparser imports.
    code = (
        "import sys; from georeset import cli; cli.build_parser(['gazetteer', 'info']);"
        "print('transformers' in sys.modules, 'data_builders.gazetteer.cli' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]
