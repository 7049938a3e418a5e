"""The course machinery the notebooks call: exercise checkers, quizzes and progress.

Typical notebook use::

    from lambda_lab.course import check, hint, solution, quiz_widget, progress_table
    check("gb-seconds", answer)        # ✅ / ❌ / ⏳, one line of text
    quiz_widget("02-memory-cpu-timeout")

ipywidgets and PyYAML are imported only when a quiz is built, so importing this is cheap.
Importing it registers every chapter's exercises (:mod:`lambda_lab.course.chapters`: one folder
per chapter, named like its notebook, holding its helpers, exercises, questions and solutions).
"""

from __future__ import annotations

from lambda_lab.course import chapters as _chapters  # noqa: F401 - registers the exercises
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
