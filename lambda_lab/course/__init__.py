"""The course machinery the notebooks call: exercise checkers, quizzes and progress.

Typical notebook use::

    from lambda_lab.course import check, hint, solution, quiz_widget, progress_table
    check("gb-seconds", answer)        # ✅ / ❌ / ⏳, one line of text
    quiz_widget("02-memory-cpu-timeout")

ipywidgets and PyYAML are imported only when a quiz is built, so importing this is cheap.
Importing it registers the course's exercises (:mod:`lambda_lab.course.exercise_bank`,
:mod:`lambda_lab.course.filter_exercise`, :mod:`lambda_lab.course.http_front_doors`,
:mod:`lambda_lab.course.lambda_at_edge`, :mod:`lambda_lab.course.vpc`,
:mod:`lambda_lab.course.packaging`).
"""

from __future__ import annotations

from lambda_lab.course import exercise_bank as _exercise_bank  # noqa: F401 - registers exercises
from lambda_lab.course import filter_exercise as _filter_exercise  # noqa: F401 - registers one
from lambda_lab.course import http_front_doors as _http_front_doors  # noqa: F401 - registers two
from lambda_lab.course import lambda_at_edge as _lambda_at_edge  # noqa: F401 - registers two
from lambda_lab.course import packaging as _packaging  # noqa: F401 - registers chapter 13's
from lambda_lab.course import vpc as _vpc  # noqa: F401 - registers chapter 12's two
from lambda_lab.course.chapters.ch13_packaging_and_deployment import (  # noqa: F401
    deployment as _deployment,  # registers chapter 13's second exercise
)
from lambda_lab.course.exercises import EXERCISES, Check, Exercise, Feedback, check, hint, solution
from lambda_lab.course.progress import progress_table
from lambda_lab.course.quiz import Quiz, grade, quiz_widget

__all__ = [
    "EXERCISES",
    "Check",
    "Exercise",
    "Feedback",
    "Quiz",
    "check",
    "grade",
    "hint",
    "progress_table",
    "quiz_widget",
    "solution",
]
