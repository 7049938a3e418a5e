"""Chapter 03, The execution context: everything of
``notebooks/03-execution-context.ipynb`` in one place.

* :mod:`.exercises` — the chapter's exercises
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the exercises' reference solutions

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import exercises  # noqa: F401 - registers exercises
