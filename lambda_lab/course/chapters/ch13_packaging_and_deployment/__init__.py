"""Chapter 13, Packaging and deployment: everything of
``notebooks/13-packaging-and-deployment.ipynb`` in one place.

* :mod:`.helpers` — what the notebook's first half imports (wheels, projects, packages)
* :mod:`.stacks` — what its second half imports (stacks, their events and outputs, aliases)
* :mod:`.exercises` — the fix-package exercise
* :mod:`.deployment_exercise` — the linear-with-alarm exercise (a DeploymentPreference)
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the exercises' reference solutions

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import (
    deployment_exercise,  # noqa: F401 - registers exercises
    exercises,  # noqa: F401 - registers exercises
)
