"""`georeset app`: serve the web page (text -> places on a map; Sentinel-2 patch -> footprint, places, GeoLLaVA).

georeset app                                   # http://127.0.0.1:7860, embedded gazetteer, untrained GeoLLaVA
georeset app --port 8000 --geollava outputs/geollava-run   # a trained GeoLLaVA checkpoint (folder or Hub id)
georeset app --host 0.0.0.0 --naturalearth ../shared/data/naturalearth   # reachable on the network; NE layers

The same page runs as a Hugging Face Space from `app.py` (settings from `GEORESET_APP_*` environment variables).
"""

from __future__ import annotations

import argparse
import os

from georeset.app_support.text_results import DEFAULT_MAX_CHARS

ENV_PREFIX = "GEORESET_APP_"


def _default_naturalearth() -> str | None:
    """`<shared data>/naturalearth` when that folder exists (Natural Earth layers make a richer basemap)."""
    from georeset.settings import shared_data_dir

    shared = shared_data_dir()
    folder = shared / "naturalearth" if shared is not None else None
    return str(folder) if folder is not None and folder.is_dir() else None


def settings_from_env(environ: dict[str, str] | None = None):
    """`AppSettings` from `GEORESET_APP_GAZETTEER`, `_GEOLLAVA`, `_RESOLVER`, `_NATURALEARTH`, `_MAX_CHARS`,
    `_MAX_NEW_TOKENS` (how a Space, which cannot pass arguments, is configured)."""
    from georeset.app_support.models import AppSettings
    from georeset.errors import BadInputError

    env = os.environ if environ is None else environ

    def number(name: str, default: int) -> int:
        value = env.get(ENV_PREFIX + name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise BadInputError(f"{ENV_PREFIX}{name}={value!r}: expected an integer") from None

    naturalearth = env.get(ENV_PREFIX + "NATURALEARTH", "auto")
    return AppSettings(
        gazetteer=env.get(ENV_PREFIX + "GAZETTEER") or None,
        geollava=env.get(ENV_PREFIX + "GEOLLAVA") or None,
        resolver=env.get(ENV_PREFIX + "RESOLVER") or None,
        naturalearth=_naturalearth_option(naturalearth),
        max_chars=number("MAX_CHARS", DEFAULT_MAX_CHARS),
        max_new_tokens=number("MAX_NEW_TOKENS", 48),
    )


def _naturalearth_option(value: str | None) -> str | None:
    if value in (None, "", "none"):
        return None
    if value == "auto":
        return _default_naturalearth()
    from pathlib import Path

    from georeset.errors import BadInputError

    if not Path(value).is_dir():
        raise BadInputError(
            f"--naturalearth {value}: no such folder (use 'auto', 'none' or a folder of GeoJSON)"
        )
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `georeset app`."""
    parser = subparsers.add_parser(
        "app",
        help="serve the web page: places in text on a map, Sentinel-2 patches and GeoLLaVA",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.split("\n\n")[1:2]),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    parser.add_argument(
        "--port", type=int, default=7860, help="port (default 7860; 0: the first free port from 7860 on)"
    )
    parser.add_argument(
        "--gazetteer", default=None, help="gazetteer folder or Hub id (default: the embedded one)"
    )
    parser.add_argument(
        "--geollava",
        default=None,
        metavar="PATH_OR_ID",
        help="GeoLLaVA checkpoint; default: an untrained build of the embedded parts (the page says so)",
    )
    parser.add_argument(
        "--resolver",
        default=None,
        help="geoparser LLM for unsure cases ('default' or a Hub id); default: none",
    )
    parser.add_argument(
        "--naturalearth",
        default="auto",
        help="folder of Natural Earth GeoJSON layers for the basemap; 'auto': <shared data>/naturalearth when "
        "present; 'none': the gazetteer's polygons alone",
    )
    parser.add_argument(
        "--max-chars",
        type=int,
        default=DEFAULT_MAX_CHARS,
        help=f"longest text accepted, in characters (default {DEFAULT_MAX_CHARS:,}); longer ones are refused",
    )
    parser.add_argument("--max-new-tokens", type=int, default=48, help="longest GeoLLaVA answer in tokens")
    parser.add_argument(
        "--no-warm-up", action="store_true", help="load models at the first request, not at start"
    )
    parser.set_defaults(func=run_app)


def run_app(args: argparse.Namespace) -> int:
    """Build the page and serve it until interrupted."""
    from georeset.app_support.models import AppSettings
    from georeset.app_support.ui import build_app, launch_app

    settings = AppSettings(
        gazetteer=args.gazetteer,
        geollava=args.geollava,
        resolver=args.resolver,
        naturalearth=_naturalearth_option(args.naturalearth),
        max_chars=args.max_chars,
        max_new_tokens=args.max_new_tokens,
    )
    demo = build_app(settings)
    launch_app(demo, host=args.host, port=args.port or None, warm_up=not args.no_warm_up)
    return 0


__all__ = ["ENV_PREFIX", "add_parser", "run_app", "settings_from_env"]
