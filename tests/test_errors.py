"""errors.py: codes, HTTP statuses and wire bodies as in the botocore Lambda model."""

from __future__ import annotations

import pytest

from lambda_lab import errors
from lambda_lab.errors import LambdaError, TooManyRequestsException, by_code

CODES_AND_STATUSES = [
    ("ValidationException", 400),
    ("InvalidParameterValueException", 400),
    ("InvalidRequestContentException", 400),
    ("RequestEntityTooLargeException", 413),
    ("ResourceNotFoundException", 404),
    ("ResourceConflictException", 409),
    ("ResourceInUseException", 400),
    ("TooManyRequestsException", 429),
    ("ServiceException", 500),
    ("UnsupportedMediaTypeException", 415),
    ("PreconditionFailedException", 412),
    ("PolicyLengthExceededException", 400),
    ("CodeStorageExceededException", 400),
]


@pytest.mark.parametrize(("code", "status"), CODES_AND_STATUSES)
def test_each_code_has_its_class_and_http_status_botocore_model(code: str, status: int) -> None:
    cls = by_code(code)
    assert cls is getattr(errors, code)
    assert issubclass(cls, LambdaError)
    assert (cls.code, cls.status) == (code, status)


def test_by_code_accepts_botocore_shape_name_for_413() -> None:
    assert by_code("RequestTooLargeException") is errors.RequestEntityTooLargeException


def test_by_code_unknown_raises_key_error() -> None:
    with pytest.raises(KeyError, match="NoSuchCode"):
        by_code("NoSuchCode")


def test_client_error_body_has_type_user() -> None:
    """AWS-recorded (LocalStack's Lambda snapshots): ResourceNotFoundException's body has
    "Message" and "Type"; most Lambda errors "message" and "Type"; Coral's
    ValidationException, AccessDeniedException and the 413 neither "Type" nor extras."""
    err = errors.ResourceNotFoundException("Function not found: arn:aws:lambda:x")
    assert err.message == str(err) == "Function not found: arn:aws:lambda:x"
    assert err.to_dict() == {
        "__type": "ResourceNotFoundException",
        "Message": "Function not found: arn:aws:lambda:x",
        "Type": "User",
    }
    assert errors.InvalidParameterValueException("x").to_dict() == {
        "__type": "InvalidParameterValueException", "message": "x", "Type": "User"}
    for cls in (errors.ValidationException, errors.AccessDeniedException,
                errors.RequestEntityTooLargeException):
        assert cls("x").to_dict() == {"__type": cls.code, "message": "x"}


def test_service_error_body_has_type_service() -> None:
    assert errors.ServiceException("boom").to_dict()["Type"] == "Service"


def test_throttle_carries_reason_and_retry_after_lambda_facts_B_throttling() -> None:
    err = TooManyRequestsException(
        reason="ConcurrentInvocationLimitExceeded", retry_after_seconds=2
    )
    assert err.status == 429
    assert err.to_dict() == {
        "__type": "TooManyRequestsException",
        "message": "Rate exceeded",
        "Type": "User",
        "Reason": "ConcurrentInvocationLimitExceeded",
    }
    assert err.headers() == {"x-amzn-ErrorType": "TooManyRequestsException", "Retry-After": "2"}


def test_throttle_without_retry_after_sends_no_header() -> None:
    assert "Retry-After" not in TooManyRequestsException().headers()


def test_extras_are_copied_into_the_body() -> None:
    err = errors.InvalidParameterValueException("bad", Detail="x")
    assert err.to_dict()["Detail"] == "x"
    assert err.extras == {"Detail": "x"}


def test_errors_can_be_raised_and_caught_as_lambda_error() -> None:
    with pytest.raises(LambdaError) as info:
        raise errors.PreconditionFailedException("revision mismatch")
    assert info.value.code == "PreconditionFailedException"
