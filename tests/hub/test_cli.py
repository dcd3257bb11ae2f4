"""`georeset hub serve`: arguments, the printed client settings, and a clear error for a busy port.

The parser is built from `georeset.hub.cli` alone: `georeset.cli.build_parser()` would import every subcommand's
module (torch included) and cost seconds.
"""

from __future__ import annotations

import argparse
import socket

import pytest

from georeset.hub.cli import add_parser, main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="georeset")
    add_parser(parser.add_subparsers(dest="command"))
    return parser


def test_serve_arguments_parse(tmp_path):
    args = _parser().parse_args(["hub", "serve", "--port", "0", "--root", str(tmp_path), "--token", "t"])
    assert (args.port, args.root, args.token, args.host) == (0, str(tmp_path), "t", "127.0.0.1")


@pytest.mark.parametrize("argv", [["hub", "serve", "--root", "x"], ["hub", "serve", "--port", "1"]])
def test_missing_arguments_are_reported(argv):
    with pytest.raises(SystemExit):
        _parser().parse_args(argv)


def test_busy_port_gives_a_clear_error(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port), "--root", str(tmp_path)]) == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_server_subprocess_prints_client_settings(hub_server):
    assert hub_server.endpoint.startswith("http://127.0.0.1:")
    assert f"export HF_ENDPOINT={hub_server.endpoint}" in hub_server.banner
    assert f"export HF_TOKEN={hub_server.token}" in hub_server.banner
    assert "export HF_HUB_DISABLE_XET=1" in hub_server.banner and "unset HF_HUB_OFFLINE" in hub_server.banner
