"""Shared test settings: no Hub on the internet, caches inside the checkout, shared data located once."""

from __future__ import annotations

import dataclasses
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# Set before any Hugging Face library is imported: they read these at import time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Caches (dense model copies, the embedded gazetteer) live in the checkout: reused between local runs, fresh in CI.
os.environ.setdefault("GEORESET_HOME", str(REPO_ROOT / ".cache" / "test-home"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data`, or skip with the reason when it is absent."""
    from georeset.settings import shared_data_dir

    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is absent (set GEORESET_SHARED_DATA to its location)")
    return path


# ---------------------------------------------------------------------------------------------------------------
# A local Hub-protocol server (georeset/hub) for tests of push_to_hub / load_dataset / from_pretrained.
#
#   def test_push(hub_env):                       # the server runs; this process's HF libraries point at it
#       ds.push_to_hub("georeset-test/places")    # token, endpoint, HF_HUB_DISABLE_XET, HF_HOME all set
#
# `hub_server` is one subprocess for the whole session (`python -m georeset.hub serve --port 0 --token ...`), with
# `.endpoint`, `.root`, `.token`. `hub_env` (per test) sets HF_ENDPOINT, HF_TOKEN, HF_HUB_DISABLE_XET=1,
# HF_HUB_OFFLINE=0 and a temporary HF_HOME, and patches the constants that huggingface_hub, datasets and
# transformers copied at import time (see georeset/hub/client.py); `hub_env.environ` is the same settings for a
# client subprocess. Use a repo name unique to your test: the server is shared by the session. Its requests'
# errors land in `hub_server.log`. `start_hub_server(root, token)` starts a private server (restarts, kills).
# ---------------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class HubServerProcess:
    """A running `georeset hub serve` subprocess."""

    endpoint: str
    root: Path
    token: str
    process: subprocess.Popen
    log: Path
    banner: str


@dataclasses.dataclass
class HubClientEnv:
    """What `hub_env` yields: the server, the client settings in force, and the temporary HF_HOME."""

    server: HubServerProcess
    environ: dict[str, str]
    hf_home: Path

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    @property
    def token(self) -> str:
        return self.server.token


def _start_hub_process(root: Path, token: str, log: Path, timeout: float = 60.0) -> HubServerProcess:
    cmd = [
        sys.executable,
        "-m",
        "georeset.hub",
        "serve",
        "--port",
        "0",
        "--root",
        str(root),
        "--token",
        token,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as log_file:
        process = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=log_file)
    deadline = time.monotonic() + timeout
    banner = b""
    # Raw reads (no buffered readline): select() must see every byte the server has not yet been asked for.
    while time.monotonic() < deadline and b"Press Ctrl-C" not in banner:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        chunk = os.read(process.stdout.fileno(), 4096) if ready else b""
        banner += chunk
        if ready and not chunk:
            break  # the server exited
    match = re.search(rb"(http://[^\s]+)", banner)
    if match and b"Press Ctrl-C" in banner:
        return HubServerProcess(
            match.group(1).decode(), root, token, process, log, banner.decode(errors="replace")
        )
    process.kill()
    raise RuntimeError(
        f"georeset hub server did not start: {' '.join(cmd)}\n{log.read_text(errors='replace')}"
    )


def _stop_hub_process(server: HubServerProcess) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    if server.process.stdout is not None:
        server.process.stdout.close()


@pytest.fixture(scope="session")
def hub_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServerProcess]:
    """A Hub server subprocess on a free loopback port, shared by the session (writes need `.token`)."""
    base = tmp_path_factory.mktemp("hub-server")
    server = _start_hub_process(base / "root", "georeset-test-token", base / "server.log")
    try:
        yield server
    finally:
        _stop_hub_process(server)


@pytest.fixture
def start_hub_server(tmp_path: Path) -> Iterator[Callable[[Path, str], HubServerProcess]]:
    """A function `start(root, token) -> HubServerProcess` for tests that need their own server (restarts, kills)."""
    started: list[HubServerProcess] = []

    def start(root: Path, token: str = "georeset-test-token") -> HubServerProcess:
        server = _start_hub_process(root, token, tmp_path / f"server-{len(started)}.log")
        started.append(server)
        return server

    yield start
    for server in started:
        _stop_hub_process(server)


@pytest.fixture
def hub_env(hub_server: HubServerProcess, tmp_path: Path) -> Iterator[HubClientEnv]:
    """Point huggingface_hub / datasets / transformers of this process at `hub_server` for one test."""
    from georeset.hub.client import hub_client_env

    hf_home = tmp_path / "hf-home"
    with hub_client_env(hub_server.endpoint, hub_server.token, hf_home) as environ:
        yield HubClientEnv(hub_server, environ, hf_home)
