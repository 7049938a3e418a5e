"""Chapter 12, Lambda in a VPC: everything of
``notebooks/12-vpc.ipynb`` in one place.

* :mod:`.helpers` — what the notebook imports, and the chapter's exercises
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the reference solutions (s3_blocked, sqs_endpoint)

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import helpers  # noqa: F401 - registers exercises
