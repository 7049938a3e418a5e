"""The AWS front: moto for the other services, lambda_lab's platform behind the Lambda API."""

from .mock import MockAWS, mock_aws

__all__ = ["MockAWS", "mock_aws"]
