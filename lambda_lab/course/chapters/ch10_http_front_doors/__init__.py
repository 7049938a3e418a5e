"""Chapter 10, HTTP front doors: everything of
``notebooks/10-http-front-doors.ipynb`` in one place.

* :mod:`.exercises` — the chapter's exercises
* :mod:`.helpers` — what the notebook imports
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the exercises' reference solutions

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import exercises  # noqa: F401 - registers exercises
