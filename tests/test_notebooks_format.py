"""Every course notebook is saved clean: valid, well named, run top to bottom, no widget state.

Notebooks are saved with ``python -m lambda_lab.course.nbtools notebooks/NN-name.ipynb``
(Restart & Run All in a fresh kernel, then :func:`lambda_lab.course.nbtools.strip`).
Their outputs are compared under nbval by the same ``pytest`` run (see pyproject.toml).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from lambda_lab.course.nbtools import WIDGET_MIMES, strip

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
NAME = re.compile(r"^\d\d-[a-z0-9]+(-[a-z0-9]+)*\.ipynb$")


def test_there_is_an_index_notebook():
    assert NOTEBOOKS / "00-index.ipynb" in PATHS


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_is_valid_nbformat_4(path):
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert nb.nbformat == 4
    nbformat.validate(nb)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_name_is_zero_padded_kebab_case(path):
    assert NAME.match(path.name), f"{path.name}: expected NN-kebab-case.ipynb"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_was_run_top_to_bottom(path):
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code if "".join(c["source"]).strip()]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts}; save it after Restart & Run All"
    )
    for cell in code:
        if not "".join(cell["source"]).strip():
            assert cell["execution_count"] is None and not cell["outputs"]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_holds_no_widget_state(path):
    nb = load(path)
    assert "widgets" not in nb["metadata"]
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            assert not set(data) & set(WIDGET_MIMES), f"{path.name}: stored widget output"
            if output["output_type"] in ("display_data", "execute_result"):
                assert "text/plain" in data, f"{path.name}: an output without a text fallback"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_metadata_is_stripped_and_kernel_is_python3(path):
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["metadata"]["kernelspec"]["language"] == "python"
    assert strip(nb) == nb, f"{path.name}: run python -m lambda_lab.course.nbtools on it"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_shows_no_errors(path):
    for cell in load(path)["cells"]:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{path.name}: a cell raised"
            if output["output_type"] == "stream":
                assert output["name"] == "stdout", f"{path.name}: stderr output stored"


def test_strip_drops_widget_state_and_keeps_the_text_fallback():
    nb = {
        "metadata": {"widgets": {"state": {}}, "kernelspec": {"name": "python3"}, "x": 1},
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"execution": {"t": 1}, "tags": ["keep"]},
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {WIDGET_MIMES[0]: {"model_id": "a"}, "text/plain": "Box()"},
                        "metadata": {},
                    },
                    {"output_type": "display_data", "data": {WIDGET_MIMES[0]: {}}, "metadata": {}},
                ],
            }
        ],
    }
    clean = strip(nb)
    assert "widgets" not in clean["metadata"] and "x" not in clean["metadata"]
    (cell,) = clean["cells"]
    assert cell["metadata"] == {"tags": ["keep"]}
    assert cell["outputs"] == [
        {"output_type": "display_data", "data": {"text/plain": "Box()"}, "metadata": {}}
    ]
    assert "widgets" in nb["metadata"]  # the input is not changed


def test_sanitisers_mask_random_ids_whole_even_when_they_hold_0x():
    """nbval applies tests/nbval-sanitize.cfg's pairs in order: an id holding "0x" must not be
    cut by the address mask before its own mask sees it (a CI run failed on a function URL id)."""
    from nbval.plugin import get_sanitize_patterns

    config = NOTEBOOKS.parent / "tests" / "nbval-sanitize.cfg"
    patterns = get_sanitize_patterns(config.read_text())

    def sanitise(text: str) -> str:
        for regex, replace in patterns:
            text = re.sub(regex, replace, text)
        return text

    url_id = "0wleaxqbyjj8d3jbg0xayphhudw1znvz"
    assert len(url_id) == 32
    assert sanitise(f"Host: {url_id}.lambda-url.us-east-1.on.aws") == (
        "Host: <url-id>.lambda-url.us-east-1.on.aws")
    assert sanitise("https://0xab12cd34ef.execute-api.us-east-1.amazonaws.com/prod") == (
        "https://<api-id>.execute-api.us-east-1.amazonaws.com/prod")
    assert sanitise("<object at 0x7f3a9c0e1d90>") == "<object at 0x<ADDRESS>>"
