"""The notebooks' text: prices that JupyterLab would render as LaTeX, and facts a careful reader
found missing or out of date (issue 20). Each fact test cites its AWS source."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from lambda_lab.course.notebook import notes_vs_today

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))

#: What JupyterLab's Markdown renderer keeps away from MathJax: fenced blocks and code spans.
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_DOLLAR = re.compile(r"(?<!\\)\$")


def markdown(path: Path) -> list[tuple[int, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


def text_of(name: str) -> str:
    return "\n".join(src for _, src in markdown(NOTEBOOKS / name))


def unescaped_dollars(source: str) -> list[int]:
    """Offsets of every ``$`` that JupyterLab would treat as a math delimiter."""
    source = _FENCE.sub("", source)
    source = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), source)
    return [m.start() for m in _DOLLAR.finditer(source)]


def test_the_dollar_check_finds_a_price_pair_and_ignores_code_and_escapes():
    assert len(unescaped_dollars("costs $0.20 per million and $0.0000166667 per GB-s")) == 2
    assert unescaped_dollars(r"costs \$0.20 per million and \$0.0000166667 per GB-s") == []
    assert unescaped_dollars("`$LATEST` and `…:function:greet:$LATEST`") == []
    assert unescaped_dollars("```\necho $HOME $PATH\n```\n") == []


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_no_markdown_cell_has_an_unescaped_dollar_pair(path):
    """JupyterLab renders text between two ``$`` as LaTeX ("0.20permillionrequests…"):
    write prices as ``\\$0.20``."""
    bad = [(i, src) for i, src in markdown(path) if len(unescaped_dollars(src)) >= 2]
    assert not bad, [f"cell {i}: {src[:80]!r}" for i, src in bad]


def test_recursive_loop_detection_names_s3():
    """Lambda DG invocation-recursion; What's New 2024-10: "Lambda detects and stops recursive
    loops between Lambda and S3"."""
    text = text_of("07-async-and-destinations.ipynb")
    assert "October 2024" in text and "S3" in text[text.index("## 4. Recursive loop"):]


def test_reserved_concurrency_zero_cites_its_source():
    """Lambda DG invocation-async-retain-records: with reserved concurrency 0, new async events go
    to the dead-letter queue or on-failure destination without retries."""
    text = text_of("07-async-and-destinations.ipynb")
    assert "invocation-async-retain-records.html" in text


def test_the_emulator_checks_the_trust_policy():
    """08 no longer says the emulator checks only that the role exists (it checks the trust
    policy: tests/test_aws_trust_policy.py); and a function has one execution role."""
    text = text_of("08-permissions-and-security.ipynb")
    assert "checks only that the role exists" not in text
    assert "exactly one execution role" in text


def test_cloudwatch_events_is_named_as_eventbridges_former_name():
    assert "CloudWatch Events" in text_of("05-event-sources.ipynb")


def test_the_timeout_section_says_what_to_use_past_15_minutes():
    text = text_of("02-memory-cpu-timeout.ipynb")
    for name in ("Step Functions", "Fargate", "EC2"):
        assert name in text


def test_the_concurrency_chapter_tells_reserved_from_provisioned():
    """Lambda DG configuration-concurrency: reserved concurrency has no additional charge;
    provisioned concurrency is billed (pricing page)."""
    text = text_of("04-concurrency.ipynb")
    assert "provisioned concurrency" in text.lower()
    assert "nothing extra" in text and "billed for as long as it is configured" in text


def test_the_index_does_not_promise_a_number_of_quiz_questions():
    """Chapter quizzes run from 5 (01) to 16 (05) questions: the index names no count."""
    text = text_of("00-index.ipynb")
    assert not re.search(r"\b(\d+|five|ten)[- ]question", text, re.I)
    assert "five to eleven" not in text


def test_quota_tables_wrap_to_fit_the_page():
    table = notes_vs_today(["account_concurrency_default", "scaling_rate"])
    page = table._repr_html_()
    assert page.count("<tr>") == 3 and "max-width: 16em" in page and "white-space: normal" in page
    assert str(table).splitlines()[0].startswith("Quota")


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_no_notebook_leaves_a_temporary_folder_behind(path):
    """``tempfile.mkdtemp`` in a cell is never removed (chapter 01 left a ``custom-runtime-*``
    folder in /tmp on every run): use the server's folder, removed by ``server.stop()``."""
    nb = nbformat.read(path, as_version=4)
    leaks = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "mkdtemp(" in c.source]
    assert not leaks
