"""The exercise framework: checks, fixed-text feedback, hints and solutions on demand."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import boto3
import pytest
from aws_helpers import REGION, aws  # noqa: F401 -- the aws fixture

from lambda_lab.course import exercises as ex
from lambda_lab.course.chapters.ch06_versions_aliases_layers.helpers import layer_zip
from lambda_lab.course.exercises import NOT_ATTEMPTED, Check, Exercise
from lambda_lab.course.progress import ENV_VAR
from lambda_lab.packaging import build_zip

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True, scope="module")
def _close_the_shared_clock():
    """Deploying starts the shared clock's background thread; later test modules (test_clock,
    test_aws_cleanup) count such threads, so stop it once this module's functions are gone."""
    yield
    from lambda_lab import clock

    previous = clock.set_default_clock(None)
    if previous is not None:
        previous.close()


#: A wrong answer for every registered exercise, and the hint it must get.

def _sqs_endpoint(ec2, net):
    sg = ec2.create_security_group(GroupName="ep", Description="ep", VpcId=net["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": net["cidr"]}]}])
    ec2.create_vpc_endpoint(VpcId=net["vpc"], VpcEndpointType="Interface",
                            ServiceName="com.amazonaws.us-east-1.sqs", SubnetIds=[net["subnet"]],
                            SecurityGroupIds=[sg], PrivateDnsEnabled=True)


def _fix_s3(ec2, net):
    ep = ec2.describe_vpc_endpoints(Filters=[
        {"Name": "vpc-id", "Values": [net["vpc"]]}])["VpcEndpoints"][0]["VpcEndpointId"]
    ec2.modify_vpc_endpoint(VpcEndpointId=ep, AddRouteTableIds=[net["route_table"]])
    acl = ec2.describe_network_acls(Filters=[
        {"Name": "association.subnet-id", "Values": [net["subnet"]]}])["NetworkAcls"][0]
    ec2.delete_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=90, Egress=True)


def _with_nat(ec2, net, fix):
    """A VPC exercise's fix, plus a NAT gateway (paid by the hour and the GB) in the VPC."""
    fix(ec2, net)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=net["subnet"], AllocationId=eip)


WRONG = {
    "gb-seconds": (
        102_400_000,
        "❌ 1 of 2 checks pass — hint: that is MB-seconds: convert 512 MB to GB first "
        "(1 GB = 1,024 MB)",
    ),
    "one-vcpu": (
        1792,
        "❌ 2 of 3 checks pass — hint: 1,792 MB is the figure in older (2020) material; "
        "the current value is a bit lower",
    ),
    "timeout-aware": (
        "import time\n\n\ndef handler(event, context):\n    for _item in event['items']:\n"
        "        time.sleep(event['seconds_per_item'])\n"
        "    return {'processed': len(event['items'])}\n",
        "❌ 2 of 5 checks pass — hint: it timed out (Task timed out after 1.00 seconds): before "
        "each item, stop if context.get_remaining_time_in_millis() is below what one item needs",
    ),
    "cheapest-memory": (
        lambda durations: min(durations),
        "❌ 2 of 4 checks pass — hint: the smallest size is not always the cheapest: compute "
        "each size's cost",
    ),
    "hello-handler": (
        lambda event, context: {"statusCode": "200", "body": event["name"]},
        "❌ 3 of 4 checks pass — hint: statusCode should be the int 200, not the string '200'",
    ),
    "reuse-connection": (  # the cell's handler: still connects on every invocation
        "import time\n\n\ndef connect():\n    time.sleep(0.3)\n"
        "    return {'opened_at': time.time()}\n\n\ndef handler(event, context):\n"
        "    return {'opened_at': connect()['opened_at']}\n",
        "❌ 3 of 5 checks pass — hint: each invocation opened a new connection: call connect() "
        "at module level (outside the handler), so it runs once per execution environment",
    ),
    "free-tier-compute": (
        1_000_000,
        "❌ 1 of 2 checks pass — hint: 1 million is the free tier's requests; the question is "
        "about its 400,000 GB-seconds of compute",
    ),
    "reserved-headroom": (
        900,
        "❌ 1 of 2 checks pass — hint: 100 executions always stay unreserved: subtract them "
        "from the account's limit too",
    ),
    "concurrency-needed": (
        lambda rate, duration_ms: int(rate * duration_ms / 1000),
        "❌ 2 of 3 checks pass — hint: for 10 requests/s of 30 ms it returned 0, not 1: part of "
        "an environment still needs a whole one (math.ceil)",
    ),
    "cold-start-flag": (  # the cell's handler: "cold" while the environment is young
        "import time\n\nstarted = time.time()\n\n\ndef handler(event, context):\n"
        "    return {'cold_start': time.time() - started < 60}\n",
        "❌ 4 of 6 checks pass — hint: the 2nd and 3rd invocations ran in the same (warm) "
        "environment: return False there; a module-level variable remembers what happened in "
        "this environment",
    ),
    "partial-batch": (  # reports the bodies instead of the messageIds
        "import json\n\n\ndef handler(event, context):\n    failures = []\n"
        "    for record in event['Records']:\n        try:\n"
        "            json.loads(record['body'])\n        except ValueError:\n"
        "            failures.append({'itemIdentifier': record['body']})\n"
        "    return {'batchItemFailures': failures}\n",
        "❌ 2 of 4 checks pass — hint: itemIdentifier is the record's messageId, not its body",
    ),
    "stream-item-failures": (  # goes on past the failure, as for SQS: later records twice
        "import base64\nimport json\n\n\ndef process(order):\n    print('PROCESSED', order['id'])"
        "\n\n\ndef handler(event, context):\n    failures = []\n"
        "    for record in event['Records']:\n        try:\n"
        "            order = json.loads(base64.b64decode(record['kinesis']['data']))\n"
        "        except ValueError:\n            failures.append("
        "{'itemIdentifier': record['kinesis']['sequenceNumber']})\n            continue\n"
        "        process(order)\n    return {'batchItemFailures': failures}\n",
        "❌ 4 of 6 checks pass — hint: it processed o-4 after the bad record: Lambda retries the "
        "batch from the reported record, so o-4 would be processed twice — stop (return) at the "
        "first record that fails",
    ),
    "book-orders-pattern": (  # "contains BOOK-" instead of "starts with BOOK-"
        {"source": ["shop.orders"], "detail-type": ["OrderPlaced"],
         "detail": {"total": [{"numeric": [">", 100]}], "sku": [{"wildcard": "*BOOK-*"}]}},
        "❌ 3 of 5 checks pass — hint: the sku 'EBOOK-7' matched: {'prefix': 'BOOK-'} matches "
        "from the start only",
    ),
    "order-filter": (  # "at least 100" instead of "above 100"
        {"body": {"type": ["order"], "total": [{"numeric": [">=", 100]}], "country": ["FR"]}},
        "❌ 3 of 5 checks pass — hint: an order of exactly 100 got through: 'above 100' is "
        "{'numeric': ['>', 100]}, not '>='",
    ),
    "shared-layer": (  # the project's layout, not under python/
        lambda library: {"Content": {"ZipFile": layer_zip(library)},
                         "CompatibleRuntimes": ["python3.12"]},
        "❌ 3 of 6 checks pass — hint: 'shared_lib/__init__.py' is at the top of the .zip: Lambda "
        "extracts a layer into /opt and Python looks in /opt/python, so put it at "
        "'python/shared_lib/__init__.py'",
    ),
    "alias-shift": (  # moves the alias at once, without the weighted steps
        lambda lam, name, alias, new_version, steps: lam.update_alias(
            FunctionName=name, Name=alias, FunctionVersion=new_version),
        "❌ 4 of 6 checks pass — hint: the alias never routed a weight to the new version: for "
        "each weight in steps, call update_alias with RoutingConfig={'AdditionalVersionWeights': "
        "{new_version: weight}}",
    ),
    "idempotent-orders": (  # records the order, but with an unconditional put: no guard
        "import os\n\nimport boto3\n\ndynamodb = boto3.client('dynamodb', region_name='us-east-1')"
        "\n\n\n"
        "def handler(event, context):\n"
        "    dynamodb.put_item(TableName=os.environ['PROCESSED_TABLE'],\n"
        "                      Item={'orderId': {'S': event['orderId']}})\n"
        "    dynamodb.update_item(TableName=os.environ['SHIPMENTS_TABLE'],\n"
        "                         Key={'orderId': {'S': event['orderId']}},\n"
        "                         UpdateExpression='ADD parcels :one',\n"
        "                         ExpressionAttributeValues={':one': {'N': '1'}})\n"
        "    return {'shipped': event['orderId']}\n",
        "❌ 4 of 5 checks pass — hint: order o-2 arrived twice at once and was shipped 2 times: "
        "put the orderId with ConditionExpression='attribute_not_exists(orderId)' before "
        "shipping, and skip shipping when the put fails",
    ),
    "failure-destination": (  # the on-failure queue, but the default 2 retries
        lambda lam, name, arn: lam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}}),
        "❌ 3 of 5 checks pass — hint: the failing event ran 3 times: the default is 2 retries — "
        "set MaximumRetryAttempts=1",
    ),
    "alb-multi-value": (  # single-value headers: the ALB drops them when multi-value is on
        lambda event, context: {"statusCode": 200, "headers": {"Content-Type": "text/plain"},
                                "body": "hello"},
        "❌ 2 of 5 checks pass — hint: the ALB dropped your 'headers': with multi-value on it "
        "reads only multiValueHeaders, e.g. {'Content-Type': ['text/plain']}",
    ),
    "token-authorizer": (  # a Deny policy for the others: 403 instead of 401
        "import json\n\n\ndef handler(event, context):\n"
        "    effect = 'Allow' if event['authorizationToken'].endswith('alice-secret') else 'Deny'\n"
        "    return {'principalId': 'alice', 'context': {'user': 'alice'},\n"
        "            'policyDocument': {'Version': '2012-10-17', 'Statement': [\n"
        "                {'Action': 'execute-api:Invoke', 'Effect': effect,\n"
        "                 'Resource': event['methodArn']}]}}\n",
        "❌ 3 of 4 checks pass — hint: token 'Bearer bob-secret' got 403 {\"Message\": \"User is "
        "not authorized to access this resource with an explicit deny\"}: raise "
        "Exception('Unauthorized') for every other token",
    ),
    "least-privilege": (  # the right ARNs, but every DynamoDB action on the table
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::lab-photos/incoming/*"},
            {"Effect": "Allow", "Action": "dynamodb:*",
             "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/photo-index"}]},
        "❌ 6 of 7 checks pass — hint: the role could delete an item from photo-index: the "
        "handler only puts items, so list the one action dynamodb:PutItem instead of dynamodb:*",
    ),
    "errors-alarm": (  # 3 of 3 minutes: only 3 bad minutes in a row alarm
        lambda name: {
            "AlarmName": f"{name}-errors", "Namespace": "AWS/Lambda", "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": name}], "Statistic": "Sum",
            "Period": 60, "EvaluationPeriods": 3, "DatapointsToAlarm": 3, "Threshold": 3,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching"},
        "❌ 5 of 6 checks pass — hint: 3 bad minutes out of 5, not in a row, never alarmed: look "
        "at the last 5 periods (EvaluationPeriods=5) and alarm on 3 of them (DatapointsToAlarm=3)",
    ),
    "xray-subsegment": (  # the order id as metadata: kept, but not indexed
        "import json\n\nfrom aws_xray_sdk.core import xray_recorder\n\n\n"
        "def handler(event, context):\n"
        "    with xray_recorder.in_subsegment('compute-total') as subsegment:\n"
        "        subsegment.put_metadata('order_id', event['order_id'])\n"
        "        total = sum(i['price'] * i['qty'] for i in event['items'])\n"
        "    return json.loads(json.dumps({'order_id': event['order_id'], 'total': total}))\n",
        "❌ 4 of 6 checks pass — hint: order_id is metadata, which X-Ray keeps but does not "
        "index: use subsegment.put_annotation('order_id', event['order_id'])",
    ),
    "business-metric": (  # the order id as a dimension: one metric per order
        lambda metrics, order: (
            metrics.add_dimension(name="payment", value=order["payment"]),
            metrics.add_dimension(name="order_id", value=order["id"]),
            metrics.add_metric(name="OrdersPlaced", unit="Count", value=1)),
        "❌ 3 of 4 checks pass — hint: the order id is a dimension: every order would be a metric "
        "of its own (and a custom metric to pay for); keep it in the document with "
        "metrics.add_metadata(key=\"order_id\", value=order[\"id\"])",
    ),
    "mobile-redirect": (  # the status as a number, not a string
        lambda event, context: {"status": 302, "headers": {"location": [
            {"key": "Location", "value": "https://m.example.com" +
             event["Records"][0]["cf"]["request"]["uri"]}]}},
        "❌ 1 of 3 checks pass — hint: status is 302: Lambda@Edge wants the status as a "
        "string, '302'",
    ),
    "edge-product": (  # Lambda@Edge everywhere: it can do all, but costs more for two
        dict.fromkeys(("cache-key", "body", "origin-pick", "jwt", "dynamodb"), "lambda@edge"),
        "❌ 3 of 5 checks pass — hint: cache-key: lambda@edge cannot do it, or costs more than "
        "it must — reread the table",
    ),
    "sqs-endpoint": (  # the endpoint, and a NAT gateway besides
        lambda ec2, net: _with_nat(ec2, net, _sqs_endpoint),
        "❌ 4 of 5 checks pass — hint: a NAT gateway costs by the hour and by the GB: the "
        "exercise asks for none",
    ),
    "s3-blocked": (  # both causes removed, and a NAT gateway besides
        lambda ec2, net: _with_nat(ec2, net, _fix_s3),
        "❌ 3 of 4 checks pass — hint: a NAT gateway charges for every GB to S3: use the "
        "gateway endpoint, it is free",
    ),
    "fix-package": (  # the forgotten dependency: no requirements, so no tinydep in the zip
        lambda src, output, wheels: build_zip(src, output).path,
        "❌ 2 of 4 checks pass — hint: the zip has no tinydep/: pass "
        "requirements=<src>/requirements.txt, and find_links=wheels with no_index=True so pip "
        "installs from the local wheels",
    ),
    "linear-with-alarm": (  # a canary instead of a linear shift
        {"Type": "Canary10Percent5Minutes", "Alarms": ["orders-api-errors"]},
        "❌ 2 of 3 checks pass — hint: the new version kept 10% for two minutes: a Canary type "
        "moves one share, then the rest; a Linear type adds 10 % every interval",
    ),
}


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv(ENV_VAR, str(path))
    return path


def make(checks, **kwargs):
    return Exercise(
        id="demo",
        title="Demo",
        checks=checks,
        hints=["first", "second"],
        solution="answer = 1",
        **kwargs,
    )


def test_every_exercise_has_a_wrong_answer_case():
    assert set(WRONG) == set(ex.EXERCISES)


@pytest.mark.parametrize("exercise_id", sorted(ex.EXERCISES))
def test_reference_solution_passes_every_check(exercise_id):
    exercise = ex.get(exercise_id)
    feedback = exercise.check(exercise.reference_answer())
    n = len(exercise.checks)
    assert feedback.ok
    assert feedback.text == f"✅ {n} of {n} checks pass"


@pytest.mark.parametrize("exercise_id", sorted(ex.EXERCISES))
def test_wrong_answer_fails_with_the_first_failing_hint(exercise_id):
    answer, expected = WRONG[exercise_id]
    if isinstance(answer, str) and answer.startswith("import"):  # a handler deployed for real
        answer = ex._run_source(answer, f"<wrong {exercise_id}>")["handler"]
    feedback = ex.get(exercise_id).check(answer)
    assert not feedback.ok
    assert feedback.text == expected


@pytest.mark.parametrize("exercise_id", sorted(ex.EXERCISES))
def test_none_and_the_stub_are_not_attempted(exercise_id):
    exercise = ex.get(exercise_id)
    for answer in (None, exercise.stub_answer()):
        feedback = exercise.check(answer)
        assert feedback.text == NOT_ATTEMPTED
        assert (feedback.attempted, feedback.passed) == (False, 0)


@pytest.mark.parametrize("exercise_id", sorted(ex.EXERCISES))
def test_every_exercise_has_hints_a_topic_and_a_solution(exercise_id):
    from lambda_lab.course.topics import TOPICS

    exercise = ex.get(exercise_id)
    assert exercise.hints
    assert exercise.topic in TOPICS
    assert exercise.solution().strip()


@pytest.mark.parametrize(
    "exercise_id, answer",
    [("gb-seconds", Fraction(100_000)), ("gb-seconds", 100_000.0), ("one-vcpu", 1769)],
)
def test_any_kind_of_number_is_accepted(exercise_id, answer):
    assert ex.get(exercise_id).check(answer).ok


@pytest.mark.parametrize(
    "exercise_id, answer, hint",
    [
        ("gb-seconds", "100000", "answer should be a number, not str"),
        ("gb-seconds", True, "answer should be a number, not bool"),
        ("one-vcpu", 1769.0, "answer should be a whole number of MB (an int), not float"),
    ],
)
def test_an_answer_of_the_wrong_type_gets_a_type_hint(exercise_id, answer, hint):
    assert ex.get(exercise_id).check(answer).text.endswith(f"— hint: {hint}")


def test_feedback_counts_every_check_and_shows_the_first_hint():
    exercise = make(
        [
            Check("a", lambda answer: None),
            Check("b", lambda answer: "hint b"),
            Check("c", lambda answer: "hint c"),
        ]
    )
    feedback = exercise.check(1)
    assert (feedback.passed, feedback.total) == (1, 3)
    assert feedback.text == "❌ 1 of 3 checks pass — hint: hint b"


def test_an_exception_in_a_check_is_a_failed_check_with_its_hint():
    def boom(answer):
        raise KeyError("name")

    feedback = make([Check("reads the name", boom, hint="use event['name']")]).check(1)
    assert feedback.text == (
        "❌ 0 of 1 checks pass — hint: use event['name'] (your code raised KeyError: 'name')"
    )


def test_an_assertion_message_is_the_hint():
    def fn(answer):
        assert answer == 2, "answer should be 2"

    assert make([Check("is two", fn)]).check(1).text.endswith("— hint: answer should be 2")


def test_a_false_result_uses_the_check_description():
    feedback = make([Check("is two", lambda answer: answer == 2)]).check(1)
    assert feedback.text == "❌ 0 of 1 checks pass — hint: expected: is two"


def test_check_never_raises_even_on_sys_exit_or_a_broken_not_attempted():
    def exits(answer):
        sys.exit(3)

    def broken(answer):
        raise RuntimeError("cannot tell")

    feedback = make([Check("runs", exits)], not_attempted=broken).check(1)
    assert feedback.attempted
    assert feedback.text.startswith("❌ 0 of 1 checks pass — hint: expected: runs")


def test_what_the_answer_prints_is_kept_off_the_cell_output(capsys):
    def handler(event, context):
        print("debug line")
        return {"statusCode": 200, "body": event["name"]}

    feedback = ex.get("hello-handler").check(handler)
    assert feedback.ok
    assert "debug line" in feedback.output
    assert capsys.readouterr() == ("", "")


def test_feedback_shows_as_its_text():
    feedback = make([Check("a", lambda answer: None)]).check(1)
    assert repr(feedback) == str(feedback) == "✅ 1 of 1 checks pass"


def test_hints_and_solution_come_on_demand_as_plain_text():
    exercise = make([Check("a", lambda answer: None)])
    assert repr(exercise.hint()) == "Hint 1 of 2: first"
    assert exercise.hint(2) == "Hint 2 of 2: second"
    assert exercise.hint(3) == "This exercise has hints 1 to 2."
    assert repr(exercise.solution()) == "answer = 1\n"


def test_module_helpers_reach_the_registry():
    assert ex.hint("one-vcpu", 1) == ex.get("one-vcpu").hint(1)
    assert ex.solution("one-vcpu") == ex.get("one-vcpu").solution()
    with pytest.raises(KeyError, match="known: .*gb-seconds"):
        ex.get("no-such-exercise")


@pytest.mark.parametrize(
    "body, stub",
    [
        ("pass", True),
        ("...", True),
        ("raise NotImplementedError", True),
        ("raise NotImplementedError('todo')", True),
        ('"""Docstring."""\n    # TODO\n    ...', True),
        ("return None", False),
        ("return {'statusCode': 200}", False),
    ],
)
def test_is_stub_recognises_placeholder_bodies(body, stub):
    namespace = ex._run_source(f"def handler(event, context):\n    {body}\n", f"<stub {body}>")
    assert ex.is_stub(namespace["handler"]) is stub


def test_is_stub_treats_unreadable_source_as_an_answer():
    namespace = {}
    exec("def handler(event, context):\n    ...\n", namespace)  # no source for inspect
    assert ex.is_stub(namespace["handler"]) is False
    assert ex.is_stub(len) is False
    assert ex.is_stub(lambda event, context: None) is False


def test_register_rejects_a_second_exercise_with_the_same_id():
    clash = Exercise("gb-seconds", "Clash", [Check("a", lambda a: None)], [], "answer = 1")
    with pytest.raises(ValueError, match="already registered"):
        ex.register(clash)
    assert ex.register(ex.get("gb-seconds")) is ex.get("gb-seconds")  # re-registering is fine


def test_exercise_needs_checks_and_a_solution():
    with pytest.raises(ValueError, match="no checks"):
        make([])
    with pytest.raises(ValueError, match="no reference solution"):
        Exercise("demo", "Demo", [Check("a", lambda a: None)], [], "  ")


def test_module_check_records_attempts_but_not_stubs(progress_file):
    assert ex.check("gb-seconds", None).text == NOT_ATTEMPTED
    assert not progress_file.exists()
    ex.check("gb-seconds", 100_000)
    saved = json.loads(progress_file.read_text())
    assert saved["exercises"]["gb-seconds"] == {
        "topic": "02-memory-cpu-timeout",
        "solved": True,
        "checks_passed": 2,
        "checks_total": 2,
    }


def test_no_notebook_contains_a_reference_solution():
    notebooks = sorted((REPO / "notebooks").glob("**/*.ipynb"))
    solutions = [(e.id, e.solution().strip()) for e in ex.EXERCISES.values()]
    for notebook in notebooks:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
        text = "\n".join("".join(cell.get("source", "")) for cell in cells)
        for exercise_id, source in solutions:
            assert source not in text, f"{notebook.name} contains the solution of {exercise_id}"


def test_importing_the_course_does_not_import_ipywidgets_or_yaml():
    code = (
        "import sys, lambda_lab.course\nprint('ipywidgets' in sys.modules, 'yaml' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("exercise_id", ["order-filter", "alias-shift", "fix-package"])
def test_checkers_leave_no_role_behind(exercise_id, aws):  # noqa: F811
    """A checker that runs the answer in the notebook's session deletes what it made: the
    function, and the execution role it created for it (these three used to leave the role)."""
    exercise = ex.get(exercise_id)
    feedback = exercise.check(exercise.reference_answer())
    assert feedback.ok, feedback.text
    assert boto3.client("lambda", region_name=REGION).list_functions()["Functions"] == []
    roles = boto3.client("iam", region_name=REGION).list_roles()["Roles"]
    assert [r["RoleName"] for r in roles] == []
