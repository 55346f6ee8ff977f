"""The widgets in a real browser: JupyterLab + headless Chromium, driven by Playwright.

pytest can drive the widgets' Python side (tests/test_widgets.py), but only a
browser shows that they render and that a change made in the page reaches the
kernel and comes back.  This test starts JupyterLab on 127.0.0.1, opens a
fresh copy of tests/browser/widgets_demo.ipynb, runs every cell, moves the
time-travel slider with the keyboard and checks that the state shown changes.
A screenshot lands in artifacts/browser/widgets.png.

Needs Debian's Chromium and the playwright package (never `playwright
install`); without them the test skips, unless EVENTSIM_REQUIRE_BROWSER=1.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "tests" / "browser" / "widgets_demo.ipynb"
SCREENSHOT = ROOT / "artifacts" / "browser" / "widgets.png"
CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.browser


def missing_browser() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (install it: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (install it: pip install playwright)"
    return None


@pytest.fixture(scope="module")
def sync_playwright():
    reason = missing_browser()
    if reason:
        if os.environ.get("EVENTSIM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"EVENTSIM_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright
    return sync_playwright


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.load(response)


def copy_without_outputs(source: Path, target: Path) -> None:
    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, target)


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """The URL of a JupyterLab serving a clean copy of the demo notebook; stopped afterwards."""
    home = tmp_path_factory.mktemp("jupyterlab")
    notebooks = home / "notebooks"
    notebooks.mkdir()
    copy_without_outputs(NOTEBOOK, notebooks / NOTEBOOK.name)
    config = home / "config"
    (config / "labconfig").mkdir(parents=True)
    # No "Jupyter news?" toast over the page.
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "PYTHONHASHSEED": "0"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(home / "server.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--ServerApp.root_dir={notebooks}", "--IdentityProvider.token=",
         "--ServerApp.password=", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.expose_app_in_browser=True"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {server.returncode}; see {home / 'server.log'}")
            try:
                get_json(f"{url}/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer on {url} within 60 s")
                time.sleep(0.2)
        yield url
    finally:
        stop_server(server, url, home / "runtime")
        log.close()
        print((home / "server.log").read_text(errors="replace")[-3000:])


def stop_server(server: subprocess.Popen, url: str, runtime: Path) -> None:
    """Stop the server and every kernel it started.

    Kernels run in sessions of their own, so killing the server's process
    group would leave them behind: shut them down through the API first, and
    kill by pid any that still name a connection file in our runtime dir.
    """
    try:
        for kernel in get_json(f"{url}/api/kernels"):
            request = urllib.request.Request(f"{url}/api/kernels/{kernel['id']}", method="DELETE")
            urllib.request.urlopen(request, timeout=10).close()
    except OSError:
        pass
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        pass
    for pid in pids_mentioning(str(runtime)):
        os.kill(pid, signal.SIGKILL)


def pids_mentioning(text: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and text.encode() in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def test_widgets_render_and_answer_the_keyboard(jupyterlab, sync_playwright):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{jupyterlab}/lab/tree/{NOTEBOOK.name}")
            page.wait_for_function(
                "window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'")
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

            slider = page.locator(".eventsim-time-travel .widget-slider")
            slider.wait_for()
            state = page.locator(".eventsim-time-travel .eventsim-state")
            before = state.inner_text()
            assert "version 1" in before, f"time travel should start at version 1, shows {before!r}"

            page.locator(".eventsim-time-travel .noUi-handle").focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "before => document.querySelector('.eventsim-time-travel .eventsim-state').innerText !== before",
                arg=before)
            after = state.inner_text()
            assert "version 2" in after, f"after ArrowRight the state should be at version 2, shows {after!r}"

            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
