"""A Hugging Face Hub-protocol server for loopback use (air-gapped teams, tests), and its client helpers.

    from georeset.hub import serve_in_background, hub_client_env, check_endpoint

    with serve_in_background("/tmp/hub", token="secret") as server:
        with hub_client_env(server.endpoint, server.token, "/tmp/hf-home"):
            dataset.push_to_hub("me/places")

See georeset/hub/README.md for what the server implements and its limits.
"""

from georeset.hub.client import check_endpoint, client_environ, hub_client_env
from georeset.hub.server import HubServer, serve_in_background
from georeset.hub.storage import HubStorage

__all__ = [
    "serve_in_background",
    "HubServer",
    "HubStorage",
    "check_endpoint",
    "client_environ",
    "hub_client_env",
]
