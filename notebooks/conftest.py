"""pytest configuration for the notebooks (run under nbval, see pyproject.toml).

nbval starts each notebook's kernel as a child of this pytest process, so the kernel inherits
this process's environment. Pointing LAMBDA_LAB_PROGRESS at a temporary file here, before any
kernel starts, keeps a test run from writing to the learner's real progress file
(~/.lambda_lab/progress.json) and makes every run start from empty progress, as the stored
outputs do.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_folder = tempfile.mkdtemp(prefix="lambda-lab-nbval-")
atexit.register(shutil.rmtree, _folder, ignore_errors=True)
os.environ["LAMBDA_LAB_PROGRESS"] = os.path.join(_folder, "progress.json")
os.environ.setdefault("MPLBACKEND", "Agg")
