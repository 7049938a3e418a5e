"""The asynchronous-invocation operations of the Lambda API, as response methods of ``LabResponse``.

Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s), with AWS's range checks
(MaximumRetryAttempts 0-2, MaximumEventAgeInSeconds 60-21,600; lambda-facts.md "Async retries",
"6 h retry, backoff 1 s → 5 min") and destination checks, and Put/GetFunctionRecursionConfig.
The settings live on the platform's :class:`~lambda_lab.platform.asyncq.AsyncQueue` and in
:mod:`lambda_lab.platform.recursion`; domain errors reach ``LabResponse.call_action``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE

from ..errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
    ValidationException,
)
from ..platform import LATEST, Platform, recursion
from ..platform.arns import parse_function_ref
from ..platform.asyncq import EventInvokeConfig
from ..platform.destinations import validate_destination
from ..validation import raise_validation
from . import paging_api

__all__ = ["AsyncResponses"]



def _reply(status: int, body: Any = "") -> TYPE_RESPONSE:
    text = body if isinstance(body, str) else json.dumps(body)
    return status, {"Content-Type": "application/json", "status": str(status)}, text


#: DestinationConfig's Destination, as AWS prints it (recorded).
DESTINATION_PATTERN = (r"$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):"
                       r"([a-zA-Z0-9\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-"
                       r"\d{1})?:(\d{12})?:(.*)")


def _check_ranges(body: dict[str, Any]) -> None:
    """Raise AWS's ValidationException ("N validation errors detected: ...") for out-of-range
    members (botocore already refuses values below the minimum; raw HTTP clients do not)."""
    problems = []
    for key, member, low, high in (("MaximumRetryAttempts", "maximumRetryAttempts", 0, 2),
                                   ("MaximumEventAgeInSeconds", "maximumEventAgeInSeconds",
                                    60, 21_600)):
        value = body.get(key)
        if value is None:
            continue
        if value > high:
            rule = f"Member must have value less than or equal to {high}"
        elif value < low:
            rule = f"Member must have value greater than or equal to {low}"
        else:
            continue
        problems.append(f"Value '{value}' at '{member}' failed to satisfy constraint: {rule}")
    for which in ("OnSuccess", "OnFailure"):
        arn = ((body.get("DestinationConfig") or {}).get(which) or {}).get("Destination")
        if arn is not None and len(arn) > 350:
            problems.append(f"Value '{arn}' at 'destinationConfig.{which[0].lower()}"
                            f"{which[1:]}.destination' failed to satisfy constraint: Member "
                            "must have length less than or equal to 350")
    if problems:
        n = len(problems)
        raise ValidationException(f"{n} validation error{'s' if n > 1 else ''} detected: "
                                  + "; ".join(problems))


class AsyncResponses:
    """Response methods for the async-invocation settings (a mixin of ``LabResponse``)."""

    if TYPE_CHECKING:
        platform: Platform
        path: str
        body: Any
        querystring: dict[str, list[str]]

    def _async_target(self) -> tuple[Any, str, str]:
        """(function, qualifier, qualified ARN) of the request; raises ResourceNotFoundException
        for an unknown function, version or alias."""
        ref = unquote(self.path.split("/")[3])
        name, qualifier = parse_function_ref(ref, self.querystring.get("Qualifier", [None])[0])
        self.platform.version(name, qualifier)  # the function and qualifier must exist
        fn = self.platform.function(name)
        qualifier = qualifier or LATEST
        return fn, qualifier, self.platform.arn(fn.name, qualifier)

    def _event_config_shape(self, arn: str, config: EventInvokeConfig) -> dict[str, Any]:
        shape: dict[str, Any] = {"LastModified": config.last_modified, "FunctionArn": arn}
        if config.maximum_retry_attempts is not None:
            shape["MaximumRetryAttempts"] = config.maximum_retry_attempts
        if config.maximum_event_age is not None:
            shape["MaximumEventAgeInSeconds"] = config.maximum_event_age
        shape["DestinationConfig"] = {
            "OnSuccess": {"Destination": config.on_success} if config.on_success else {},
            "OnFailure": {"Destination": config.on_failure} if config.on_failure else {}}
        return shape

    def _check_destinations(self, fn: Any, on_success: str | None,
                            on_failure: str | None) -> None:
        """AWS's checks of an EventInvokeConfig's destinations, in its order and words
        (recorded test_lambda_eventinvokeconfig_exceptions): the ARN pattern, the service, the
        function itself, a function that does not exist."""
        for where, dest in (("onSuccess", on_success), ("onFailure", on_failure)):
            if dest and not re.fullmatch(DESTINATION_PATTERN, dest):
                raise_validation([f"Value '{dest}' at 'destinationConfig.{where}.destination' "
                                  "failed to satisfy constraint: Member must satisfy regular "
                                  f"expression pattern: {DESTINATION_PATTERN}"])
        for dest, failure in ((on_success, False), (on_failure, True)):
            if not dest:
                continue
            try:
                validate_destination(dest, on_failure=failure)
            except InvalidParameterValueException:
                shown = [f"OnSuccess(destination={on_success})" if on_success else "null",
                         f"OnFailure(destination={on_failure})" if on_failure else "null"]
                raise InvalidParameterValueException(
                    f"The provided destination config DestinationConfig(onSuccess={shown[0]}, "
                    f"onFailure={shown[1]}) is invalid.") from None
            if dest.split(":")[2] == "lambda":
                name = dest.split(":")[6] if dest.count(":") >= 6 else ""
                if name == fn.name:
                    raise InvalidParameterValueException(
                        "You can't specify the function as a destination for itself.")
                try:
                    self.platform.function(dest)
                except ResourceNotFoundException:
                    raise InvalidParameterValueException(
                        f"The destination ARN {dest} is invalid.") from None

    def _existing_target(self) -> tuple[Any, str, str]:
        """:meth:`_async_target`, with Put/Update/List's wording for a missing function or
        qualifier (recorded: "The function doesn't exist.")."""
        try:
            return self._async_target()
        except ResourceNotFoundException:
            raise ResourceNotFoundException("The function doesn't exist.") from None

    def _store_event_config(self, *, merge: bool) -> TYPE_RESPONSE:
        body = json.loads(self.body) if self.body else {}
        _check_ranges(body)
        if not merge and not {"MaximumRetryAttempts", "MaximumEventAgeInSeconds",
                              "DestinationConfig"} & body.keys():
            raise InvalidParameterValueException(
                "You must specify at least one of error handling or destination setting.")
        fn, qualifier, arn = self._existing_target()
        configs = self.platform.async_queue.configs.setdefault(fn, {})
        old = configs.get(qualifier)
        if merge and old is None:
            raise ResourceNotFoundException(
                f"The function {arn} doesn't have an EventInvokeConfig")
        base = old if merge and old is not None else EventInvokeConfig()
        dests = body.get("DestinationConfig")
        on_success, on_failure = base.on_success, base.on_failure
        if dests is not None:
            on_success = ((dests.get("OnSuccess") or {}).get("Destination") or None)
            on_failure = ((dests.get("OnFailure") or {}).get("Destination") or None)
            self._check_destinations(fn, on_success, on_failure)
        config = EventInvokeConfig(
            maximum_retry_attempts=body.get("MaximumRetryAttempts",
                                            base.maximum_retry_attempts),
            maximum_event_age=body.get("MaximumEventAgeInSeconds", base.maximum_event_age),
            on_success=on_success, on_failure=on_failure,
            last_modified=self.platform.clock.now())
        configs[qualifier] = config
        return _reply(200, self._event_config_shape(arn, config))

    def put_function_event_invoke_config(self) -> TYPE_RESPONSE:
        return self._store_event_config(merge=False)

    def update_function_event_invoke_config(self) -> TYPE_RESPONSE:
        return self._store_event_config(merge=True)

    def get_function_event_invoke_config(self) -> TYPE_RESPONSE:
        try:
            fn, qualifier, arn = self._async_target()
        except ResourceNotFoundException:  # no function or version: the same answer (recorded)
            arn = self._missing_config_arn()
            raise ResourceNotFoundException(
                f"The function {arn} doesn't have an EventInvokeConfig") from None
        config = self.platform.async_queue.configs.get(fn, {}).get(qualifier)
        if config is None:
            raise ResourceNotFoundException(
                f"The function {arn} doesn't have an EventInvokeConfig")
        return _reply(200, self._event_config_shape(arn, config))

    def delete_function_event_invoke_config(self) -> TYPE_RESPONSE:
        try:
            fn, qualifier, arn = self._async_target()
        except ResourceNotFoundException:  # the same answer as no config (recorded)
            fn, qualifier, arn = None, LATEST, self._missing_config_arn()
        if fn is None or self.platform.async_queue.configs.get(fn, {}).pop(qualifier, None) is None:
            raise ResourceNotFoundException(
                f"The function {arn} doesn't have an EventInvokeConfig")
        return _reply(204)

    def _missing_config_arn(self) -> str:
        ref = unquote(self.path.split("/")[3])
        name, qualifier = parse_function_ref(ref, self.querystring.get("Qualifier", [None])[0])
        return self.platform.arn(name, qualifier or LATEST)

    def list_function_event_invoke_configs(self) -> TYPE_RESPONSE:
        """Marker / MaxItems paging, at most 50 a response (MaxItems 1-50, botocore's model)."""
        fn, _, _ = self._existing_target()
        configs = list(self.platform.async_queue.configs.get(fn, {}).items())
        chosen, marker = paging_api.page(
            self.querystring, "event-invoke-configs", configs,
            lambda item: paging_api.qualifier_key(item[0]), max_items=50)
        body: dict[str, Any] = {"FunctionEventInvokeConfigs": [
            self._event_config_shape(self.platform.arn(fn.name, q), c) for q, c in chosen]}
        if marker:
            body["NextMarker"] = marker
        return _reply(200, body)

    # ----------------------------------------------------------------- recursion

    def put_function_recursion_config(self) -> TYPE_RESPONSE:
        body = json.loads(self.body) if self.body else {}
        value = body.get("RecursiveLoop")
        if value not in (recursion.ALLOW, recursion.TERMINATE):
            raise ValidationException(
                f"1 validation error detected: Value '{value}' at 'recursiveLoop' failed to "
                "satisfy constraint: Member must satisfy enum value set: [Terminate, Allow]")
        fn, _, _ = self._async_target()
        recursion.set_config(fn, value)
        return _reply(200, {"RecursiveLoop": value})

    def get_function_recursion_config(self) -> TYPE_RESPONSE:
        fn, _, _ = self._async_target()
        return _reply(200, {"RecursiveLoop": recursion.get_config(fn)})
