"""Chapter 06, Versions, aliases and layers: everything of
``notebooks/06-versions-aliases-layers.ipynb`` in one place.

* :mod:`.exercises` — the chapter's exercises
* :mod:`.helpers` — what the notebook imports
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the reference solutions (alias_shift)

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import exercises  # noqa: F401 - registers exercises
