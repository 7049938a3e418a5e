"""The AWS front: moto for the other services, lambda_lab's platform behind the Lambda API."""

from . import import_cost
from .mock import MockAWS, mock_aws

import_cost.install()  # moto API Gateway and CloudFormation import 1.5 s faster

__all__ = ["MockAWS", "mock_aws"]
