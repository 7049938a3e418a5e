"""Chapter 02, Memory, CPU and timeout: everything of
``notebooks/02-memory-cpu-timeout.ipynb`` in one place.

* :mod:`.exercises` — the chapter's exercises
* :mod:`.power` — memory, CPU share, duration and cost (the sliders' pure functions)
* :mod:`.timeout_model` — the timeout model behind the timeout slider
* :mod:`.widgets` — the sliders
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the exercises' reference solutions

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import exercises  # noqa: F401 - registers exercises
