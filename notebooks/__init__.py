"""Makes notebooks/conftest.py import as ``notebooks.conftest``, not a second ``conftest``
(tests/ does ``from conftest import ...``)."""
