"""End to end in a real browser: `georeset app` in a subprocess, driven by Debian's headless Chromium via Selenium.

Pastes a text, waits for the map, checks the highlighted spans, the map's features and the candidates shown on a
click; checks that a too long text shows an error in the page and that the app keeps answering; uploads a 13-band
GeoTIFF, waits for its footprint and places, and asks GeoLLaVA (the untrained embedded build) a question. Every
request the page makes must stay on 127.0.0.1 (no CDN, fonts, tiles or analytics). Screenshots are saved in the
test's tmp dir and copied to `outputs/test-artifacts/`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import write_geotiff

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = REPO_ROOT / "outputs" / "test-artifacts"
# Flags that let Chromium start as root on a machine without a display or network (no background requests).
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,2200",
)
TEXT = "Flooding hit Paris, Texas, on Monday while Turkish aid arrived in Ankara. Nîmes was spared."
EXPECTED_SPANS = ["Paris", "Texas", "Turkish", "Ankara", "Nîmes"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="Debian's chromium and chromium-driver are not installed (make test installs them as root)",
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(condition: Callable[[], Any], timeout: float, what: str, poll: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def app_url(small_gazetteer: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`georeset app` on a free loopback port, on the small gazetteer, with short answers."""
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    command = [
        sys.executable, "-m", "georeset.cli", "app", "--port", str(port), "--gazetteer", str(small_gazetteer),
        "--naturalearth", "none", "--max-chars", "2000", "--max-new-tokens", "8",
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait(lambda: process.poll() is not None or f"127.0.0.1:{port}" in log.read_text(errors="replace"),
              180, "the app to start")  # fmt: skip
        if process.poll() is not None:
            raise AssertionError(f"georeset app exited:\n{log.read_text(errors='replace')}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print(log.read_text(errors="replace")[-3000:])


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _screenshot(driver, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    driver.save_screenshot(str(path))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, ARTIFACTS / name)
    return path


def _count(driver, selector: str) -> int:
    return driver.execute_script("return document.querySelectorAll(arguments[0]).length", selector)


def _requested_urls(driver) -> set[str]:
    urls = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            params = message["params"]
            urls.add(params.get("request", {}).get("url") or params.get("url", ""))
    return urls


def _error_shown(driver, text: str) -> bool:
    return bool(driver.execute_script("return document.body.innerText.includes(arguments[0])", text))


def test_text_and_image_in_a_real_browser(app_url: str, browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(app_url)
    # The page loads with the basemap alone.
    _wait(lambda: _count(driver, "#text-map svg.georeset-map"), 120, "the empty map")

    # --- a text: highlights, map features, candidates on a click
    started = time.perf_counter()
    driver.find_element(By.CSS_SELECTOR, "#text-input textarea").send_keys(TEXT)
    driver.find_element(By.ID, "find-places").click()
    features = _wait(lambda: _count(driver, "#text-map g.georeset-feature"), 120, "the places on the map")
    seconds_to_map = time.perf_counter() - started
    spans = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#highlights .token.highlighted")]
    assert spans == EXPECTED_SPANS
    assert features == 5  # Paris (Texas), Texas, Turkey, Ankara, Nîmes: one feature per place
    assert _count(driver, "#places-table [data-testid='cell-4-1']") == 1  # five table rows
    assert not _count(driver, "#places-table [data-testid='cell-5-1']")
    svg = driver.find_element(By.CSS_SELECTOR, "#text-map svg").get_attribute("outerHTML")
    assert 'data-entity-id="gn:4717560"' in svg and 'data-entity-id="gn:2988507"' not in svg  # Paris, Texas
    driver.find_elements(By.CSS_SELECTOR, "#highlights .token.highlighted")[0].click()
    _wait(lambda: "“Paris”" in driver.find_element(By.ID, "candidates-title").text, 30, "the candidates")
    _wait(lambda: _count(driver, "#candidates [data-testid='cell-1-1']"), 10, "two candidate rows")
    driver.find_element(By.CSS_SELECTOR, "#places-table [data-testid='cell-3-1']").click()
    _wait(lambda: "“Ankara”" in driver.find_element(By.ID, "candidates-title").text, 30, "a row's candidates")
    downloads = driver.find_element(By.ID, "downloads")
    _wait(
        lambda: all(s in downloads.get_attribute("innerText") for s in (".geojson", ".csv")), 30, "downloads"
    )
    _screenshot(driver, tmp_path, "app-text.png")
    print(f"paste -> map: {seconds_to_map:.2f} s")

    # --- a failing request shows an error in the page; the app keeps answering
    area = driver.find_element(By.CSS_SELECTOR, "#text-input textarea")
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        area,
        "Paris. " * 400,
    )
    driver.find_element(By.ID, "find-places").click()
    _wait(lambda: _error_shown(driver, "more than this page accepts"), 30, "the error message")
    _screenshot(driver, tmp_path, "app-error.png")

    # --- an image: footprint, places, GeoLLaVA's answer
    driver.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Image')]").click()
    _wait(lambda: driver.find_element(By.ID, "read-image").is_displayed(), 30, "the image tab")
    rng = np.random.default_rng(0)
    tif = write_geotiff(
        tmp_path / "Residential_7.tif", rng.integers(200, 4000, (13, 64, 64), dtype=np.uint16)
    )
    driver.find_element(By.CSS_SELECTOR, "#image-upload input[type=file]").send_keys(str(tif))
    uploaded = driver.find_element(By.ID, "image-upload")
    _wait(
        lambda: "Residential_7" in uploaded.get_attribute("innerText"), 30, "the upload"
    )  # stem and suffix split
    driver.find_element(By.ID, "read-image").click()
    _wait(lambda: _count(driver, "#image-map g.georeset-footprint"), 60, "the footprint")
    _wait(lambda: _count(driver, "#image-preview img"), 30, "the preview")
    assert "France > Île-de-France" in driver.find_element(By.ID, "image-info").text
    assert "Paris" in driver.find_element(By.ID, "image-places").text
    driver.find_element(By.ID, "ask").click()
    answer = _wait(
        lambda: driver.find_element(By.CSS_SELECTOR, "#answer textarea").get_attribute("value"),
        240,
        "GeoLLaVA's answer",
        poll=0.5,
    )
    assert answer.startswith("Q: Describe this Sentinel-2 image.\nA: ") and len(answer.splitlines()[1]) > 3
    _screenshot(driver, tmp_path, "app-image.png")

    # --- nothing left the machine
    outside = {
        url
        for url in _requested_urls(driver)
        if url.split(":", 1)[0] in ("http", "https", "ws", "wss")
        and not url.split("//", 1)[1].startswith("127.0.0.1")
    }
    assert not outside, f"the page fetched from outside: {sorted(outside)[:10]}"
