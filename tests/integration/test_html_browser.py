"""The HTML reports in a real headless Chromium, with the network switched off.

Checks what only a browser can: the page loads offline and requests nothing beyond itself,
every chart has a rendered size and drawn shapes, hostile column names, category values
and file names stay text (no element, no script, no dialog), and a screenshot is not blank.

Chromium comes from Debian (``apt-get install -y chromium``). Without it the test skips
locally and fails in CI (``CI`` set), where it must run. The DevTools protocol is spoken
over a minimal stdlib WebSocket client, to add no dependency.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.browser

INSTALL_HINT = "apt-get install -y chromium"
HOSTILE_COLUMN = "<img src=x onerror=alert(1)>"
HOSTILE_VALUES = [
    "<script>document.title='PWNED'</script>",
    "\"><svg onload=alert(2)><img src=x onerror=alert(3)>",
    "</text></svg><img src=x onerror=alert(4)>",
]
HOSTILE_FILE = "<b onmouseover=alert(5)>today.csv"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Any host lookup fails, so a remote load could not succeed even if one were tried.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"chromium is required in CI for the browser tests: {INSTALL_HINT}")
    pytest.skip(f"chromium is not installed; install it with: {INSTALL_HINT}")


class DevTools:
    """Just enough of a WebSocket client (RFC 6455) to drive the Chrome DevTools protocol."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlparse(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(4096)
        head, _, self.buffer = response.partition(b"\r\n\r\n")
        assert head.split(b"\r\n")[0].split()[1] == b"101", head
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _receive(self) -> dict[str, Any]:
        message = b""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(length)
            opcode = first & 0x0F
            if opcode in (0x1, 0x0):
                message += payload
                if first & 0x80:
                    return json.loads(message)
            elif opcode == 0x8:
                raise ConnectionError("DevTools closed the connection")

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        body: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            body["sessionId"] = session
        payload = json.dumps(body).encode()
        mask = os.urandom(4)
        if len(payload) < 126:
            header = bytes([0x81, 0x80 | len(payload)])
        elif len(payload) < 65536:
            header = bytes([0x81, 0x80 | 126]) + struct.pack(">H", len(payload))
        else:
            header = bytes([0x81, 0x80 | 127]) + struct.pack(">Q", len(payload))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        while True:
            message = self._receive()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self._receive())
        raise TimeoutError(f"no {method} event within {timeout} s")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    binary = _chromium()
    profile_dir = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 60
        assert process.stderr is not None
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line and process.poll() is not None:
                break
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            url = found.group(1) if found else None
        assert url, "chromium did not start its DevTools endpoint"
        client = DevTools(url)
        yield client
        client.sock.close()
    finally:
        process.kill()
        process.wait(timeout=30)


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kl_drift", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A drift report, a trend page and a timeline made by the CLI from data with hostile strings."""
    folder = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(7)
    n = 600
    categories = np.array(["plain", *HOSTILE_VALUES], dtype=object)
    reference = pd.DataFrame(
        {
            HOSTILE_COLUMN: rng.choice(categories, n, p=[0.4, 0.2, 0.2, 0.2]),
            "amount": rng.gamma(2.0, 10.0, n),
        }
    )
    current = pd.DataFrame(
        {
            HOSTILE_COLUMN: rng.choice(categories, n, p=[0.1, 0.3, 0.3, 0.3]),
            "amount": rng.gamma(2.0, 14.0, n),
        }
    )
    reference.to_csv(folder / "reference.csv", index=False)
    current.to_csv(folder / HOSTILE_FILE, index=False)
    profile = _run_cli("profile", "reference.csv", "-o", "profile.json", cwd=folder)
    assert profile.returncode == 0, profile.stderr
    for _ in range(3):
        run = _run_cli(
            "compare", "--reference", "profile.json", HOSTILE_FILE, "--html", "report.html",
            "--history", "drift.sqlite", "--fail-on", "never", cwd=folder,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
    trend = _run_cli("history", "drift.sqlite", "--html", "trend.html", cwd=folder)
    assert trend.returncode == 0, trend.stderr
    events = pd.concat([reference, current], ignore_index=True)
    events.insert(0, "event_time", pd.date_range("2026-01-01", periods=len(events), freq="h"))
    events.to_csv(folder / "events.csv", index=False)
    timeline = _run_cli("timeline", "events.csv", "--time-column", "event_time", "--freq", "W", "--html", "timeline.html",
                        "--fail-on", "never", cwd=folder)  # fmt: skip
    assert timeline.returncode == 0, timeline.stderr
    return {"report": folder / "report.html", "trend": folder / "trend.html", "timeline": folder / "timeline.html"}


PAGE_CHECKS = """
(() => {
  const svgs = Array.from(document.querySelectorAll('svg'));
  const shapes = (svg) => Array.from(svg.querySelectorAll('rect, circle, path, polyline, line'))
    .filter((el) => { const b = el.getBBox(); return b.width > 0 || b.height > 0; }).length;
  const withHandlers = Array.from(document.querySelectorAll('*'))
    .filter((el) => Array.from(el.attributes).some((a) => a.name.toLowerCase().startsWith('on'))).length;
  return JSON.stringify({
    title: document.title,
    text: document.body.innerText,
    charts: svgs.map((svg) => ({
      width: svg.getBoundingClientRect().width,
      height: svg.getBoundingClientRect().height,
      shapes: shapes(svg),
    })),
    active: document.querySelectorAll('img, script, iframe, object, embed, link, foreignObject').length,
    withHandlers: withHandlers,
    resources: performance.getEntriesByType('resource').map((r) => r.name),
  });
})()
"""


def _open_offline(browser: DevTools, page: Path) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    target = browser.call("Target.createTarget", url="about:blank")["targetId"]
    session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    browser.events.clear()
    browser.call("Network.enable", session)
    browser.call(
        "Network.emulateNetworkConditions", session, offline=True, latency=0, downloadThroughput=0, uploadThroughput=0
    )
    browser.call("Page.enable", session)
    browser.call("Page.navigate", session, url=page.as_uri())
    browser.wait_for("Page.loadEventFired")
    result = browser.call("Runtime.evaluate", session, expression=PAGE_CHECKS, returnByValue=True)
    # A reduced-scale capture keeps the pure-Python PNG decoding below fast.
    clip = {"x": 0, "y": 0, "width": 1000, "height": 1400, "scale": 0.3}
    shot = browser.call("Page.captureScreenshot", session, format="png", clip=clip, captureBeyondViewport=True)["data"]
    events = list(browser.events)
    browser.call("Target.closeTarget", targetId=target)
    return json.loads(result["result"]["value"]), events, shot


@pytest.mark.parametrize("which", ["report", "trend", "timeline"])
def test_page_renders_offline_with_inert_data(browser: DevTools, reports: dict[str, Path], which: str) -> None:
    checks, events, shot = _open_offline(browser, reports[which])

    requested = [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]
    assert requested and all(url.startswith("file://") for url in requested), requested
    assert checks["resources"] == []
    assert not [e for e in events if e.get("method") == "Page.javascriptDialogOpening"]

    assert checks["charts"], "the page has no chart"
    for chart in checks["charts"]:
        assert chart["width"] > 100 and chart["height"] > 50, chart
        assert chart["shapes"] >= 3, chart

    assert checks["active"] == 0
    assert checks["withHandlers"] == 0
    assert "PWNED" not in checks["title"]
    assert HOSTILE_COLUMN in checks["text"]
    if which == "report":
        for value in HOSTILE_VALUES:
            assert value in checks["text"] or value[:31] in checks["text"]
        assert HOSTILE_FILE in checks["text"]
    assert _distinct_colors(base64.b64decode(shot)) > 4


def test_screenshot_flag_makes_a_non_blank_png(reports: dict[str, Path], tmp_path: Path) -> None:
    binary = _chromium()
    shot = tmp_path / "report.png"
    run = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1600",
         "--force-device-scale-factor=0.25", "--hide-scrollbars", f"--screenshot={shot}", reports["report"].as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert _distinct_colors(shot.read_bytes()) > 4


def _distinct_colors(png: bytes) -> int:
    """Distinct pixel values of an 8-bit RGB(A) PNG, decoded with zlib and the PNG row filters."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    assert header is not None
    width, height, depth, color_type = header[:4]
    assert depth == 8 and color_type in (2, 6), header
    bpp = 3 if color_type == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(idat)
    previous = bytearray(stride)
    colors: set[bytes] = set()
    for row in range(height):
        kind = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1 : (row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        if row % 8 == 0:
            colors.update(bytes(line[i : i + bpp]) for i in range(0, stride, bpp * 4))
        previous = line
    return len(colors)
