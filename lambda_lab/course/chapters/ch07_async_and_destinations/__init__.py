"""Chapter 07, Asynchronous invocation and destinations: everything of
``notebooks/07-async-and-destinations.ipynb`` in one place.

* :mod:`.exercises` — the chapter's exercises
* :mod:`.helpers` — what the notebook imports
* :mod:`.idempotency` — the idempotency exercise's runner
* :mod:`.destination_exercise` — the on-failure destination exercise
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the exercises' reference solutions

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import (
    destination_exercise,  # noqa: F401 - registers exercises
    exercises,  # noqa: F401 - registers exercises
)
