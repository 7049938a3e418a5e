"""Chapter 11, Lambda@Edge and CloudFront Functions: everything of
``notebooks/11-lambda-at-edge.ipynb`` in one place.

* :mod:`.helpers` — what the notebook imports, and the chapter's exercises
* ``questions.yaml`` — the chapter's quiz questions
* ``solutions/`` — the reference solutions (edge_product, mobile_redirect)

Importing the package registers the chapter's exercises.
"""

from __future__ import annotations

from . import helpers  # noqa: F401 - registers exercises
