"""Browser tests (a package, so its conftest imports as ``browser.conftest``, not ``conftest``)."""
