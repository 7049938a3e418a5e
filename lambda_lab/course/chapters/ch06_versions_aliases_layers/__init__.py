"""Chapter 06, Versions, aliases and layers: everything of
``notebooks/06-versions-aliases-layers.ipynb`` in one place.

* :mod:`.exercises` — the chapter's exercises
* :mod:`.helpers` — what the notebook imports
* :mod:`.layer_exercise` — the layer exercise
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the exercises' reference solutions

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import (
    exercises,  # noqa: F401 - registers exercises
    layer_exercise,  # noqa: F401 - registers exercises
)
