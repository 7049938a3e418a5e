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

#: The chapter packages, in course order.
CHAPTERS: tuple[str, ...] = (
    "ch01_first_function",
    "ch02_memory_cpu_timeout",
    "ch03_execution_context",
    "ch04_concurrency",
    "ch05_event_sources",
    "ch06_versions_aliases_layers",
    "ch07_async_and_destinations",
    "ch08_permissions_and_security",
    "ch09_observability",
    "ch10_http_front_doors",
    "ch11_lambda_at_edge",
    "ch12_vpc",
    "ch13_packaging_and_deployment",
)

for _name in CHAPTERS:
    importlib.import_module(f"{__name__}.{_name}")
