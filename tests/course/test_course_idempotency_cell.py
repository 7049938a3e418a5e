"""The ``idempotent-orders`` exercise of notebooks/07-async-and-destinations, answered as real
code: the learner's cell is the function's module, and the checker deploys the whole cell that
defines ``handler`` (as the ``%%lambda`` magic deploys a cell).

Pinned to the Lambda API reference, Invoke ("your function may receive the same event multiple
times, even if no error occurs"), DG invocation-async-error-handling (a function error is
retried, twice by default) and the DynamoDB API reference, PutItem (a ConditionExpression that
fails raises ConditionalCheckFailedException and writes nothing).
"""

from __future__ import annotations

import pytest

from lambda_lab.course import exercises as ex
from lambda_lab.course.checks import module_source
from lambda_lab.course.exercises import NOT_ATTEMPTED
from lambda_lab.course.progress import ENV_VAR

ID = "idempotent-orders"

HEAD = '''import os

import boto3

dynamodb = boto3.client("dynamodb", region_name=os.environ.get("AWS_REGION", "us-east-1"))


def ship(order):
    dynamodb.update_item(
        TableName=os.environ["SHIPMENTS_TABLE"], Key={"orderId": {"S": order["orderId"]}},
        UpdateExpression="ADD parcels :one", ExpressionAttributeValues={":one": {"N": "1"}})
    if order.get("courier_timeout"):
        raise TimeoutError("the courier's API did not answer")


'''

WRONG = {
    "an unconditional put": (HEAD + '''
def handler(event, context):
    dynamodb.put_item(TableName=os.environ["PROCESSED_TABLE"],
                      Item={"orderId": {"S": event["orderId"]}})
    ship(event)
    return {"shipped": event["orderId"]}
''', "❌ 3 of 5 checks pass — hint: order o-2 arrived twice at once and was shipped 2 times"),
    "a duplicate raises": (HEAD + '''
def handler(event, context):
    dynamodb.put_item(TableName=os.environ["PROCESSED_TABLE"],
                      Item={"orderId": {"S": event["orderId"]}},
                      ConditionExpression="attribute_not_exists(orderId)")
    ship(event)
    return {"shipped": event["orderId"]}
''', "❌ 3 of 5 checks pass — hint: the duplicate of o-2 failed (ConditionalCheckFailedException"),
    "no handler in the cell": (HEAD + '''
def lambda_handler(event, context):
    ship(event)
''', "❌ 0 of 5 checks pass — hint: the code needs a module-level def handler(event, context):"),
}


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "progress.json"))


def _cell(source: str, label: str):
    """Run ``source`` as a notebook cell would; the function it defines last."""
    namespace = ex._run_source(source, f"<cell {label}>")
    return namespace.get("handler") or namespace["lambda_handler"]


def test_the_reference_is_real_code_and_passes():
    exercise = ex.get(ID)
    answer = exercise.reference_answer()
    assert callable(answer)
    assert "'''" not in exercise.solution() and '"""' not in exercise.solution()
    assert exercise.check(answer).text == "✅ 5 of 5 checks pass"


@pytest.mark.parametrize("label", sorted(WRONG))
def test_the_usual_slips_get_their_hint(label):
    source, hint = WRONG[label]
    feedback = ex.get(ID).check(_cell(source, label))
    assert not feedback.ok
    assert feedback.text.startswith(hint)


def test_the_stub_is_real_code_and_not_attempted():
    exercise = ex.get(ID)
    stub = exercise.stub_answer()
    assert callable(stub)
    assert "'''" not in exercise.stub
    for answer in (None, stub):
        assert exercise.check(answer).text == NOT_ATTEMPTED


def test_the_module_is_the_whole_cell_that_defines_the_handler():
    handler = _cell(HEAD + "def handler(event, context):\n    ship(event)\n", "whole")
    source = module_source(handler)
    assert source.startswith("import os\n") and "def ship(order):" in source
    assert module_source("def handler(e, c):\n    pass\n").startswith("def handler")
    with pytest.raises(TypeError):
        module_source(print)
