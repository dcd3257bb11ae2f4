"""`check_endpoint`: one clear error when the Hub does not answer; `hub_client_env` patches and restores."""

from __future__ import annotations

import os
import socket

import pytest

from georeset.errors import HubUnreachableError
from georeset.hub.client import check_endpoint, hub_client_env


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_closed_port_gives_a_clear_error():
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(HubUnreachableError) as err:
        check_endpoint(endpoint, timeout=2)
    message = str(err.value)
    assert endpoint in message and "HF_ENDPOINT" in message and "georeset hub serve" in message


def test_offline_mode_says_what_to_unset(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubUnreachableError, match="unset HF_HUB_OFFLINE"):
        check_endpoint()


def test_running_server_answers(hub_env):
    check_endpoint(hub_env.endpoint)
    check_endpoint()  # the patched environment points at the server and is online


def test_hub_client_env_restores_everything(tmp_path, hub_server):
    import datasets.config
    import huggingface_hub.constants as constants
    from huggingface_hub import hf_api

    before = (constants.ENDPOINT, constants.HF_HUB_OFFLINE, datasets.config.HF_ENDPOINT, hf_api.api.endpoint)
    env_before = os.environ.get("HF_ENDPOINT")
    with hub_client_env(hub_server.endpoint, hub_server.token, tmp_path / "home") as environ:
        assert constants.ENDPOINT == datasets.config.HF_ENDPOINT == hf_api.api.endpoint == hub_server.endpoint
        assert constants.HF_HUB_OFFLINE is False and constants.HF_HUB_DISABLE_XET is True
        assert os.environ["HF_TOKEN"] == hub_server.token == environ["HF_TOKEN"]
        assert constants.HF_HUB_CACHE == str(tmp_path / "home" / "hub")
    after = (constants.ENDPOINT, constants.HF_HUB_OFFLINE, datasets.config.HF_ENDPOINT, hf_api.api.endpoint)
    assert after == before and os.environ.get("HF_ENDPOINT") == env_before
