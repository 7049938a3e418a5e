"""Save course notebooks the one accepted way: Restart & Run All, then strip what must not stay.

    python -m lambda_lab.course.nbtools notebooks/02-memory-cpu-timeout.ipynb   # or several

Each notebook runs top to bottom in a fresh ``python3`` kernel (nbclient) with the progress
file redirected to a temporary folder (so the stored progress table is the empty one) and the
quiz seed fixed as under nbval (:data:`lambda_lab.course.progress.TEST_SEED`), then:

* ``metadata.widgets`` (widget state: breaks GitHub rendering) is removed;
* widget-view outputs are reduced to their ``text/plain`` fallback;
* notebook metadata keeps only ``kernelspec`` and ``language_info.name``; cell metadata keeps
  only ``tags``; nbclient's timing records are not written.

:func:`strip` is pure (a notebook dict in, a new one out), so a test can check a notebook is clean
by comparing it with ``strip`` of itself.
"""

from __future__ import annotations

import copy
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["WIDGET_MIMES", "execute", "strip"]

WIDGET_MIMES = (
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
)
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def strip(nb: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``nb`` without widget state, widget-view outputs or volatile metadata."""
    nb = copy.deepcopy(nb)
    nb["metadata"] = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
    }
    for cell in nb.get("cells", []):
        tags = cell.get("metadata", {}).get("tags")
        cell["metadata"] = {"tags": tags} if tags else {}
        if cell.get("cell_type") != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data is not None:
                for mime in WIDGET_MIMES:
                    data.pop(mime, None)
                if not data:
                    continue
            outputs.append(output)
        cell["outputs"] = outputs
    return nb


def execute(path: str | os.PathLike[str], timeout: int = 600) -> None:
    """Run the notebook at ``path`` top to bottom in a fresh kernel, strip it and save it."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="lambda-lab-nb-") as tmp:
        from lambda_lab.course.progress import start_test_progress

        old = os.environ.get("LAMBDA_LAB_PROGRESS")
        os.environ["LAMBDA_LAB_PROGRESS"] = start_test_progress(os.path.join(tmp, "progress.json"))
        try:
            client = NotebookClient(
                nb,
                timeout=timeout,
                kernel_name="python3",
                record_timing=False,
                resources={"metadata": {"path": str(path.parent)}},
            )
            client.execute()
        finally:
            if old is None:
                os.environ.pop("LAMBDA_LAB_PROGRESS", None)
            else:
                os.environ["LAMBDA_LAB_PROGRESS"] = old
    clean = nbformat.from_dict(strip(nb))
    nbformat.validate(clean)
    nbformat.write(clean, path)


def main(argv: list[str] | None = None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print(__doc__.strip().splitlines()[2].strip())
        return 2
    for path in paths:
        print(f"running {path} …", flush=True)
        execute(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
