"""Reference solutions, one module per exercise, read as text by :func:`source`.

They live in the package, never in the student notebooks; a notebook shows one only on demand.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["source"]


def source(name: str) -> str:
    """Return the source of solution module ``name`` (e.g. ``"gb_seconds"``).

    Raises:
        FileNotFoundError: if there is no such solution.
    """
    return resources.files(__name__).joinpath(f"{name}.py").read_text(encoding="utf-8")
