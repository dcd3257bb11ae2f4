"""Client-side helpers: a clear error when the Hub endpoint does not answer, and pointing the HF libraries at a server.

`check_endpoint()` is what georeset's push and load commands call first, so that an unreachable or offline Hub gives
one sentence saying what to set, not a retry loop and a stack trace from inside huggingface_hub.

`hub_client_env()` points huggingface_hub, datasets and transformers at a given endpoint *inside a running
process*. That is harder than setting environment variables, because the libraries copy them into module constants
when they are imported:

- `huggingface_hub.constants`: ENDPOINT, HUGGINGFACE_CO_URL_TEMPLATE, HF_HUB_OFFLINE, HF_HUB_DISABLE_XET and the
  cache paths under HF_HOME; `huggingface_hub.hf_api.api` (the instance behind `huggingface_hub.create_repo` etc.)
  keeps its own `endpoint`;
- `datasets.config`: HF_ENDPOINT, HUB_DATASETS_URL, HF_HUB_OFFLINE / HF_DATASETS_OFFLINE and its caches;
- transformers reads `huggingface_hub.constants` at call time, except for the shared `HfApi` it keeps in
  `transformers.utils.hub._hf_api` (endpoint copied when first used), which is dropped so that it is rebuilt.

The context manager sets the environment variables (for modules imported later and for subprocesses) and patches
those constants in the modules already imported, then restores everything on exit. `HfFileSystem`'s instance cache
is cleared on entry and exit so that no listing from another server leaks in. Tests use it through the `hub_env`
fixture of tests/conftest.py; a test that cannot live with in-process patching can run its client in a subprocess
with `hub_env.environ` instead.
"""

from __future__ import annotations

import contextlib
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from georeset.errors import HubUnreachableError

DEFAULT_ENDPOINT = "https://huggingface.co"
_TRUE = {"1", "true", "yes", "on"}


def current_endpoint() -> str:
    """The endpoint the HF libraries use now: `huggingface_hub.constants.ENDPOINT` if imported, else `HF_ENDPOINT`."""
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        return str(constants.ENDPOINT)
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")


def offline_mode() -> bool:
    """Whether Hub access is switched off (`HF_HUB_OFFLINE`, as the imported libraries see it)."""
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        return bool(constants.HF_HUB_OFFLINE)
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().lower() in _TRUE


def check_endpoint(endpoint: str | None = None, timeout: float = 3.0) -> None:
    """Raise a clear `HubUnreachableError` unless the Hub endpoint answers HTTP.

    Any HTTP answer counts (even 401 or 404): the point is to tell "nothing is listening" and "offline mode" apart
    from errors the Hub itself reports.

    Args:
        endpoint: URL to probe; default: the endpoint the HF libraries would use (`HF_ENDPOINT`).
        timeout: seconds to wait for an answer.

    Raises:
        HubUnreachableError: offline mode is on, or the endpoint does not answer; the message says what to set.
    """
    target = (endpoint or current_endpoint()).rstrip("/")
    if endpoint is None and offline_mode():
        raise HubUnreachableError(
            f"Hub access is switched off (HF_HUB_OFFLINE=1), so {target} cannot be reached: unset HF_HUB_OFFLINE "
            "(or set HF_HUB_OFFLINE=0) to push or load from the Hub, or pass a local folder instead of a Hub id."
        )
    try:
        with urllib.request.urlopen(f"{target}/api/agent-harnesses", timeout=timeout):
            return
    except urllib.error.HTTPError:
        return  # it answered
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise HubUnreachableError(
            f"The Hugging Face Hub endpoint {target} does not answer ({reason}). Set HF_ENDPOINT to a reachable Hub "
            "(a local one: `georeset hub serve --port 8080 --root DIR`, then HF_ENDPOINT=http://127.0.0.1:8080 "
            "HF_HUB_DISABLE_XET=1 HF_TOKEN=<its token>), or set HF_HUB_OFFLINE=1 and use local folders."
        ) from None


def client_environ(endpoint: str, token: str | None, hf_home: Path | str) -> dict[str, str]:
    """The environment variables a client process needs to use the Hub at `endpoint` (caches under `hf_home`)."""
    home = Path(hf_home)
    environ = {
        "HF_ENDPOINT": endpoint.rstrip("/"),
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_OFFLINE": "0",
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(home / "hub"),
        "HF_DATASETS_CACHE": str(home / "datasets"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    if token:
        environ["HF_TOKEN"] = token
    return environ


def _constant_patches(
    endpoint: str, home: Path, offline: bool, disable_xet: bool
) -> dict[str, dict[str, object]]:
    """Module constants that the HF libraries derive from the environment at import time."""
    hub_cache = str(home / "hub")
    return {
        "huggingface_hub.constants": {
            "ENDPOINT": endpoint,
            "HUGGINGFACE_CO_URL_TEMPLATE": endpoint + "/{repo_id}/resolve/{revision}/{filename}",
            "HF_HUB_OFFLINE": offline,
            "HF_HUB_DISABLE_XET": disable_xet,
            "HF_HOME": str(home),
            "HF_HUB_CACHE": hub_cache,
            "HUGGINGFACE_HUB_CACHE": hub_cache,
            "HF_ASSETS_CACHE": str(home / "assets"),
            "HF_TOKEN_PATH": str(home / "token"),
            "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
            "AGENT_HARNESSES_PATH": str(home / ".agent_harnesses.json"),
            "CHECK_FOR_UPDATE_DONE_PATH": str(home / ".check_for_update_done"),
        },
        "datasets.config": {
            "HF_ENDPOINT": endpoint,
            "HUB_DATASETS_URL": endpoint + "/datasets/{repo_id}/resolve/{revision}/{path}",
            "HF_HUB_OFFLINE": offline,
            "HF_DATASETS_OFFLINE": offline,
            "HF_CACHE_HOME": str(home),
            "HF_DATASETS_CACHE": home / "datasets",
            "HF_MODULES_CACHE": home / "modules",
            "DOWNLOADED_DATASETS_PATH": home / "datasets" / "downloads",
            "EXTRACTED_DATASETS_PATH": home / "datasets" / "downloads" / "extracted",
        },
    }


def _patches_from_environment() -> dict[str, dict[str, object]]:
    """What the constants would be if the libraries were imported now, with the current environment."""
    default_home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "huggingface"
    home = Path(os.path.expanduser(os.environ.get("HF_HOME", str(default_home))))
    offline = (
        os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    ).lower() in _TRUE
    disable_xet = os.environ.get("HF_HUB_DISABLE_XET", "").lower() in _TRUE
    endpoint = os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")
    return _constant_patches(endpoint, home, offline, disable_xet)


def _apply(patches: dict[str, dict[str, object]], modules: list[str], saved: list | None) -> None:
    """Set the patched constants in `modules` (those imported), recording old values in `saved` when given."""
    for module_name in modules:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for name, value in patches[module_name].items():
            if hasattr(module, name):
                if saved is not None:
                    saved.append((module, name, getattr(module, name)))
                setattr(module, name, value)
    if "huggingface_hub.constants" not in modules:
        return
    hf_api = sys.modules.get("huggingface_hub.hf_api")
    if hf_api is not None:
        # The instance behind `huggingface_hub.create_repo` & co. copied the endpoint when it was created.
        if saved is not None:
            saved.append((hf_api.api, "endpoint", hf_api.api.endpoint))
        hf_api.api.endpoint = patches["huggingface_hub.constants"]["ENDPOINT"]
    transformers_hub = sys.modules.get("transformers.utils.hub")
    if transformers_hub is not None and hasattr(transformers_hub, "_hf_api"):
        # transformers keeps one shared HfApi (endpoint copied at creation): drop it so it is rebuilt.
        if saved is not None:
            saved.append((transformers_hub, "_hf_api", transformers_hub._hf_api))
        transformers_hub._hf_api = None


def _clear_hf_filesystem_cache() -> None:
    module = sys.modules.get("huggingface_hub.hf_file_system")
    if module is not None:
        module.HfFileSystem.clear_instance_cache()


@contextlib.contextmanager
def hub_client_env(endpoint: str, token: str | None, hf_home: Path | str) -> Iterator[dict[str, str]]:
    """Point huggingface_hub, datasets and transformers of this process at `endpoint` for the block.

    Modules imported before the block are patched and restored; modules first imported inside it read the
    environment set here, and on exit are reset to what the restored environment says.

    Args:
        endpoint: the Hub URL, e.g. `http://127.0.0.1:8080`.
        token: the bearer token to send (`HF_TOKEN`), or None.
        hf_home: folder for HF_HOME and the caches under it (use a temporary folder).

    Yields:
        The environment variables that were set (also right for subprocesses).
    """
    endpoint = endpoint.rstrip("/")
    home = Path(hf_home)
    home.mkdir(parents=True, exist_ok=True)
    environ = client_environ(endpoint, token, home)
    saved_env = {name: os.environ.get(name) for name in [*environ, "HF_TOKEN"]}
    saved: list[tuple[object, str, object]] = []
    patches = _constant_patches(endpoint, home, offline=False, disable_xet=True)
    imported_before = [name for name in patches if name in sys.modules]
    transformers_before = "transformers.utils.hub" in sys.modules
    os.environ.pop("HF_TOKEN", None)
    os.environ.update(environ)
    try:
        _apply(patches, imported_before, saved)
        _clear_hf_filesystem_cache()
        yield environ
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        imported_inside = [name for name in patches if name in sys.modules and name not in imported_before]
        if imported_inside:
            _apply(_patches_from_environment(), imported_inside, None)
        transformers_hub = sys.modules.get("transformers.utils.hub")
        if transformers_hub is not None and not transformers_before:
            transformers_hub._hf_api = None  # imported inside the block: its HfApi points at `endpoint`
        _clear_hf_filesystem_cache()


__all__ = [
    "DEFAULT_ENDPOINT",
    "current_endpoint",
    "offline_mode",
    "check_endpoint",
    "client_environ",
    "hub_client_env",
]
