"""The mock exam in a real JupyterLab (headless Chromium): the timer runs on its own, ends the
exam at 0, and the review's link opens the chapter at the heading that teaches the question.

Uses the JupyterLab and Chromium fixtures of test_browser_notebook (it skips, with the reason,
where they are missing). The exam is one question with a timer of a few seconds.
"""

# ruff: noqa: F811 -- the fixtures are imported from test_browser_notebook and used as arguments

from __future__ import annotations

import re
import time

import nbformat
import pytest

from browser.test_browser_notebook import (  # noqa: F401 - fixtures used as arguments
    CHROMIUM,
    CHROMIUM_ARGS,
    artifacts_dir,
    expect,
    lab,
    menu,
    playwright_api,
    start_kernel,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

NOTEBOOK = "mock-exam-check.ipynb"
HEADING = "3. Reserved concurrency and real throttles"
SOURCE = f"""
from lambda_lab.course.mock_exam import mock_exam_widget
from lambda_lab.course.quiz import Question

q = Question("bt-reserved", "04-concurrency", "Security", "Which one is right?",
             ("This one", "That one"), (1,), "That one is right.",
             section="{HEADING.split(". ", 1)[1]}")
mock_exam_widget(n=1, bank=[q], record=False, shuffle=False, minutes=0.1)
"""


def test_the_timer_ends_the_exam_and_the_review_links_to_the_section(playwright_api, lab):
    base, token, root = lab
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SOURCE.strip())])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.write(nb, root / NOTEBOOK)
    shots = artifacts_dir()
    with playwright_api() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}", wait_until="domcontentloaded")
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
            start_kernel(page)
            menu(page, "Run", re.compile(r"^Run All Cells"))
            timed = page.get_by_role("checkbox", name=re.compile(r"^Timed"))
            timed.wait_for(timeout=60_000)
            clock = page.locator(".lambda-lab-exam-clock .widget-html").last
            expect(clock).to_contain_text("Untimed")

            # Tick the box: the time left counts down on its own (6 s here), then the exam ends.
            page.get_by_role("radio", name=re.compile(r"^A\. This one")).check()
            timed.check()
            expect(clock).to_contain_text(re.compile(r"Time left: 0:00:0[0-6]"), timeout=10_000)
            started = time.monotonic()
            expect(clock).to_contain_text("Time is up", timeout=30_000)
            assert time.monotonic() - started < 15
            report = page.locator(".jp-OutputArea-output", has_text="Time ran out").last
            report.wait_for(timeout=10_000)
            expect(report).to_contain_text("Your answer: A. This one")
            expect(page.get_by_role("button", name="Finish and score")).to_be_disabled()
            page.screenshot(path=str(shots / "14-mock-exam-timed-out.png"))

            # The review's link opens chapter 04 in JupyterLab, where the heading's id is the
            # link's fragment. JupyterLab 4.6 scrolls to a fragment only in a notebook that is
            # already open (a Markdown link does the same), so the link is followed twice.
            link = report.get_by_role("link", name=re.compile(re.escape(HEADING)))
            href = link.get_attribute("href")
            # JupyterLab resolves the relative link to a /files/ URL and keeps the fragment
            assert "/04-concurrency.ipynb" in href
            assert href.endswith("#3.-Reserved-concurrency-and-real-throttles")
            link.click()
            page.locator(".lm-TabBar-tab", has_text="04-concurrency.ipynb").wait_for(
                timeout=30_000)
            heading = page.locator(".jp-NotebookPanel:visible h2", has_text=HEADING)
            expect(heading).to_have_attribute("data-jupyter-id", href.split("#", 1)[1],
                                              timeout=30_000)
            page.locator(".lm-TabBar-tab", has_text=NOTEBOOK).click()
            link.click()
            expect(heading).to_be_in_viewport(timeout=30_000)
            page.screenshot(path=str(shots / "14-review-link-opened-04.png"))
        except Exception:
            page.screenshot(path=str(shots / "14-mock-exam-failure.png"))
            raise
        finally:
            browser.close()
