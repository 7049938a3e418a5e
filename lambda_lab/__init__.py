"""Lambda Lab: a local AWS Lambda emulator that really runs your handlers, and the course built on it.

Heavy dependencies (boto3, moto, ipywidgets) are imported lazily so ``import lambda_lab`` stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"
