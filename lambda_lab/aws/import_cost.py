"""What moto's heavier services cost to import, and the one cost we skip.

moto's API Gateway (and so its CloudFormation, which imports every service it can deploy) pulls
in ``openapi_spec_validator`` → ``jsonschema``. ``jsonschema._format`` then imports
``rfc3987_syntax`` when it is installed (JupyterLab's ``jupyter-events`` brings it), and that
module builds a Lark grammar at import: about 1.5 s, paid once per process, only to check the
JSON Schema formats ``iri`` and ``iri-reference``, which neither moto nor lambda_lab validates.

:func:`install` makes that one import, from that one importer, fail as if the package were
absent (jsonschema's documented fallback: those two formats go unchecked). Any other import of
``rfc3987_syntax`` is untouched.
"""

from __future__ import annotations

import importlib.abc
import sys
from typing import Any

__all__ = ["install"]

_SKIPPED = "rfc3987_syntax"
_IMPORTER = "jsonschema._format"


class _SkipIriSyntax(importlib.abc.MetaPathFinder):
    """Refuses ``rfc3987_syntax`` to ``jsonschema._format``; finds nothing for anyone else."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name != _SKIPPED:
            return None
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_globals.get("__name__") == _IMPORTER:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            frame = frame.f_back
        return None


def install() -> None:
    """Skip the import described above from now on (once per process; idempotent)."""
    if _IMPORTER in sys.modules or any(isinstance(f, _SkipIriSyntax) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _SkipIriSyntax())
