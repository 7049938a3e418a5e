"""Cognito user pools: the Lambda triggers of a pool's ``LambdaConfig`` run on the platform.

moto's cognito-idp stores ``LambdaConfig`` but never calls it. These patches (all of this
service's) invoke the triggers synchronously through the platform, as the principal
``cognito-idp.amazonaws.com`` (the function's resource policy must allow it), with the event
shapes of the Cognito DG ("Customizing user pool workflows with Lambda triggers", "Pre sign-up",
"Post confirmation", "Pre token generation"):

- ``PreSignUp`` from SignUp (``PreSignUp_SignUp``) and AdminCreateUser
  (``PreSignUp_AdminCreateUser``): ``autoConfirmUser``, ``autoVerifyEmail``, ``autoVerifyPhone``;
- ``PostConfirmation`` from ConfirmSignUp, AdminConfirmSignUp and a PreSignUp auto-confirmation
  (``PostConfirmation_ConfirmSignUp``), and ConfirmForgotPassword
  (``PostConfirmation_ConfirmForgotPassword``); what was confirmed stands if the trigger fails;
- ``PreTokenGeneration`` (event version 1) whenever an ID token is issued (InitiateAuth,
  AdminInitiateAuth, RespondToAuthChallenge, refresh): ``claimsToAddOrOverride``,
  ``claimsToSuppress`` and ``groupOverrideDetails.groupsToOverride`` change the ID token.

Failures answer as Cognito does (HTTP 400): a raising handler → ``UserLambdaValidationException``
"<Trigger> failed with error <message>."; no permission → ``UnexpectedLambdaException``
"<Trigger> invocation failed due to error AccessDeniedException."; no answer within
:data:`TRIGGER_TIMEOUT_S` (5 s) in each of :data:`ATTEMPTS` attempts → ``UnexpectedLambdaException``
"... Socket timeout while invoking Lambda function."; not the event back →
``InvalidLambdaResponseException`` "Unrecognizable lambda output".
"""

from __future__ import annotations

import contextvars
import json
import threading
from collections.abc import Callable
from typing import Any
from unittest import mock

from moto.core.exceptions import JsonRESTError

from ..errors import LambdaError

__all__ = ["ATTEMPTS", "PRINCIPAL", "TRIGGER_TIMEOUT_S", "InvalidLambdaResponseException",
           "UnexpectedLambdaException", "UserLambdaValidationException", "install",
           "uninstall"]

PRINCIPAL = "cognito-idp.amazonaws.com"
#: "your Lambda function must respond within 5 seconds. If it does not, Amazon Cognito retries
#: the call. After 3 unsuccessful attempts, the function times out." (DG, Lambda triggers)
TRIGGER_TIMEOUT_S = 5.0
ATTEMPTS = 3
#: callerContext.clientId of the admin (server-side) operations.
NO_CLIENT = "CLIENT_ID_NOT_APPLICABLE"
SDK_VERSION = "aws-sdk-unknown-unknown"
#: ID token claims a pre token generation trigger cannot change (DG "Pre token generation").
PROTECTED_CLAIMS = frozenset({
    "acr", "amr", "aud", "at_hash", "auth_time", "azp", "cognito:username", "exp", "iat",
    "identities", "iss", "jti", "nbf", "nonce", "origin_jti", "sub", "token_use"})


class UserLambdaValidationException(JsonRESTError):
    """A trigger's handler raised: "<Trigger> failed with error <message>."."""

    def __init__(self, message: str) -> None:
        super().__init__("UserLambdaValidationException", message)


class UnexpectedLambdaException(JsonRESTError):
    """Cognito could not invoke the trigger (permission, throttle, timeout)."""

    def __init__(self, message: str) -> None:
        super().__init__("UnexpectedLambdaException", message)


class InvalidLambdaResponseException(JsonRESTError):
    """The trigger did not return the event."""

    def __init__(self, message: str = "Unrecognizable lambda output") -> None:
        super().__init__("InvalidLambdaResponseException", message)


_request: contextvars.ContextVar[Any] = contextvars.ContextVar("cognito_request", default=None)
_session: Any = None


def install(session: Any) -> None:
    """Run user pool triggers on ``session``'s platforms (a :class:`MockAWS`)."""
    global _session
    from moto.cognitoidp import models, responses

    backend, pool = models.CognitoIdpBackend, models.CognitoIdpUserPool
    patches = [
        mock.patch.object(responses.CognitoIdpResponse, "call_action",
                          _remember_request(responses.CognitoIdpResponse.call_action)),
        mock.patch.object(backend, "sign_up", _pre_sign_up_on_sign_up(backend.sign_up)),
        mock.patch.object(backend, "admin_create_user",
                          _pre_sign_up_on_admin_create(backend.admin_create_user)),
        mock.patch.object(backend, "confirm_sign_up",
                          _post_confirmation_on_confirm(backend.confirm_sign_up)),
        mock.patch.object(backend, "admin_confirm_sign_up",
                          _post_confirmation_on_admin_confirm(backend.admin_confirm_sign_up)),
        mock.patch.object(backend, "confirm_forgot_password",
                          _post_confirmation_on_forgot_password(backend.confirm_forgot_password)),
        mock.patch.object(pool, "create_id_token", _pre_token_generation(pool.create_id_token)),
    ]
    for p in patches:
        p.start()
    session._cognito_patches = patches
    _session = session


def uninstall(session: Any) -> None:
    """Undo :func:`install` (idempotent)."""
    global _session
    for p in reversed(getattr(session, "_cognito_patches", [])):
        p.stop()
    session._cognito_patches = []
    _session = None


# ----------------------------------------------------------------------- the request


def _remember_request(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Keep the moto response object of the call in progress (its parameters: ClientMetadata,
    ValidationData, AuthFlow, ChallengeName), which moto's backend methods are not given."""

    def call_action(self: Any) -> Any:
        token = _request.set(self)
        try:
            return original(self)
        finally:
            _request.reset(token)

    return call_action


def _param(name: str) -> Any:
    request = _request.get()
    return None if request is None else request._get_param(name)


def _action() -> str:
    request = _request.get()
    return "" if request is None else request._get_action()


# ----------------------------------------------------------------------- invoking a trigger


def _trigger(pool: Any, name: str, source: str, user_name: str, client_id: str,
             request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any] | None:
    """Run the pool's ``name`` trigger (if configured) with the common parameters around
    ``request``/``response``; returns the ``response`` the handler sent back. Raises the
    Cognito errors of the module docstring."""
    arn = (pool.extended_config.get("LambdaConfig") or {}).get(name)
    if not arn or _session is None:
        return None
    event = {"version": "1", "triggerSource": source, "region": pool.region,
             "userPoolId": pool.id, "userName": user_name,
             "callerContext": {"awsSdkVersion": SDK_VERSION, "clientId": client_id},
             "request": request, "response": response}
    answer = _invoke(pool, name, arn, json.dumps(event).encode())
    if not isinstance(answer, dict) or not isinstance(answer.get("response", {}), dict):
        raise InvalidLambdaResponseException()
    return answer.get("response") or {}


def _invoke(pool: Any, name: str, arn: str, payload: bytes) -> Any:
    from ..sources import permissions

    parts = arn.split(":")
    region, account = (parts[3], parts[4]) if len(parts) >= 7 else (pool.region, pool.account_id)
    platform = _session.platform(region, account)
    try:
        platform.function(arn)
    except LambdaError as e:
        raise UnexpectedLambdaException(f"{name} invocation failed due to error {e.code}.") from e
    if not permissions.allows(platform, arn, PRINCIPAL, pool.arn, pool.account_id):
        raise UnexpectedLambdaException(
            f"{name} invocation failed due to error AccessDeniedException.")
    def call(box: dict[str, Any]) -> None:
        try:
            box["inv"] = platform.invoke(arn, payload)
        except Exception as e:  # noqa: BLE001 -- handed to the caller below
            box["error"] = e

    for _ in range(ATTEMPTS):
        box: dict[str, Any] = {}
        worker = threading.Thread(target=call, args=(box,), name=f"cognito-{name}", daemon=True)
        worker.start()
        worker.join(TRIGGER_TIMEOUT_S)  # the function runs on to its own timeout meanwhile
        if worker.is_alive():
            continue
        if "error" in box:
            code = getattr(box["error"], "code", type(box["error"]).__name__)
            raise UnexpectedLambdaException(
                f"{name} invocation failed due to error {code}.") from box["error"]
        result = box["inv"].result
        if result.function_error:
            raise UserLambdaValidationException(
                f"{name} failed with error {result.error_message}.")
        try:
            return json.loads(result.raw_payload or b"null")
        except ValueError as e:
            raise InvalidLambdaResponseException() from e
    raise UnexpectedLambdaException(
        f"{name} invocation failed due to error Socket timeout while invoking Lambda function.")


def _user_attributes(user: Any, *, with_status: bool = True) -> dict[str, str]:
    attrs = {a["Name"]: a["Value"] for a in user.attributes}
    if with_status:
        attrs["cognito:user_status"] = str(getattr(user.status, "value", user.status))
    return attrs


def _client_metadata(request: dict[str, Any]) -> dict[str, Any]:
    metadata = _param("ClientMetadata")
    if metadata:
        request["clientMetadata"] = metadata
    return request


def _pool_of_client(backend: Any, client_id: str) -> Any:
    return next((p for p in backend.user_pools.values() if client_id in p.clients), None)


# ----------------------------------------------------------------------- sign-up


def _pre_sign_up(pool: Any, user: Any, source: str, client_id: str) -> dict:
    """Run PreSignUp for a just-created ``user``; undo the creation if it fails."""
    request = _client_metadata({
        "userAttributes": {k: v for k, v in _user_attributes(user, with_status=False).items()
                           if k != "sub"},
        "validationData": _flat(_param("ValidationData"))})
    try:
        answer = _trigger(pool, "PreSignUp", source, user.username, client_id, request,
                          {"autoConfirmUser": False, "autoVerifyEmail": False,
                           "autoVerifyPhone": False})
    except Exception:
        pool.users.pop(user.username, None)
        raise
    answer = answer or {}
    flags = (("email", "autoVerifyEmail"), ("phone_number", "autoVerifyPhone"))
    verified = [{"Name": f"{attr}_verified", "Value": "true"} for attr, flag in flags
                if answer.get(flag) is True and user.attribute_lookup.get(attr)]
    if verified:
        user.update_attributes(verified)
    return answer


def _flat(attrs: Any) -> dict[str, str] | None:
    """``[{"Name": n, "Value": v}]`` → ``{n: v}`` (None when not given)."""
    if not attrs:
        return None
    return {a["Name"]: a.get("Value") for a in attrs}


def _pre_sign_up_on_sign_up(original: Callable[..., Any]) -> Callable[..., Any]:
    def sign_up(self: Any, client_id: str, username: str, password: str,
                attributes: list[dict[str, str]]) -> Any:
        from moto.cognitoidp.models import UserStatus

        user, details = original(self, client_id, username, password, attributes)
        pool = _pool_of_client(self, client_id)
        answer = _pre_sign_up(pool, user, "PreSignUp_SignUp", client_id)
        if answer.get("autoConfirmUser") is True:
            user.status = UserStatus.CONFIRMED  # no confirmation code is sent
            details = None
            _post_confirmation(pool, user, client_id)  # DG: its clientMetadata may come from SignUp
        return user, details

    return sign_up


def _pre_sign_up_on_admin_create(original: Callable[..., Any]) -> Callable[..., Any]:
    def admin_create_user(self: Any, user_pool_id: str, username: str, message_action: str,
                          temporary_password: str, attributes: list[dict[str, str]]) -> Any:
        user = original(self, user_pool_id, username, message_action, temporary_password,
                        attributes)
        if message_action != "RESEND":
            pool = self.describe_user_pool(user_pool_id)
            _pre_sign_up(pool, user, "PreSignUp_AdminCreateUser", NO_CLIENT)
        return user

    return admin_create_user


# ----------------------------------------------------------------------- confirmation


def _post_confirmation(pool: Any, user: Any, client_id: str,
                       source: str = "PostConfirmation_ConfirmSignUp") -> None:
    request = _client_metadata({"userAttributes": _user_attributes(user)})
    _trigger(pool, "PostConfirmation", source, user.username, client_id, request, {})


def _post_confirmation_on_confirm(original: Callable[..., Any]) -> Callable[..., Any]:
    def confirm_sign_up(self: Any, client_id: str, username: str) -> str:
        result = original(self, client_id, username)
        pool = _pool_of_client(self, client_id)
        _post_confirmation(pool, pool._get_user(username), client_id)
        return result

    return confirm_sign_up


def _post_confirmation_on_admin_confirm(original: Callable[..., Any]) -> Callable[..., Any]:
    def admin_confirm_sign_up(self: Any, user_pool_id: str, username: str) -> str:
        result = original(self, user_pool_id, username)
        pool = self.describe_user_pool(user_pool_id)
        _post_confirmation(pool, pool._get_user(username), NO_CLIENT)
        return result

    return admin_confirm_sign_up


def _post_confirmation_on_forgot_password(original: Callable[..., Any]) -> Callable[..., Any]:
    def confirm_forgot_password(self: Any, client_id: str, username: str, password: str,
                                confirmation_code: str) -> None:
        original(self, client_id, username, password, confirmation_code)
        pool = _pool_of_client(self, client_id)
        _post_confirmation(pool, pool._get_user(username), client_id,
                           "PostConfirmation_ConfirmForgotPassword")

    return confirm_forgot_password


# ----------------------------------------------------------------------- tokens


def _token_source() -> str:
    """The triggerSource of a token issued by the call in progress."""
    if _param("AuthFlow") in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        return "TokenGeneration_RefreshTokens"
    if _action().replace("_", "").lower().endswith("respondtoauthchallenge") and \
            _param("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        return "TokenGeneration_NewPasswordChallenge"
    return "TokenGeneration_Authentication"


def _pre_token_generation(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_id_token(self: Any, client_id: str, username: str,
                        origin_jti: str) -> tuple[str, int]:
        user = self._get_user(username)
        groups = sorted(g.group_name for g in user.groups)
        request = _client_metadata({
            "userAttributes": _user_attributes(user),
            "groupConfiguration": {"groupsToOverride": groups, "iamRolesToOverride": [],
                                   "preferredRole": None}})
        answer = _trigger(self, "PreTokenGeneration", _token_source(), user.username,
                          client_id, request, {"claimsOverrideDetails": None})
        token, expires_in = original(self, client_id, username, origin_jti)
        details = (answer or {}).get("claimsOverrideDetails")
        if not details:
            return token, expires_in
        new_token = _override_claims(self, token, details)
        self.id_tokens[new_token] = self.id_tokens.pop(token)
        return new_token, expires_in

    return create_id_token


def _override_claims(pool: Any, token: str, details: dict[str, Any]) -> str:
    """``token`` re-signed with the claims a pre token generation trigger asked for."""
    from joserfc import jwt

    claims = dict(jwt.decode(token, pool.json_web_key).claims)

    def changeable(claim: str) -> bool:
        return claim not in PROTECTED_CLAIMS and not claim.startswith("dev:")

    for claim, value in (details.get("claimsToAddOrOverride") or {}).items():
        if changeable(claim):
            claims[claim] = value
    for claim in details.get("claimsToSuppress") or []:
        if changeable(claim):
            claims.pop(claim, None)
    groups = (details.get("groupOverrideDetails") or {}).get("groupsToOverride")
    if groups is not None:
        if groups:
            claims["cognito:groups"] = list(groups)
        else:
            claims.pop("cognito:groups", None)
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, pool.json_web_key)
