"""A pytest plugin for the course's own test run (``-p lambda_lab.course.nbval_env`` in
pyproject.toml): the environment every notebook kernel inherits under nbval.

nbval starts each notebook's kernel as a child of the pytest process. Pointing
LAMBDA_LAB_PROGRESS at a temporary file here, before any kernel starts, keeps a test run from
writing to the learner's real progress file (~/.lambda_lab/progress.json) and makes every run
start from empty progress, as the stored outputs do. The file starts with a fixed choice-order
seed (:data:`lambda_lab.course.progress.TEST_SEED`), so quizzes shuffle their choices the same
way on every run. It lives here, not in a conftest.py in notebooks/, so the learner's notebooks
folder holds only notebooks.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from lambda_lab.course.progress import start_test_progress

_folder = tempfile.mkdtemp(prefix="lambda-lab-nbval-")
atexit.register(shutil.rmtree, _folder, ignore_errors=True)
_progress = start_test_progress(os.path.join(_folder, "progress.json"))
os.environ["LAMBDA_LAB_PROGRESS"] = _progress
os.environ.setdefault("MPLBACKEND", "Agg")
