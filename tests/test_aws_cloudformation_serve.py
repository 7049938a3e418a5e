"""``aws cloudformation package`` and ``aws cloudformation deploy`` (the real AWS CLI, awscli v1)
against ``serve``: a SAM template with a local ``CodeUri`` folder is uploaded to S3, deployed
through a change set (what ``deploy`` does: CreateChangeSet, the ChangeSetCreateComplete waiter,
ExecuteChangeSet, the StackCreateComplete waiter), and its function answers ``lambda invoke``
(AWS CLI reference, ``cloudformation package`` / ``cloudformation deploy``)."""
# ruff: noqa: F811 -- the fixture is imported from test_serve and used as an argument

from __future__ import annotations

import json
import os

from test_serve import server  # noqa: F401

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: from-cli
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
Outputs:
  Arn:
    Value: !GetAtt Fn.Arn
"""


def test_package_and_deploy_with_the_cli(server):
    os.makedirs(os.path.join(server.tmp, "src"))
    with open(os.path.join(server.tmp, "src", "app.py"), "w") as f:
        f.write("def handler(event, context):\n    return {'deployed': 'by the cli'}\n")
    with open(os.path.join(server.tmp, "template.yaml"), "w") as f:
        f.write(TEMPLATE)
    # ``package`` makes its own S3 client, which ignores --endpoint-url (botocore's
    # service-specific endpoint variable reaches it)
    server.env["AWS_ENDPOINT_URL_S3"] = server.url
    server.aws("s3", "mb", "s3://artifacts")
    server.aws("cloudformation", "package", "--template-file", "template.yaml",
               "--s3-bucket", "artifacts", "--output-template-file", "packaged.yaml")
    with open(os.path.join(server.tmp, "packaged.yaml")) as f:
        assert "s3://artifacts/" in f.read()
    server.aws("cloudformation", "deploy", "--template-file", "packaged.yaml",
               "--stack-name", "cli", "--capabilities", "CAPABILITY_IAM")
    stack = server.aws_json("cloudformation", "describe-stacks", "--stack-name", "cli")
    assert stack["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Stacks"][0]["Outputs"][0]["OutputValue"].endswith(":function:from-cli")
    server.aws("lambda", "invoke", "--function-name", "from-cli", "out.json")
    with open(os.path.join(server.tmp, "out.json")) as f:
        assert json.load(f) == {"deployed": "by the cli"}
