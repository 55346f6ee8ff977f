"""The widgets in a real browser: JupyterLab + headless Chromium, driven by Playwright.

pytest can drive the widgets' Python side (tests/test_widgets.py), but only a
browser shows that they render and that a change made in the page reaches the
kernel and comes back.  This test starts JupyterLab on 127.0.0.1, opens a
fresh copy of tests/browser/widgets_demo.ipynb and runs every cell; then it
moves the time-travel slider with the keyboard, types an amount and clicks
"pay" and "ship" in the command console, and searches in the order explorer,
each time waiting for the kernel's answer to show.  A screenshot lands in
artifacts/browser/widgets.png.

Needs Debian's Chromium and the playwright package (never `playwright
install`); without them the test skips, unless EVENTSIM_REQUIRE_BROWSER=1.
"""
import json
import os
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
KERNEL_IDLE = "window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'"

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
        stop_server(server, home / "runtime")
        log.close()
        print((home / "server.log").read_text(errors="replace")[-3000:])


def stop_server(server: subprocess.Popen, runtime: Path) -> None:
    """Stop the server and every kernel it started.

    On SIGTERM the server shuts its kernels down.  Kernels run in sessions of
    their own, so if the server has to be killed they would survive it: kill
    by pid any process left that names a file in our runtime dir.
    """
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


def wait_for_change(page, selector: str, before: str) -> str:
    """Wait until the text of ``selector`` differs from ``before``; return the new text."""
    page.wait_for_function("([selector, before]) => document.querySelector(selector).innerText !== before",
                           arg=[selector, before])
    return page.locator(selector).inner_text()


def wait_for_image(page, selector: str, old_src: str | None = None) -> str:
    """Wait until the image is shown (and, given ``old_src``, is a new one); return its src."""
    page.wait_for_function("([selector, old]) => { const img = document.querySelector(selector);"
                           " return img.src !== old && img.complete && img.naturalWidth > 0; }",
                           arg=[selector, old_src])
    return page.locator(selector).get_attribute("src")


def test_widgets_render_and_answer_the_browser(sync_playwright, jupyterlab):  # skip before starting a server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2600})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{jupyterlab}/lab/tree/{NOTEBOOK.name}")
            page.wait_for_function(KERNEL_IDLE)
            page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

            # Time travel: order A1 at version 1 of 4; the three later events greyed out.
            travel = ".eventsim-time-travel"
            page.locator(f"{travel} .widget-slider").wait_for()
            state = f"{travel} .eventsim-state"
            before = page.locator(state).inner_text()
            assert "version 1 of 4" in before and "placed" in before, before
            assert page.locator(f"{travel} .eventsim-later").count() == 3
            picture = f"{travel} img"
            src = wait_for_image(page, picture)

            # The keyboard moves the slider; the kernel answers with the state at version 2.
            page.locator(f"{travel} .noUi-handle").focus()
            page.keyboard.press("ArrowRight")
            after = wait_for_change(page, state, before)
            assert "version 2 of 4" in after and "paid" in after, after
            assert page.locator(f"{travel} .widget-readout").inner_text() == "2"
            assert page.locator(f"{travel} .eventsim-later").count() == 2
            wait_for_image(page, picture, old_src=src)  # the timeline greys one event fewer

            # The console: type an amount, click "pay", see the event recorded and the read model row.
            console = page.locator(".eventsim-console")
            console.get_by_placeholder("e.g. 19.99").fill("25.00")  # order id B2 is filled in already
            result = ".eventsim-console .eventsim-result"
            before = page.locator(result).inner_text()
            console.get_by_role("button", name="pay", exact=True).click()
            answer = wait_for_change(page, result, before)
            assert "PayOrder recorded 1 event" in answer and "OrderPaid" in answer, answer
            page.wait_for_function(  # the read model (inline) has the payment too
                "() => /status\\s+paid[\\s\\S]*lag 0/"
                ".test(document.querySelector('.eventsim-console .eventsim-row').innerText)")
            ship = console.get_by_role("button", name="ship", exact=True)
            ship.click()
            answer = wait_for_change(page, result, answer)
            assert "ShipOrder recorded 1 event" in answer, answer
            ship.click()
            answer = wait_for_change(page, result, answer)
            assert "Rejected, nothing recorded: the order is already shipped" in answer, answer

            # The explorer: orders listed from the read model, latest first; a search picks A1,
            # whose history (a DataFrame) has four events.
            explorer = page.locator(".eventsim-explorer")
            options = explorer.locator(".widget-dropdown select option")
            assert options.all_inner_texts() == ["B2", "A1"]
            picture = ".eventsim-explorer img"
            src = wait_for_image(page, picture)
            explorer.locator(".widget-text input").fill("A")
            explorer.locator(".widget-text input").press("Enter")
            page.wait_for_function("() => document.querySelectorAll('.eventsim-explorer select option').length === 1")
            assert options.all_inner_texts() == ["A1"]
            page.wait_for_function(
                "() => document.querySelectorAll('.eventsim-explorer table.dataframe tbody tr').length === 4")
            assert "partially refunded" in explorer.locator(".eventsim-row").inner_text()
            wait_for_image(page, picture, old_src=src)  # A1's timeline
            page.wait_for_function(KERNEL_IDLE)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
        finally:
            browser.close()
