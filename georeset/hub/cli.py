"""`georeset hub serve`: run the Hub-protocol server on a local port.

Also runnable as `python -m georeset.hub serve ...` (what the test fixture starts: it imports nothing heavy).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from georeset.errors import GeoresetError


def serve(args: argparse.Namespace) -> int:
    """Serve until interrupted, after printing the endpoint and the client settings."""
    from georeset.hub.server import HubHTTPServer

    root = Path(args.root).expanduser()
    try:
        httpd = HubHTTPServer((args.host, args.port), root, token=args.token, verbose=args.verbose)
    except OSError as err:
        raise GeoresetError(
            f"Cannot listen on {args.host}:{args.port} ({err.strerror or err}): pick another --port."
        ) from None
    endpoint = httpd.endpoint
    token_hint = args.token if args.token else "<any value: this server has no --token, so writes are open>"
    print(f"georeset hub serving {endpoint} (root: {httpd.api.storage.root})", flush=True)
    print(
        "Point huggingface_hub / datasets / transformers at it with:\n"
        f"  export HF_ENDPOINT={endpoint}\n"
        f"  export HF_TOKEN={token_hint}\n"
        "  export HF_HUB_DISABLE_XET=1\n"
        "  unset HF_HUB_OFFLINE\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


def _add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, required=True, help="TCP port (0 picks a free one and prints it)")
    parser.add_argument("--root", required=True, help="folder holding repos and objects (created if missing)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    parser.add_argument(
        "--token", default=None, help="refuse writes unless they carry 'Authorization: Bearer TOKEN'"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.set_defaults(func=serve)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `georeset hub serve`."""
    hub = subparsers.add_parser("hub", help="a local Hugging Face Hub-protocol server")
    hub_commands = hub.add_subparsers(dest="hub_command", metavar="HUB_COMMAND")
    serve_parser = hub_commands.add_parser(
        "serve", help="serve repos over the Hub HTTP protocol (models, datasets, spaces) on a local port"
    )
    _add_serve_arguments(serve_parser)
    hub.set_defaults(func=lambda args: (hub.print_help(), 2)[1])


def main(argv: list[str] | None = None) -> int:
    """`python -m georeset.hub serve ...`."""
    parser = argparse.ArgumentParser(prog="python -m georeset.hub", description="local Hub-protocol server")
    commands = parser.add_subparsers(dest="hub_command", metavar="COMMAND", required=True)
    _add_serve_arguments(commands.add_parser("serve", help="serve repos on a local port"))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except GeoresetError as err:
        print(f"georeset: error: {err}", file=sys.stderr)
        return 1


__all__ = ["serve", "add_parser", "main"]
