"""The georeset web page: paste text to see its places on a map, or upload a Sentinel-2 patch and ask GeoLLaVA.

Runs the same way everywhere:

    python app.py                     # locally (or `georeset app --help` for options)
    a Hugging Face Space with this repository (sdk: gradio, app_file: app.py)

Settings come from environment variables (a Space cannot pass arguments): GEORESET_APP_GAZETTEER,
GEORESET_APP_GEOLLAVA (a trained checkpoint; default: the untrained embedded build), GEORESET_APP_RESOLVER,
GEORESET_APP_NATURALEARTH, GEORESET_APP_MAX_CHARS, GEORESET_APP_MAX_NEW_TOKENS; GRADIO_SERVER_NAME and
GRADIO_SERVER_PORT choose where it listens.
"""

from __future__ import annotations

import os

from georeset.app_support.cli import settings_from_env
from georeset.app_support.ui import build_app, launch_app

demo = build_app(settings_from_env())

if __name__ == "__main__":
    port = os.environ.get("GRADIO_SERVER_PORT")
    launch_app(demo, host=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), port=int(port) if port else None)
