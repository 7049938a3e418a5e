"""AWS-shaped Lambda errors: one class per AWS error code, the HTTP status as a class attribute.

The wire body follows what AWS sends (LocalStack's AWS-recorded Lambda snapshots): the code in
the ``x-amzn-ErrorType`` header, and a body ``{"Type": "User"|"Service", "message": ...}`` (plus
``"Reason"`` for throttles), ``"Message"`` for ResourceNotFoundException, and no ``Type`` for the
errors of AWS's front (ValidationException, AccessDeniedException, the 413). ``"__type"`` (the
code, for clients that read the body) is lambda_lab's addition. Codes and statuses match the
botocore Lambda model, except that the 413 code on the wire is ``RequestEntityTooLargeException``
(the model calls the shape ``RequestTooLargeException``; :func:`by_code` accepts both).
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AccessDeniedException",
    "CodeSigningConfigNotFoundException",
    "CodeStorageExceededException",
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "LambdaError",
    "NotEmulatedException",
    "PolicyLengthExceededException",
    "PreconditionFailedException",
    "RequestEntityTooLargeException",
    "ResourceConflictException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "ServiceException",
    "TooManyRequestsException",
    "UnsupportedMediaTypeException",
    "ValidationException",
    "by_code",
]


class LambdaError(Exception):
    """Base of every AWS Lambda error; subclasses set ``code`` and ``status``."""

    code: ClassVar[str] = "ServiceException"
    status: ClassVar[int] = 500
    #: The body member that holds the message, and whether the body names the fault's Type.
    message_key: ClassVar[str] = "message"
    typed: ClassVar[bool] = True

    def __init__(self, message: str, *, reason: str | None = None, typed: bool | None = None,
                 **extras: Any) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        if typed is not None:  # a few answers of AWS's leave Type out (or put it in)
            self.typed = typed  # type: ignore[misc]
        #: Further members of the error body, e.g. ``EC2ErrorCode``; copied into :meth:`to_dict`.
        self.extras: dict[str, Any] = dict(extras)

    @property
    def type(self) -> str:
        """``"User"`` for a 4xx (the caller's fault), ``"Service"`` for a 5xx."""
        return "Service" if self.status >= 500 else "User"

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body Lambda sends."""
        body: dict[str, Any] = {"__type": self.code, self.message_key: self.message}
        if self.typed:
            body["Type"] = self.type
        if self.reason is not None:
            body["Reason"] = self.reason
        body.update(self.extras)
        return body

    def headers(self) -> dict[str, str]:
        """HTTP headers that go with the error response."""
        return {"x-amzn-ErrorType": self.code}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ValidationException(LambdaError):
    """A request member failed its model constraint (Coral "1 validation error detected")."""

    code = "ValidationException"
    status = 400
    typed = False


class InvalidParameterValueException(LambdaError):
    """A parameter is well-formed but not acceptable to Lambda."""

    code = "InvalidParameterValueException"
    status = 400


class InvalidRequestContentException(LambdaError):
    """The request body could not be parsed."""

    code = "InvalidRequestContentException"
    status = 400


class RequestEntityTooLargeException(LambdaError):
    """The request (or the deployment package) is too large."""

    code = "RequestEntityTooLargeException"
    status = 413
    typed = False


class ResourceNotFoundException(LambdaError):
    """The function, version, alias or other resource does not exist."""

    code = "ResourceNotFoundException"
    status = 404
    message_key = "Message"


class ResourceConflictException(LambdaError):
    """The resource already exists, or an operation on it is in progress."""

    code = "ResourceConflictException"
    status = 409


class ResourceInUseException(LambdaError):
    """The resource is in use by another resource."""

    code = "ResourceInUseException"
    status = 400


class TooManyRequestsException(LambdaError):
    """Throttled (HTTP 429); ``reason`` is one of the ThrottleReason values."""

    code = "TooManyRequestsException"
    status = 429

    def __init__(
        self,
        message: str = "Rate exceeded",
        *,
        reason: str | None = None,
        retry_after_seconds: int | None = None,
        **extras: Any,
    ) -> None:
        super().__init__(message, reason=reason, **extras)
        self.retry_after_seconds = retry_after_seconds

    def headers(self) -> dict[str, str]:
        """Adds ``Retry-After`` (the model's ``retryAfterSeconds`` travels as this header)."""
        headers = super().headers()
        if self.retry_after_seconds is not None:
            headers["Retry-After"] = str(self.retry_after_seconds)
        return headers


class ServiceException(LambdaError):
    """The Lambda service hit an internal error."""

    code = "ServiceException"
    status = 500


class UnsupportedMediaTypeException(LambdaError):
    """The request's content type is not supported."""

    code = "UnsupportedMediaTypeException"
    status = 415


class PreconditionFailedException(LambdaError):
    """The RevisionId given does not match the latest one."""

    code = "PreconditionFailedException"
    status = 412


class PolicyLengthExceededException(LambdaError):
    """The resource-based policy would exceed its size limit."""

    code = "PolicyLengthExceededException"
    status = 400


class AccessDeniedException(LambdaError):
    """The caller may not make this request, or no operation matches it (HTTP 403)."""

    code = "AccessDeniedException"
    status = 403
    typed = False


class CodeStorageExceededException(LambdaError):
    """The account's code storage quota is used up."""

    code = "CodeStorageExceededException"
    status = 400


class CodeSigningConfigNotFoundException(LambdaError):
    """PutFunctionCodeSigningConfig names a code signing config that does not exist."""

    code = "CodeSigningConfigNotFoundException"
    status = 404
    message_key = "Message"


class NotEmulatedException(LambdaError):
    """An operation of the Lambda API that lambda_lab does not emulate (HTTP 501; not an AWS
    error: AWS has every operation of its API)."""

    code = "NotEmulatedException"
    status = 501


_BY_CODE: dict[str, type[LambdaError]] = {
    cls.code: cls
    for cls in (
        ValidationException,
        InvalidParameterValueException,
        InvalidRequestContentException,
        RequestEntityTooLargeException,
        ResourceNotFoundException,
        ResourceConflictException,
        ResourceInUseException,
        TooManyRequestsException,
        ServiceException,
        UnsupportedMediaTypeException,
        PreconditionFailedException,
        PolicyLengthExceededException,
        CodeStorageExceededException,
        CodeSigningConfigNotFoundException,
        AccessDeniedException,
    )
}
_BY_CODE["RequestTooLargeException"] = RequestEntityTooLargeException  # botocore's shape name


def by_code(code: str) -> type[LambdaError]:
    """The error class for an AWS error code.

    Raises:
        KeyError: the code is not one lambda_lab models.
    """
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown Lambda error code: {code!r}") from None
