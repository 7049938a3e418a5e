"""Registers the ``browser`` marker: tests that drive a real JupyterLab in headless Chromium.

They are slow (tens of seconds) and need Debian's ``chromium`` and the ``playwright`` package;
they skip with the reason when either is missing. Deselect them with ``-m "not browser"``.
"""

from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "browser: drives a real JupyterLab in headless Chromium (slow; needs /usr/bin/chromium "
        "and playwright)",
    )
