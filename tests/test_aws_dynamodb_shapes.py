"""DynamoDB's table description as AWS answers it (moto differs).

Recorded by LocalStack against AWS (tests/aws/services/lambda_/test_lambda_api.py,
TestLambdaEventSourceMappings.test_event_source_mapping_lifecycle, ``update_table_response``,
2025-11-25): a PAY_PER_REQUEST table's description has a ``TableId`` (a UUID) and
``BillingModeSummary.LastUpdateToPayPerRequestDateTime``, and no ``GlobalSecondaryIndexes`` or
``LocalSecondaryIndexes`` member when the table has none (moto sends empty lists)."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import re
from datetime import datetime

import boto3
import pytest
from aws_helpers import REGION, aws  # noqa: F401

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def ddb(aws):
    return boto3.client("dynamodb", region_name=REGION)


def make_table(ddb, name: str, **params) -> dict:
    return ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                            **params)["TableDescription"]


def test_update_table_answers_as_recorded(ddb):
    make_table(ddb, "orders", BillingMode="PAY_PER_REQUEST")
    got = ddb.update_table(TableName="orders", StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
    assert re.fullmatch(UUID, got["TableId"])
    assert got["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert isinstance(got["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"], datetime)
    assert "GlobalSecondaryIndexes" not in got and "LocalSecondaryIndexes" not in got
    assert got["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    described = ddb.describe_table(TableName="orders")["Table"]
    assert described["TableId"] == got["TableId"]  # one id per table
    assert "GlobalSecondaryIndexes" not in described


def test_each_table_has_its_own_id_and_indexes_stay_listed(ddb):
    first = make_table(ddb, "a", BillingMode="PAY_PER_REQUEST")
    second = make_table(
        ddb, "b", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        GlobalSecondaryIndexes=[{
            "IndexName": "by-id", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}])
    assert first["TableId"] != second["TableId"]
    assert [i["IndexName"] for i in second["GlobalSecondaryIndexes"]] == ["by-id"]
    assert "LastUpdateToPayPerRequestDateTime" not in second.get("BillingModeSummary", {})
