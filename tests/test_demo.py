"""``make demo`` (``tools/demo.py``): one command wires the fake ``auth_tokens``, the
real function, the Live stand-in and the page together and prints the one URL to open.
The browser half of the journey is the e2e test's; this checks the wiring a person
relies on: the URL serves the page, its config points at the function and the stand-in,
and the function mints for the page's origin (and for no other)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from tests.process import ROOT, free_port


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, list[str]]]:
    command = [sys.executable, "-m", "tools.demo", "--port", str(free_port())]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines = [process.stdout.readline(), process.stdout.readline()]
    try:
        yield lines[0], lines
    finally:
        process.terminate()  # the demo stops its function process and servers, as on Ctrl-C
        assert process.wait(timeout=30) == 0


def test_demo_prints_one_url_to_open_first(demo: tuple[str, list[str]]) -> None:
    first, lines = demo
    urls = re.findall(r"http://[\w.:]+/", first)
    assert first.startswith("Open ") and len(urls) == 1, lines


def test_the_url_serves_the_page_wired_to_the_function_and_the_live_stand_in(
    demo: tuple[str, list[str]],
) -> None:
    [url] = re.findall(r"http://[\w.:]+/", demo[0])
    assert "Talk to Gemini" in requests.get(url, timeout=10).text
    config_js = requests.get(url + "config.js", timeout=10).text
    config = json.loads(config_js.removeprefix("export default ").rstrip().rstrip(";"))
    assert config["liveBaseUrl"].startswith("http://127.0.0.1:")
    origin = url.rstrip("/")
    minted = requests.post(config["functionUrl"], json={}, headers={"Origin": origin}, timeout=10)
    assert minted.status_code == 200
    assert minted.headers["Access-Control-Allow-Origin"] == origin
    assert minted.json()["name"].startswith("auth_tokens/")
    elsewhere = {"Origin": "http://localhost:1"}
    refused = requests.post(config["functionUrl"], json={}, headers=elsewhere, timeout=10)
    assert refused.status_code == 403
