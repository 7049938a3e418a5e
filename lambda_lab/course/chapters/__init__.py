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
from pathlib import Path

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


def folder(topic: str) -> Path:
    """The folder of the chapter whose notebook slug is ``topic``, e.g.
    ``"07-async-and-destinations"``.

    Raises:
        KeyError: if no chapter has that slug.
    """
    name = "ch" + topic.replace("-", "_")
    if name not in CHAPTERS:
        raise KeyError(topic)
    return Path(__file__).parent / name
