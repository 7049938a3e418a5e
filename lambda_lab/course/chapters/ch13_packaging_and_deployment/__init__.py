"""Chapter 13, Packaging and deployment: everything of
``notebooks/13-packaging-and-deployment.ipynb`` in one place.

* :mod:`.helpers` — what the notebook imports, and the chapter's exercises
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the exercises' reference solutions

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import helpers  # noqa: F401 - registers exercises
