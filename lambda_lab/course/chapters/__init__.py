"""The course's chapters, one package each, named like its notebook:
``chapters/ch07_async_and_destinations/`` holds everything of
``notebooks/07-async-and-destinations.ipynb`` — its helpers, its exercises, its
``questions.yaml`` and its exercises' ``solutions/``. The machinery they share (quizzes,
exercises, progress, the exam) lives one level up, in :mod:`lambda_lab.course`.

Importing this package registers every chapter's exercises. The exam chapter (14) is machinery:
:mod:`lambda_lab.course.exam`.
"""

from __future__ import annotations

import importlib

from lambda_lab.course.topics import TOPICS

#: The chapter packages, in course order: ``ch`` + the notebook slug with ``_`` for ``-``.
CHAPTERS: tuple[str, ...] = tuple("ch" + slug.replace("-", "_") for slug in TOPICS)

for _name in CHAPTERS:
    importlib.import_module(f"{__name__}.{_name}")
