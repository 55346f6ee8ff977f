"""Every widget notebook in a real browser, at the sizes learners use.

pytest drives the widgets' Python side (tests/test_widgets.py), but only a
browser shows what a learner sees.  This test starts JupyterLab on 127.0.0.1
and opens a fresh copy (outputs cleared) of each notebook that shows a
widget, at 1366×900 (a laptop) and 1024×768 (a workshop projector), with the
file browser open as JupyterLab opens it.  It runs every cell, then checks
each panel:

- no element sticks out of the visible notebook column, and nothing hides
  in a box that scrolls (no table column is cut, not even into a scroll box:
  overlay scrollbars give no hint that a box scrolls); no element is clipped
  by its own box (an ellipsis, a cut label); no picture is taller than the
  screen;
- each control and what it changes fit in one screenful of the notebook
  (``EFFECTS``), so that cause and effect are seen together;
- no broken image, and chart text is at least 10 CSS px as displayed
  (from the PNG's dpi and the scale it is shown at; tests/test_charts.py
  checks that no chart text is smaller than 10 pt);
- the contrast of every piece of text against its background is at least
  4.5:1 (WCAG AA), disabled controls excepted as WCAG allows, in the light
  theme and again, after every click, in the dark theme;
- every image has alt text (the panels' charts and the notebook's own), every
  result line is a polite live region, every slider has a label in words, and
  the keyboard focus shows as a ring at least 2 px wide;
- every button, clicked twice, answers visibly both times (the panel's text
  changes) and never with a Python error.

A screenshot of each panel lands in artifacts/browser/ (or in
EVENTSIM_SCREENS, named with EVENTSIM_SCREENS_TAG), to look at.

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
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if "eventsim.workbook.widgets import" in p.read_text())
SCREENS = Path(os.environ.get("EVENTSIM_SCREENS", ROOT / "artifacts" / "browser"))
TAG = os.environ.get("EVENTSIM_SCREENS_TAG", "")
SIZES = {"1366x900": (1366, 900), "1024x768": (1024, 768)}
CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_MS = 120_000
KERNEL_IDLE = "window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'"
#: Every panel's outer box (a panel may hold another: the dashboard holds a console).
PANELS = ", ".join(f".eventsim-{name}" for name in
                   ("time-travel", "console", "race", "dashboard", "explorer", "simulation"))
MIN_TEXT_PX = 10
MIN_CONTRAST = 4.5
MIN_FOCUS_RING_PX = 2
#: What each panel's controls change, by CSS selector: every element listed must fit, with the others,
#: in one screenful of the notebook.
EFFECTS = {
    "eventsim-time-travel": [".widget-slider", ".eventsim-chart img"],
    "eventsim-console": ["button:text-is('place order')", ".eventsim-result", ".eventsim-stream table"],
    "eventsim-race": [".eventsim-clerk button:text-is('A: save')", ".eventsim-clerk button:text-is('B: save')",
                      ".eventsim-clerk .eventsim-result", ".eventsim-stream table"],
    "eventsim-dashboard": ["button:text-is('place order')", ".eventsim-result", ".eventsim-log table",
                           "button:text-is('catch up')", ".eventsim-lag", ".eventsim-rows table"],
    "eventsim-explorer": [".widget-dropdown select", ".eventsim-history table"],
    "eventsim-simulation": ["button:text-is('run')", ".eventsim-result", ".eventsim-chart img"],
}
#: Every line that answers an action: read out by a screen reader when it changes.
RESULT_LINES = ".eventsim-result, .eventsim-lag, .eventsim-found"
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}

pytestmark = pytest.mark.browser

# Runs in the page: what is wrong with one panel, as a list of sentences.
INSPECT = """async (panel, [minPx, minContrast]) => {
  const dpiOf = async (img) => {  // from the PNG's pHYs chunk (pixels per metre); none: 72, a point per pixel
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    for (let i = 8; i + 12 <= bytes.length;) {
      const length = (bytes[i] << 24 | bytes[i + 1] << 16 | bytes[i + 2] << 8 | bytes[i + 3]) >>> 0;
      const type = String.fromCharCode(...bytes.slice(i + 4, i + 8));
      if (type === 'pHYs') { const d = bytes.slice(i + 8, i + 12);
        return ((d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3]) >>> 0) * 0.0254; }
      if (type === 'IDAT') break;
      i += 12 + length;
    }
    return 72;
  };
  const problems = [];
  const outer = panel.closest('.jp-WindowedPanel-outer') || panel.closest('.jp-Notebook');
  const box = outer.getBoundingClientRect();
  const columnRight = box.left + outer.clientLeft + outer.clientWidth;
  const name = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('src') || '').trim().replace(/\\s+/g, ' ');
    return `<${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\\s+/).slice(0, 2).join('.') : ''}> "${text.slice(0, 30)}"`;
  };
  const visible = (el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  const scrolls = (s) => ['auto', 'scroll'].includes(s.overflowX);
  const hides = (s) => ['hidden', 'clip'].includes(s.overflowX);
  for (const el of [panel, ...panel.querySelectorAll('*')]) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    let inScrollBox = false;
    for (let a = el.parentElement; a && a !== panel.parentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (scrolls(s) || s.overflowY === 'auto' || s.overflowY === 'scroll') {
        inScrollBox = true;
        const box = a.getBoundingClientRect();  // what only scrolling it shows is hidden
        const right = box.left + a.clientLeft + a.clientWidth, bottom = box.top + a.clientTop + a.clientHeight;
        if (r.right > right + 1 || r.bottom > bottom + 1)
          problems.push(`hidden until its box is scrolled: ${name(el)} ends ${Math.round(Math.max(r.right - right, r.bottom - bottom))} px past ${name(a)}`);
        break;
      }
      if (hides(s) && r.right > a.getBoundingClientRect().right + 1) {
        problems.push(`clipped by its box: ${name(el)} ends ${Math.round(r.right - a.getBoundingClientRect().right)} px past ${name(a)}`);
        break;
      }
    }
    if (!inScrollBox && r.right > columnRight + 1)
      problems.push(`past the notebook column: ${name(el)} ends ${Math.round(r.right - columnRight)} px right of it`);
    const s = getComputedStyle(el);
    if ((hides(s) || s.textOverflow === 'ellipsis') && !scrolls(s) && el.scrollWidth > el.clientWidth + 1
        && el.tagName !== 'IMG')
      problems.push(`clipped: ${name(el)} shows ${el.clientWidth} of ${el.scrollWidth} px`);
  }
  for (const table of panel.querySelectorAll('table')) {
    if (!visible(table)) continue;
    const right = Math.min(table.parentElement.getBoundingClientRect().right, columnRight);
    for (const cell of table.querySelectorAll('th, td')) {
      if (visible(cell) && cell.getBoundingClientRect().right > right + 1) {
        problems.push(`table column cut: ${name(cell)} ends ${Math.round(cell.getBoundingClientRect().right - right)} px past its box`);
        break;
      }
    }
  }
  for (const img of panel.querySelectorAll('img')) {
    if (!(img.getAttribute('alt') || '').trim()) problems.push(`image without alt text: ${name(img)}`);
    if (!visible(img)) { if (img.getAttribute('src') !== null && img.offsetParent !== null) problems.push(`empty image: ${name(img)}`); continue; }
    if (!img.complete || img.naturalWidth === 0) { problems.push(`broken image: ${name(img)}`); continue; }
    if (img.clientHeight > window.innerHeight) problems.push(`image taller than the screen: ${img.clientHeight} px`);
    const scale = img.clientWidth / img.naturalWidth;
    const dpi = await dpiOf(img);
    if ( 10 * dpi / 72 * scale < minPx)
      problems.push(`chart text ${(10 * dpi / 72 * scale).toFixed(1)} px: drawn ${img.naturalWidth} px wide at ${dpi} dpi, shown ${img.clientWidth} px wide`);
  }
  const rgba = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (fg, bg) => [0, 1, 2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const background = (el) => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    return layers.reverse().reduce((bg, c) => over(c, bg), [255, 255, 255]); };
  const opacity = (el) => { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
  for (const el of [panel, ...panel.querySelectorAll('*')]) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!(own || ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)) || !visible(el)) continue;
    if (el.closest(':disabled, .mod-disabled, [disabled]')) continue;  // WCAG 1.4.3: inactive controls are exempt
    if (el.closest('.widget-slider .noUi-base')) continue;
    const bg = background(el);
    const c = rgba(getComputedStyle(el).color);
    const fg = over([c[0], c[1], c[2], c[3] * opacity(el)], bg);
    const ratio = (Math.max(lum(fg), lum(bg)) + 0.05) / (Math.min(lum(fg), lum(bg)) + 0.05);
    if (ratio < minContrast) problems.push(`contrast ${ratio.toFixed(2)}:1 for ${name(el)} (rgb ${fg.map(Math.round)} on ${bg.map(Math.round)})`);
  }
  return [...new Set(problems)];
}"""


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
def browser():
    reason = missing_browser()
    if reason:
        if os.environ.get("EVENTSIM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"EVENTSIM_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()


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
    """The URL of a JupyterLab serving clean copies of the widget notebooks; stopped afterwards."""
    home = tmp_path_factory.mktemp("jupyterlab")
    notebooks = home / "notebooks"
    notebooks.mkdir()
    for notebook in NOTEBOOKS:
        copy_without_outputs(notebook, notebooks / notebook.name)
    config = home / "config"
    (config / "labconfig").mkdir(parents=True)
    # No "Jupyter news?" toast over the page.
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    # Every cell laid out, so that what is measured is what a learner scrolls to.
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "PYTHONHASHSEED": "0",
           "PYTHONPATH": str(ROOT)}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(home / "server.log", "wb") as log:
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


def settle(page) -> None:
    """Wait until the kernel is idle and the page has drawn what it sent."""
    page.wait_for_function(KERNEL_IDLE)
    page.wait_for_timeout(300)  # widget updates arrive just after the kernel reports idle
    page.wait_for_function(KERNEL_IDLE)


def errors_shown(page) -> list[str]:
    return page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()


def panel_snapshot(panel) -> str:
    """What the panel shows: its text and the sources of its images."""
    return panel.evaluate("p => p.innerText + [...p.querySelectorAll('img')].map(i => i.src).join(' ')")


def open_notebook(page, url: str, name: str) -> None:
    """Open the notebook alone in a fresh workspace (nothing restored from the last test), run it all."""
    page.goto(f"{url}/lab/workspaces/{Path(name).stem}-{page.viewport_size['width']}/tree/{name}?reset")
    page.wait_for_function(KERNEL_IDLE)
    # The file browser open, as JupyterLab opens it for a first visit.  Commands are started, not awaited:
    # Playwright would wait for their promise, with no timeout.
    page.evaluate("() => { if (window.jupyterapp.shell.leftCollapsed)"
                  " window.jupyterapp.commands.execute('filebrowser:activate'); }")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def shut_down_kernels(page) -> None:
    """Each test starts from a server with no kernel running (at most 10 s to say so)."""
    page.evaluate("() => Promise.race([window.jupyterapp.serviceManager.sessions.shutdownAll(),"
                  " new Promise(done => setTimeout(done, 10000))])")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_panels_fit_read_well_and_answer_every_click(browser, jupyterlab, notebook, size):
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    try:
        open_notebook(page, jupyterlab, notebook.name)
        expected = notebook.read_text().count("eventsim.workbook.widgets import")
        page.wait_for_function(f"() => [...document.querySelectorAll('{PANELS}')]"
                               f".filter(p => !p.parentElement.closest('{PANELS}')).length >= {expected}")
        settle(page)
        assert not page.evaluate("window.jupyterapp.shell.leftCollapsed"), "the file browser should be open"
        panels = [p for p in page.locator(PANELS).all()
                  if not p.evaluate(f"p => !!p.parentElement.closest('{PANELS}')")]
        assert len(panels) == expected, f"{len(panels)} panels shown, {expected} expected"
        SCREENS.mkdir(parents=True, exist_ok=True)
        kinds = []
        for index, panel in enumerate(panels):
            panel.scroll_into_view_if_needed()
            kind = panel.evaluate("p => [...p.classList].find(c => c.startsWith('eventsim-') && c !== 'eventsim-panel')")
            kinds.append(kind)
            where = f"{notebook.stem} {kind}"
            screenshots(page, panel, SCREENS / f"{TAG}{notebook.stem}-{index}-{kind}-{size}")
            problems += [f"{where}: {p}" for p in panel.evaluate(INSPECT, [MIN_TEXT_PX, MIN_CONTRAST])]
            problems += [f"{where}: {p}" for p in accessible(page, panel)]
            problems += impatient_clicks(page, panel, kind, where)
            problems += click_every_button_twice(page, panel, where)
            problems += [f"{where}: {p}" for p in panel.evaluate(INSPECT, [MIN_TEXT_PX, MIN_CONTRAST])]
            problems += [f"{where}: {p}" for p in cause_and_effect_apart(panel, kind)]
        problems += notebook_images(page, notebook.stem)
        set_theme(page, "dark")
        for index, (panel, kind) in enumerate(zip(panels, kinds)):
            where = f"{notebook.stem} {kind} (dark theme)"
            if index == 0:
                screenshots(page, panel, SCREENS / f"{TAG}{notebook.stem}-{index}-{kind}-{size}-dark", most=1)
            problems += [f"{where}: {p}" for p in panel.evaluate(INSPECT, [MIN_TEXT_PX, MIN_CONTRAST])]
        problems += [f"{notebook.stem}: error shown: {text[:300]}" for text in errors_shown(page)]
    finally:
        set_theme(page, "light")  # the theme is a setting of the server's: leave it as the next test expects
        shut_down_kernels(page)
        page.close()
    problems = list(dict.fromkeys(problems))
    assert not problems, f"{len(problems)} problem(s) at {size}:\n" + "\n".join(problems)


def set_theme(page, theme: str) -> None:
    """Switch JupyterLab's theme and wait until the page has it."""
    light = "true" if theme == "light" else "false"
    page.evaluate(f"() => {{ window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{THEMES[theme]}'}}); }}")
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}'")
    page.wait_for_timeout(500)  # the theme's CSS applied


def cause_and_effect_apart(panel, kind: str) -> list[str]:
    """The panel's control and what it changes (``EFFECTS``) in one screenful of the notebook, or why not."""
    boxes = []
    for selector in EFFECTS[kind]:
        found = panel.locator(selector)
        if not found.count():
            return [f"nothing matches {selector!r}: the test does not know this panel"]
        boxes.append((selector, found.first.evaluate(
            "e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; }")))
    screen = panel.evaluate("p => (p.closest('.jp-WindowedPanel-outer') || p.closest('.jp-Notebook')).clientHeight")
    top, bottom = min(t for _, (t, _) in boxes), max(b for _, (_, b) in boxes)
    if bottom - top > screen:
        return [f"control and effect need {round(bottom - top)} px, more than the {screen} px of the screen: "
                + ", ".join(f"{s} at {round(t - top)}-{round(b - top)}" for s, (t, b) in boxes)]
    return []


def accessible(page, panel) -> list[str]:
    """Live result lines, sliders labelled in words, and a focus ring of at least 2 px."""
    problems = []
    for line in panel.locator(RESULT_LINES).all():
        if not line.locator("[aria-live='polite']").count():
            problems.append(f"result line is not a live region: {line.inner_text()[:40]!r}")
    for slider in panel.locator(".widget-slider").all():
        if not slider.locator(".widget-label").inner_text().strip():
            problems.append("a slider without a label in words")
    controls = panel.locator("button:enabled, input:enabled, select:enabled, .noUi-handle")
    if controls.count():
        controls.first.focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Shift+Tab")  # focus arrives by the keyboard: :focus-visible applies
        width, style, focused = page.evaluate(
            "() => { const e = document.activeElement, s = getComputedStyle(e);"
            " return [parseFloat(s.outlineWidth), s.outlineStyle, e.tagName + '.' + e.className]; }")
        if style == "none" or width < MIN_FOCUS_RING_PX:
            problems.append(f"focus ring {width} px {style} on {focused}, less than {MIN_FOCUS_RING_PX} px")
    return problems


def notebook_images(page, stem: str) -> list[str]:
    """The notebook's own charts and diagrams: alt text on each, and each readable (``INSPECT``)."""
    problems = []
    for image in page.locator(".jp-OutputArea-output img").all():
        if image.evaluate("i => !!i.closest('.eventsim-panel')"):
            continue
        if not (image.get_attribute("alt") or "").strip():
            problems.append(f"{stem}: an output image without alt text")
    for chart in page.locator(".jp-RenderedImage, .jp-RenderedMarkdown.jp-OutputArea-output").all():
        if chart.locator("img").count():
            chart.scroll_into_view_if_needed()
            problems += [f"{stem} chart: {p}" for p in chart.evaluate(INSPECT, [MIN_TEXT_PX, MIN_CONTRAST])]
    return problems


def screenshots(page, panel, stem: Path, most: int = 3) -> None:
    """What a learner sees scrolling through the panel: the screen with its top at the top, then on."""
    panel.evaluate("p => p.scrollIntoView({block: 'start'})")
    for part in range(1, most + 1):
        page.wait_for_timeout(200)
        page.screenshot(path=f"{stem}-{part}.png")
        if not panel.evaluate("p => p.getBoundingClientRect().bottom > window.innerHeight"):
            break
        panel.evaluate("p => p.closest('.jp-WindowedPanel-outer').scrollBy(0, window.innerHeight - 200)")


def impatient_clicks(page, panel, kind: str, where: str) -> list[str]:
    """A double-click on "place order" is one order placed, and no refusal; three quick clicks on "run"
    are one run."""
    if kind == "eventsim-console":
        panel.get_by_placeholder("e.g. 42", exact=True).fill("dbl-1")
        panel.get_by_placeholder("e.g. 42", exact=True).press("Enter")
        panel.get_by_placeholder("e.g. 19.99").fill("5")
        panel.get_by_role("button", name="place order", exact=True).dblclick()
        settle(page)
        answer = panel.locator(".eventsim-result").inner_text()
        if "Rejected" in answer or "recorded" not in answer:
            return [f"{where}: a double-click on 'place order' answers {answer[:120]!r}"]
    if kind == "eventsim-simulation":
        panel.get_by_role("button", name="run").click(click_count=3)
        settle(page)
        answer = panel.locator(".eventsim-result").inner_text()
        if "run 2" in answer or "run 1" not in answer:
            return [f"{where}: three quick clicks on 'run' answer {answer[:120]!r}"]
    return []


def click_every_button_twice(page, panel, where: str) -> list[str]:
    """Click each enabled button of the panel twice; each click must change what the panel shows."""
    problems = []
    buttons = panel.locator("button")
    for index in range(buttons.count()):
        button = buttons.nth(index)
        label = button.inner_text().strip() or button.get_attribute("title") or f"button {index}"
        for click in (1, 2):
            if button.is_disabled():
                if click == 2:
                    problems.append(f"{where}: '{label}' is still disabled after its first click")
                break
            before = panel_snapshot(panel)
            button.click()
            settle(page)
            if panel_snapshot(panel) == before:
                problems.append(f"{where}: click {click} on '{label}' changed nothing on screen")
            if "Traceback" in panel.inner_text():
                problems.append(f"{where}: click {click} on '{label}' shows a Python error")
    return problems
