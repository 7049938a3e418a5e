"""Chapter 10, HTTP front doors: everything of
``notebooks/10-http-front-doors.ipynb`` in one place.

* :mod:`.helpers` — what the notebook imports, and the chapter's exercises
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the reference solutions (alb_multi_value, token_authorizer)

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import helpers  # noqa: F401 - registers exercises
