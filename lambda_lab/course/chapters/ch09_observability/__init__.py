"""Chapter 09, Logs, metrics, alarms and tracing: everything of
``notebooks/09-observability.ipynb`` in one place.

* :mod:`.exercises` — the chapter's exercises
* :mod:`.helpers` — what the notebook imports
* :mod:`.xray_exercise` — the X-Ray subsegment exercise
* :mod:`.powertools` — the Powertools section's helpers and its business-metric exercise
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the exercises' reference solutions

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import (
    exercises,  # noqa: F401 - registers exercises
    powertools,  # noqa: F401 - registers exercises
    xray_exercise,  # noqa: F401 - registers exercises
)
