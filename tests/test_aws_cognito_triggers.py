"""Cognito user pool Lambda triggers run the handler synchronously, through boto3.

Sources: Cognito DG "Customizing user pool workflows with Lambda triggers": common parameters
``version``, ``triggerSource``, ``region``, ``userPoolId``, ``userName``, ``callerContext``
{``awsSdkVersion``, ``clientId``}, ``request``, ``response``; "Amazon Cognito invokes Lambda
functions synchronously ... must respond within 5 seconds. If it does not, Amazon Cognito retries
the call. After 3 unsuccessful attempts, the function times out". DG "Pre sign-up Lambda trigger":
sources ``PreSignUp_SignUp``, ``PreSignUp_AdminCreateUser``; request ``userAttributes``,
``validationData``, ``clientMetadata``; response ``autoConfirmUser``, ``autoVerifyEmail``,
``autoVerifyPhone``. DG "Post confirmation": ``PostConfirmation_ConfirmSignUp``. DG "Pre token
generation" (V1_0): ``TokenGeneration_Authentication`` / ``_RefreshTokens``, request
``groupConfiguration``, response ``claimsOverrideDetails`` {``claimsToAddOrOverride``,
``claimsToSuppress``}; ``sub`` and other listed claims cannot be modified. Errors as clients
see them (aws-amplify/amplify-flutter#1051, furaiev/amazon-cognito-identity-dart-2#204,
awslabs/service-workbench-on-aws#1136, aws/serverless-application-model#1253 "The Function is
never invoked", re:Post "cognito-lambda-trigger-errors", Stack Overflow 42706896):
``UserLambdaValidationException`` "PreSignUp failed with error <message>.";
``UnexpectedLambdaException`` "PreSignUp invocation failed due to error AccessDeniedException."
without the resource policy for
``cognito-idp.amazonaws.com``, and "... Socket timeout while invoking Lambda function." on
timeout; ``InvalidLambdaResponseException`` "Unrecognizable lambda output".
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import base64
import json

import boto3
import pytest
from aws_helpers import REGION, aws, create, lam, log_lines, poll, role  # noqa: F401
from botocore.exceptions import ClientError

from lambda_lab.aws import cognito

RECORDS = """
import json

def handler(event, context):
    print("EVENT " + json.dumps(event))
    return event
"""

AUTO_CONFIRM = """
def handler(event, context):
    event["response"]["autoConfirmUser"] = True
    event["response"]["autoVerifyEmail"] = True
    return event
"""

REFUSES = """
def handler(event, context):
    raise Exception("gmail addresses are not allowed")
"""

CLAIMS = """
import json

def handler(event, context):
    print("EVENT " + json.dumps(event))
    event["response"]["claimsOverrideDetails"] = {
        "claimsToAddOrOverride": {"tenant": "acme", "sub": "forged"},
        "claimsToSuppress": ["email"]}
    return event
"""

SLOW = """
import time

def handler(event, context):
    time.sleep(3)
    return event
"""

NOT_THE_EVENT = """
def handler(event, context):
    return "ok"
"""

PASSWORD = "Passw0rd!long"


@pytest.fixture
def idp(aws):
    return boto3.client("cognito-idp", region_name=REGION)


def trigger(lam, create, source: str, **params) -> tuple[str, str]:
    """A function for a trigger: (name, ARN)."""
    name = create(source, **params)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    return name, arn


def pool(idp, lam, functions: dict[str, tuple[str, str]], *, allow: bool = True) -> tuple:
    """A user pool with ``LambdaConfig`` = {trigger: function ARN} and an app client."""
    config = {key: arn for key, (_, arn) in functions.items()}
    created = idp.create_user_pool(PoolName="pool", LambdaConfig=config)["UserPool"]
    if allow:
        for key, (name, _) in functions.items():
            lam.add_permission(FunctionName=name, StatementId=f"cognito-{key}",
                               Action="lambda:InvokeFunction", Principal=cognito.PRINCIPAL,
                               SourceArn=created["Arn"])
    client = idp.create_user_pool_client(
        UserPoolId=created["Id"], ClientName="app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                           "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
    return created["Id"], client["ClientId"]


def events(name: str) -> list[dict]:
    """The events a RECORDS-style handler printed, oldest first."""
    return [json.loads(line.split("EVENT ", 1)[1]) for line in log_lines(name)
            if "EVENT " in line]


def claims(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def error(excinfo) -> tuple[str, str, int]:
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def sign_up(idp, client_id: str, user: str = "ada", **params):
    return idp.sign_up(ClientId=client_id, Username=user, Password=PASSWORD,
                       UserAttributes=[{"Name": "email", "Value": f"{user}@example.com"}],
                       **params)


def test_pre_sign_up_event_has_the_documented_shape(idp, lam, create):
    name, arn = trigger(lam, create, RECORDS)
    pool_id, client_id = pool(idp, lam, {"PreSignUp": (name, arn)})
    resp = sign_up(idp, client_id, ValidationData=[{"Name": "invite", "Value": "x7"}],
                   ClientMetadata={"campaign": "spring"})
    assert resp["UserConfirmed"] is False
    [event] = events(name)
    assert event["version"] == "1" and event["triggerSource"] == "PreSignUp_SignUp"
    assert (event["region"], event["userPoolId"], event["userName"]) == (REGION, pool_id, "ada")
    assert event["callerContext"]["clientId"] == client_id
    assert isinstance(event["callerContext"]["awsSdkVersion"], str)
    assert event["request"]["userAttributes"] == {"email": "ada@example.com"}
    assert event["request"]["validationData"] == {"invite": "x7"}
    assert event["request"]["clientMetadata"] == {"campaign": "spring"}
    assert event["response"] == {"autoConfirmUser": False, "autoVerifyEmail": False,
                                 "autoVerifyPhone": False}
    user = idp.admin_get_user(UserPoolId=pool_id, Username="ada")
    assert user["UserStatus"] == "UNCONFIRMED"


def test_auto_confirm_and_auto_verify(idp, lam, create):
    """autoConfirmUser: the user can sign in at once (and PostConfirmation runs, with the
    SignUp's ClientMetadata); autoVerifyEmail: email_verified."""
    post, post_arn = trigger(lam, create, RECORDS)
    pool_id, client_id = pool(idp, lam, {"PreSignUp": trigger(lam, create, AUTO_CONFIRM),
                                         "PostConfirmation": (post, post_arn)})
    assert sign_up(idp, client_id, ClientMetadata={"from": "signup"})["UserConfirmed"] is True
    user = idp.admin_get_user(UserPoolId=pool_id, Username="ada")
    attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["UserStatus"] == "CONFIRMED" and attrs["email_verified"] == "true"
    [event] = events(post)
    assert event["triggerSource"] == "PostConfirmation_ConfirmSignUp"
    assert event["request"]["clientMetadata"] == {"from": "signup"}
    auth = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": "ada", "PASSWORD": PASSWORD})
    assert auth["AuthenticationResult"]["IdToken"]


def test_raising_pre_sign_up_refuses_the_user(idp, lam, create):
    pool_id, client_id = pool(idp, lam, {"PreSignUp": trigger(lam, create, REFUSES)})
    with pytest.raises(ClientError) as excinfo:
        sign_up(idp, client_id)
    assert error(excinfo) == ("UserLambdaValidationException",
                              "PreSignUp failed with error gmail addresses are not allowed.", 400)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_get_user(UserPoolId=pool_id, Username="ada")


def test_admin_create_user_runs_pre_sign_up_admin_create_user(idp, lam, create):
    name, arn = trigger(lam, create, RECORDS)
    pool_id, _ = pool(idp, lam, {"PreSignUp": (name, arn)})
    idp.admin_create_user(UserPoolId=pool_id, Username="grace",
                          UserAttributes=[{"Name": "email", "Value": "g@example.com"}],
                          ValidationData=[{"Name": "source", "Value": "import"}])
    [event] = events(name)
    assert event["triggerSource"] == "PreSignUp_AdminCreateUser"
    assert event["callerContext"]["clientId"] == "CLIENT_ID_NOT_APPLICABLE"
    assert event["request"]["validationData"] == {"source": "import"}
    assert event["userName"] == "grace"


def test_post_confirmation_runs_after_confirm_sign_up(idp, lam, create):
    name, arn = trigger(lam, create, RECORDS)
    pool_id, client_id = pool(idp, lam, {"PostConfirmation": (name, arn)})
    sub = sign_up(idp, client_id)["UserSub"]
    assert events(name) == []  # not on sign-up
    idp.confirm_sign_up(ClientId=client_id, Username="ada", ConfirmationCode="123456")
    [event] = events(name)
    assert event["triggerSource"] == "PostConfirmation_ConfirmSignUp"
    attrs = event["request"]["userAttributes"]
    assert attrs["sub"] == sub and attrs["cognito:user_status"] == "CONFIRMED"
    assert attrs["email"] == "ada@example.com" and event["response"] == {}
    sign_up(idp, client_id, user="bob")
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="bob")
    assert events(name)[-1]["callerContext"]["clientId"] == "CLIENT_ID_NOT_APPLICABLE"


def test_post_confirmation_after_a_forgotten_password(idp, lam, create):
    """DG: the post confirmation trigger also runs on ConfirmForgotPassword."""
    name, arn = trigger(lam, create, RECORDS)
    pool_id, client_id = pool(idp, lam, {"PostConfirmation": (name, arn)})
    sign_up(idp, client_id)
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="ada")
    idp.forgot_password(ClientId=client_id, Username="ada")
    idp.confirm_forgot_password(ClientId=client_id, Username="ada", ConfirmationCode="123456",
                                Password="An0ther!password")
    assert [e["triggerSource"] for e in events(name)] == [
        "PostConfirmation_ConfirmSignUp", "PostConfirmation_ConfirmForgotPassword"]


def test_failing_post_confirmation_fails_the_call_but_the_user_stays_confirmed(idp, lam,
                                                                                create):
    pool_id, client_id = pool(idp, lam, {"PostConfirmation": trigger(lam, create, REFUSES)})
    sign_up(idp, client_id)
    with pytest.raises(ClientError) as excinfo:
        idp.confirm_sign_up(ClientId=client_id, Username="ada", ConfirmationCode="123456")
    assert error(excinfo)[:2] == (
        "UserLambdaValidationException",
        "PostConfirmation failed with error gmail addresses are not allowed.")
    assert idp.admin_get_user(UserPoolId=pool_id, Username="ada")["UserStatus"] == "CONFIRMED"


def test_pre_token_generation_adds_and_suppresses_id_token_claims(idp, lam, create):
    name, arn = trigger(lam, create, CLAIMS)
    pool_id, client_id = pool(idp, lam, {"PreTokenGeneration": (name, arn)})
    sub = sign_up(idp, client_id)["UserSub"]
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="ada")
    auth = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": "ada", "PASSWORD": PASSWORD})
    tokens = auth["AuthenticationResult"]
    id_claims = claims(tokens["IdToken"])
    assert id_claims["tenant"] == "acme" and "email" not in id_claims
    assert id_claims["sub"] == sub  # a protected claim is not overridden
    assert "tenant" not in claims(tokens["AccessToken"])  # V1_0 changes the ID token only
    [event] = events(name)
    assert event["triggerSource"] == "TokenGeneration_Authentication"
    assert event["request"]["groupConfiguration"] == {
        "groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None}
    assert event["response"] == {"claimsOverrideDetails": None}
    refreshed = idp.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
    assert claims(refreshed["AuthenticationResult"]["IdToken"])["tenant"] == "acme"
    assert events(name)[-1]["triggerSource"] == "TokenGeneration_RefreshTokens"
    # the re-signed token is still one moto knows (GetUser works on the access token)
    assert idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == "ada"


def test_without_a_resource_policy_cognito_cannot_invoke(idp, lam, create):
    """No add_permission for cognito-idp.amazonaws.com → AccessDeniedException, and no run."""
    name, arn = trigger(lam, create, RECORDS)
    pool_id, client_id = pool(idp, lam, {"PreSignUp": (name, arn)}, allow=False)
    with pytest.raises(ClientError) as excinfo:
        sign_up(idp, client_id)
    assert error(excinfo) == ("UnexpectedLambdaException",
                              "PreSignUp invocation failed due to error AccessDeniedException.",
                              400)
    assert events(name) == []


def test_trigger_timeout_is_retried_then_fails(idp, lam, create, monkeypatch):
    """5 s per attempt, 3 attempts (shortened here to 0.5 s), then "Socket timeout"."""
    assert (cognito.TRIGGER_TIMEOUT_S, cognito.ATTEMPTS) == (5.0, 3)
    monkeypatch.setattr(cognito, "TRIGGER_TIMEOUT_S", 0.5)
    name, arn = trigger(lam, create, SLOW, Timeout=10)
    _, client_id = pool(idp, lam, {"PreSignUp": (name, arn)})
    with pytest.raises(ClientError) as excinfo:
        sign_up(idp, client_id)
    assert error(excinfo)[:2] == (
        "UnexpectedLambdaException",
        "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function.")
    poll(lambda: sum(line.startswith("START RequestId") for line in log_lines(name)) == 3,
         timeout=15)


def test_a_trigger_must_return_the_event(idp, lam, create):
    _, client_id = pool(idp, lam, {"PreSignUp": trigger(lam, create, NOT_THE_EVENT)})
    with pytest.raises(ClientError) as excinfo:
        sign_up(idp, client_id)
    assert error(excinfo)[:2] == ("InvalidLambdaResponseException",
                                  "Unrecognizable lambda output")


def test_through_the_http_endpoint(aws, idp, lam, create):
    """Triggers also run for calls over HTTP (what ``serve`` and the AWS CLI use)."""
    _, client_id = pool(idp, lam, {"PreSignUp": trigger(lam, create, REFUSES)})
    http = boto3.client("cognito-idp", region_name=REGION, endpoint_url=aws.endpoint_url,
                        aws_access_key_id="test", aws_secret_access_key="test")
    with pytest.raises(ClientError) as excinfo:
        sign_up(http, client_id)
    assert error(excinfo)[:2] == ("UserLambdaValidationException",
                                  "PreSignUp failed with error gmail addresses are not allowed.")


def test_new_password_challenge_token_source(idp, lam, create):
    """A user an admin created signs in with the temporary password, then sets a new one: the
    tokens come from TokenGeneration_NewPasswordChallenge."""
    name, arn = trigger(lam, create, RECORDS)
    pool_id, client_id = pool(idp, lam, {"PreTokenGeneration": (name, arn)})
    idp.admin_create_user(UserPoolId=pool_id, Username="grace", TemporaryPassword="Temp0rary!x")
    challenge = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "grace",
                                                  "PASSWORD": "Temp0rary!x"})
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED" and events(name) == []
    tokens = idp.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "grace", "NEW_PASSWORD": PASSWORD})
    assert tokens["AuthenticationResult"]["IdToken"]
    [event] = events(name)
    assert event["triggerSource"] == "TokenGeneration_NewPasswordChallenge"
    assert event["userName"] == "grace"
