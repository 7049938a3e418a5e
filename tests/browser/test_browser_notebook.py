"""A learner's path through a real browser: JupyterLab, headless Chromium, the memory slider.

The test starts ``jupyter lab`` on 127.0.0.1 (a random free port and token) over a temporary
copy of ``notebooks/`` (the committed notebooks are never modified; progress goes to a
temporary file), opens ``02-memory-cpu-timeout.ipynb`` in headless Chromium driven by
Playwright, runs every cell from the Run menu, waits for the memory slider, moves it with the
keyboard as a learner would (the slider handle takes Home/End/arrow keys) and checks that the
summary line and the figure change. JupyterLab gets the settings Binder gets
(``binder/overrides.json``).

Screenshots are saved to ``$LAMBDA_LAB_ARTIFACTS`` (default: ``<tmp>/lambda-lab-artifacts``);
the test prints their paths. It skips, with the reason, when ``/usr/bin/chromium`` or the
``playwright`` package is missing. Chromium comes from Debian (``apt-get install chromium``),
never from ``playwright install``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOTEBOOK = "02-memory-cpu-timeout.ipynb"
#: The memory slider's summary line, e.g. "1,769 MB → 1.00 vCPU · 73.98 ms (billed 74 ms) · …".
SUMMARY = re.compile(r"^([\d,]+) MB → (\d+\.\d\d) vCPU")


def clear_outputs(path: Path) -> None:
    """Drop the stored outputs and execution counts, so whatever shows up later is live."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    path.write_text(json.dumps(nb), encoding="utf-8")


def artifacts_dir() -> Path:
    folder = Path(
        os.environ.get("LAMBDA_LAB_ARTIFACTS")
        or Path(tempfile.gettempdir()) / "lambda-lab-artifacts"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_lab_settings(folder: Path) -> None:
    """Binder's JupyterLab overrides as user settings; no news, update or kernel pop-ups."""
    settings = json.loads((REPO / "binder" / "overrides.json").read_text(encoding="utf-8"))
    settings.setdefault("@jupyterlab/apputils-extension:notification", {}).update(
        {"checkForUpdates": False, "fetchNews": "false"}
    )
    # Without this, a "Select Kernel" dialog may come up seconds after the notebook opens;
    # accepting it replaces the kernel, dropping the cells queued on the first one.
    settings.setdefault("@jupyterlab/notebook-extension:tracker", {})["autoStartDefaultKernel"] = (
        True
    )
    for plugin_id, values in settings.items():
        package, plugin = plugin_id.split(":")
        path = folder / package / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


@pytest.fixture(scope="module")
def playwright_api():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is missing: pip install playwright")
    if shutil.which("jupyter-lab") is None and shutil.which("jupyter") is None:
        pytest.skip("jupyter lab is not installed")
    return sync_playwright


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab over a temporary copy of notebooks/: (base URL, token, root)."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "notebooks"
    shutil.copytree(REPO / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    clear_outputs(root / NOTEBOOK)
    write_lab_settings(tmp / "settings")
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update(
        LAMBDA_LAB_PROGRESS=str(tmp / "progress.json"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        MPLBACKEND="Agg",
    )
    log = open(tmp / "jupyter.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=",
            "--LabApp.expose_app_in_browser=True",  # to ask JupyterLab if the kernel is ready
            *(["--allow-root"] if os.geteuid() == 0 else []),  # CI containers run as root
        ],
        cwd=tmp,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited:\n{(tmp / 'jupyter.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail("jupyter lab did not answer within 60 s")
                time.sleep(0.2)
        yield base, token, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        log.close()


def menu(page, title: str, item: re.Pattern[str]) -> None:
    """Click a menu-bar menu, then one of its items."""
    page.get_by_role("menuitem", name=title, exact=True).click()
    page.get_by_role("menuitem", name=item).click()


#: True when the open notebook's kernel is connected and idle (JupyterLab's own view of it).
KERNEL_READY = """() => {
    const kernel = window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""


def start_kernel(page, timeout_s: float = 90) -> None:
    """Wait until the notebook's kernel is connected and idle, accepting the kernel dialog if
    it comes up (it should not: the settings start the notebook's preferred kernel)."""
    dialog = page.locator(".jp-Dialog .jp-mod-accept")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if dialog.count() and dialog.first.is_visible():
            dialog.first.click()  # "Select Kernel": keep the notebook's own (Python 3)
        elif page.evaluate(KERNEL_READY):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the kernel was not connected and idle within {timeout_s:.0f} s")


#: Each quiz option's box (its label) and its radio button's box, in page coordinates.
MEASURE_OPTIONS = """cell => [...cell.querySelectorAll('.widget-radio-box label')].map(l => {
    const r = l.getBoundingClientRect(), i = l.querySelector('input').getBoundingClientRect();
    return {text: l.innerText.slice(0, 40), x: r.x, y: r.y, w: r.width, h: r.height,
            ix: i.x, iy: i.y, iw: i.width, ih: i.height};
})"""


def measure_options(cell) -> list[dict]:
    return cell.evaluate(MEASURE_OPTIONS)


def assert_no_overlap(boxes: list[dict]) -> None:
    """No two option boxes share any area; each radio button is visible, at its box's left."""
    for n, a in enumerate(boxes):
        assert a["iw"] > 0 and a["ih"] > 0, f"radio button of {a['text']!r} is hidden"
        assert a["y"] - 1 <= a["iy"] and a["iy"] + a["ih"] <= a["y"] + a["h"] + 1, a
        assert a["ix"] <= a["x"] + 8, f"radio button of {a['text']!r} is not at the left"
        for b in boxes[n + 1 :]:
            overlap_x = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            overlap_y = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            assert overlap_x <= 0.5 or overlap_y <= 0.5, f"options overlap: {a} and {b}"


def test_memory_slider_redraws_in_a_real_browser(playwright_api, lab):
    base, token, root = lab
    shots = artifacts_dir()
    committed = (REPO / "notebooks" / NOTEBOOK).read_bytes()
    started = time.monotonic()
    with playwright_api() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}", wait_until="domcontentloaded")
            # The notebook is open and its kernel is idle.
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
            start_kernel(page)

            # Run → Run All Cells, as a learner does. Execution requests sent while the kernel
            # connection is still settling can be dropped: then the first cell never starts, and
            # the test asks again (at most three times).
            first_prompt = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt")
            for attempt in range(3):
                menu(page, "Run", re.compile(r"^Run All Cells"))
                try:
                    expect(first_prompt.first).to_have_text(
                        re.compile(r"^\[(\d+|\*)\]:$"), timeout=30_000
                    )
                    break
                except AssertionError:
                    if attempt == 2:
                        raise
                    print(f"\nRun All Cells attempt {attempt + 1} did not start; retrying")
                    start_kernel(page)

            # Wait for the last cell, the quiz, to show its widgets: only a live kernel makes
            # them (the saved notebook holds their text form only). Until then the kernel is
            # busy, and the messages a slider move sends would wait behind the queued cells.
            quiz = page.locator(".jp-CodeCell").filter(
                has=page.locator(".jp-InputArea-editor", has_text="chapter_quiz(")
            )
            quiz.locator(".widget-label", has_text="Score:").wait_for(timeout=120_000)
            ran_s = time.monotonic() - started

            # The memory slider's cell, scrolled into view: JupyterLab may skip laying out
            # cells far outside the window.
            cell = page.locator(".jp-CodeCell").filter(
                has=page.locator(".jp-InputArea-editor", has_text="memory_slider_ui(curve)")
            )
            cell.scroll_into_view_if_needed()
            slider = cell.locator(".jp-OutputArea-output .widget-vbox").first
            handle = slider.locator(".noUi-handle").first
            handle.wait_for(timeout=90_000)
            summary = slider.locator(".widget-html code")
            figure = slider.locator(".widget-output img")
            figure.wait_for(timeout=30_000)
            slider.scroll_into_view_if_needed()
            before_text = summary.inner_text().strip()
            before_png = figure.get_attribute("src")
            assert SUMMARY.match(before_text), before_text
            assert SUMMARY.match(before_text).group(1) == "1,769"
            readout = slider.locator(".widget-readout")
            expect(readout).to_have_text("1769")
            page.screenshot(path=str(shots / "02-memory-slider-before.png"))

            # Move the slider: focus its handle and press Home (the minimum, 128 MB). Locators
            # are queried afresh: a redraw replaces the summary's and the figure's elements.
            handle.focus()
            handle.press("Home")
            expect(summary).not_to_have_text(before_text, timeout=30_000)
            after_text = summary.inner_text().strip()
            match = SUMMARY.match(after_text)
            assert match, after_text
            assert (match.group(1), match.group(2)) == ("128", "0.07")
            expect(readout).to_have_text("128")
            expect(figure).not_to_have_attribute("src", before_png, timeout=30_000)
            assert figure.get_attribute("src").startswith("data:image/png;base64,")

            # And a few steps up with the arrow keys: 128 → 131 MB.
            for _ in range(3):
                handle.press("ArrowRight")
            expect(summary).to_have_text(re.compile(r"^131 MB → 0\.07 vCPU"), timeout=30_000)
            expect(readout).to_have_text("131")
            slider.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "02-memory-slider-after.png"))
            slider.screenshot(path=str(shots / "02-memory-slider-widget.png"))

            # The quiz: on a narrow page its longest answers wrap, and no two option boxes
            # overlap (ipywidgets alone gives each radio label one fixed-height line, so a long
            # label ran over the next option and hid its radio circle; issue 20).
            page.set_viewport_size({"width": 560, "height": 900})
            quiz.scroll_into_view_if_needed()
            options = quiz.locator(".lambda-lab-quiz .widget-radio-box label")
            options.first.wait_for(timeout=30_000)
            page.wait_for_timeout(300)  # let the layout settle after the resize
            boxes = measure_options(quiz)
            assert len(boxes) >= 10, boxes
            assert_no_overlap(boxes)
            one_line = min(b["h"] for b in boxes)
            assert max(b["h"] for b in boxes) > 1.6 * one_line, "no long answer wrapped"
            quiz.screenshot(path=str(shots / "02-quiz-narrow.png"))

            # Answer Q1: the feedback is in the page's proportional font and the question locks.
            options.first.locator("input").check()
            quiz.get_by_role("button", name="Submit").first.click()
            feedback = quiz.locator(".lambda-lab-feedback").first
            feedback.wait_for(timeout=30_000)
            font = feedback.evaluate("el => getComputedStyle(el).fontFamily")
            assert "mono" not in font.lower(), font
            expect(quiz.get_by_role("button", name="Answered").first).to_be_disabled()
            assert "locked" in feedback.inner_text()
            page.set_viewport_size({"width": 1280, "height": 900})

            # Every cell ran without an error output.
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
                timeout=60_000
            )
            assert page.locator(".jp-OutputArea-output[data-mime-type*='error']").count() == 0
            assert (
                page.locator(
                    ".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']"
                ).count()
                == 0
            )
        except Exception:
            page.screenshot(path=str(shots / "02-failure.png"))
            cells = page.evaluate(
                """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')].map(c =>
                    (c.querySelector('.jp-InputArea-prompt')?.innerText || '') + ' ' +
                    (c.querySelector('.jp-InputArea-editor')?.innerText || '').slice(0, 40) +
                    ' => ' + (c.querySelector('.jp-OutputArea')?.innerText || '').slice(0, 300))"""
            )
            (shots / "02-failure.txt").write_text("\n".join(cells), encoding="utf-8")
            raise
        finally:
            browser.close()
    elapsed = time.monotonic() - started
    print(
        f"\nbrowser: notebook ran in {ran_s:.1f} s, whole test {elapsed:.1f} s; "
        f"screenshots in {shots}"
    )
    assert (REPO / "notebooks" / NOTEBOOK).read_bytes() == committed  # only the copy ran
