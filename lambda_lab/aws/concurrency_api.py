"""The concurrency operations of the Lambda API, as response methods mixed into ``LabResponse``.

GetAccountSettings, Put/Get/DeleteFunctionConcurrency and Put/Get/Delete/List
ProvisionedConcurrencyConfig(s), answered by the platform's
:class:`~lambda_lab.platform.concurrency.ConcurrencyController` and
:class:`~lambda_lab.platform.provisioned.ProvisionedConcurrency`. Domain errors propagate to
``LabResponse.call_action``, which turns them into AWS error responses. The throttle itself
(429) is raised by ``Platform._run`` during Invoke.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE

from .. import limits
from ..errors import InvalidParameterValueException, ResourceNotFoundException
from ..platform import LATEST, Platform
from ..platform.arns import parse_function_ref
from . import paging_api

__all__ = ["ConcurrencyResponses"]

TOTAL_CODE_SIZE = 80 * 1024**3  # 75 GB: the Region's code storage quota


def _reply(status: int, body: Any = "") -> TYPE_RESPONSE:
    text = body if isinstance(body, str) else json.dumps(body)
    return status, {"Content-Type": "application/json", "status": str(status)}, text


class ConcurrencyResponses:
    """Response methods for the concurrency operations (a mixin of ``LabResponse``)."""

    platform: Platform
    path: str
    querystring: dict[str, list[str]]
    json_body: dict[str, Any]

    def _concurrency_function(self) -> str:
        return unquote(self.path.split("/")[3])

    def _concurrency_qualifier(self) -> str | None:
        return self.querystring.get("Qualifier", [None])[0]

    # ----------------------------------------------------------------- account

    def get_account_settings(self) -> TYPE_RESPONSE:
        functions = self.platform.list_functions()
        code = sum(v.config.code.size for fn in functions for v in fn.all_versions())
        code += self.platform.layers.total_code_size()  # layers count too (AccountUsage)
        c = self.platform.concurrency
        return _reply(200, {
            "AccountLimit": {
                "TotalCodeSize": TOTAL_CODE_SIZE,
                "CodeSizeUnzipped": limits.UNZIPPED_MAX_BYTES,
                "CodeSizeZipped": limits.ZIPPED_MAX_BYTES,
                "ConcurrentExecutions": c.account_limit,
                "UnreservedConcurrentExecutions": c.unreserved_limit,
            },
            "AccountUsage": {"TotalCodeSize": code, "FunctionCount": len(functions)},
        })

    # ----------------------------------------------------------------- reserved

    def put_function_concurrency(self) -> TYPE_RESPONSE:
        name, qualifier = parse_function_ref(self._concurrency_function())
        try:
            fn = self.platform.function(name)
        except ResourceNotFoundException:  # named with $LATEST (recorded)
            raise ResourceNotFoundException(
                f"Function not found: {self.platform.arn(name, LATEST)}") from None
        if qualifier is not None:
            raise InvalidParameterValueException(
                "This operation is permitted on Lambda functions only. Aliases and versions do "
                "not support this operation. Please specify either a function name or an "
                "unqualified function ARN.")
        count = self.json_body.get("ReservedConcurrentExecutions")
        if not isinstance(count, int):
            raise InvalidParameterValueException(
                "ReservedConcurrentExecutions must be an integer.")  # emulator wording
        self.platform.concurrency.set_reserved(fn.name, count)
        return _reply(200, {"ReservedConcurrentExecutions": count})

    def get_function_concurrency(self) -> TYPE_RESPONSE:
        fn = self.platform.function(self._concurrency_function())
        reserved = self.platform.concurrency.reserved(fn.name)
        return _reply(200, {} if reserved is None else {"ReservedConcurrentExecutions": reserved})

    def delete_function_concurrency(self) -> TYPE_RESPONSE:
        fn = self.platform.function(self._concurrency_function())
        self.platform.concurrency.delete_reserved(fn.name)
        return _reply(204)

    # ----------------------------------------------------------------- provisioned

    def put_provisioned_concurrency_config(self) -> TYPE_RESPONSE:
        pc = self.platform.provisioned
        count = self.json_body.get("ProvisionedConcurrentExecutions")
        config = pc.put(self._concurrency_function(), self._concurrency_qualifier(),
                        int(count) if isinstance(count, int) else 0)
        return _reply(202, pc.shape(config))

    def get_provisioned_concurrency_config(self) -> TYPE_RESPONSE:
        # GET .../provisioned-concurrency?List=ALL is ListProvisionedConcurrencyConfigs, but
        # moto matches the action on the path alone.
        if self.querystring.get("List", [None])[0] == "ALL":
            return self.list_provisioned_concurrency_configs()
        pc = self.platform.provisioned
        config = pc.get(self._concurrency_function(), self._concurrency_qualifier())
        return _reply(200, pc.shape(config))

    def list_provisioned_concurrency_configs(self) -> TYPE_RESPONSE:
        """Marker / MaxItems paging, at most 50 a response (MaxItems 1-50, botocore's model)."""
        pc = self.platform.provisioned
        chosen, marker = paging_api.page(
            self.querystring, "provisioned-concurrency", pc.list(self._concurrency_function()),
            lambda c: paging_api.qualifier_key(c.qualifier), max_items=50)
        body: dict[str, Any] = {"ProvisionedConcurrencyConfigs": [
            pc.shape(c, with_arn=True) for c in chosen]}
        if marker:
            body["NextMarker"] = marker
        return _reply(200, body)

    def delete_provisioned_concurrency_config(self) -> TYPE_RESPONSE:
        self.platform.provisioned.delete(self._concurrency_function(),
                                         self._concurrency_qualifier())
        return _reply(204)
