"""What an execution environment is made from: one function version's code and configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


@dataclass(frozen=True)
class EnvironmentSpec:
    """Immutable: changing a function's configuration means new environments, as on Lambda."""

    function_name: str
    handler: str
    task_root: str
    runtime: str = "python3.12"
    memory_mb: int = 128
    timeout_s: float = 3.0
    ephemeral_mb: int = 512
    environment: Mapping[str, str] = field(default_factory=dict)
    layer_paths: tuple[str, ...] = ()
    version: str = "$LATEST"
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT
    architecture: str = "x86_64"
    extra_env: Mapping[str, str] = field(default_factory=dict)
    max_response_bytes: int = 6291556
    #: The role's temporary credentials (AWS_ACCESS_KEY_ID, …); random fake ones when None.
    credentials: Mapping[str, str] | None = None
    #: The working directory (default: the task root); a container image's WorkingDir.
    working_dir: str = ""
    #: A custom runtime's executable when it is not ``bootstrap`` in the code or a layer
    #: (a container image's entry point).
    bootstrap: str = ""
    #: Handlers import only what Lambda's Python runtime has (import_policy.py); None: the
    #: process-wide default (``set_strict_imports``, ``LAMBDA_LAB_STRICT_IMPORTS``).
    strict_imports: bool | None = None

    @property
    def function_arn(self) -> str:
        """The unqualified function ARN."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"
