"""Chapter 05, Event sources: everything of
``notebooks/05-event-sources.ipynb`` in one place.

* :mod:`.exercises` — the chapter's exercises
* :mod:`.filter_exercise` — the FilterCriteria exercise
* :mod:`.helpers` — what the notebook imports
* :mod:`.stream_exercise` — the Kinesis partial-batch exercise
* :mod:`.pattern_exercise` — the EventBridge pattern exercise
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the exercises' reference solutions

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import (
    exercises,  # noqa: F401 - registers exercises
    filter_exercise,  # noqa: F401 - registers exercises
    pattern_exercise,  # noqa: F401 - registers exercises
    stream_exercise,  # noqa: F401 - registers exercises
)
