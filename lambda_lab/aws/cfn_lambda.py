"""CloudFormation's ``AWS::Lambda::*`` resource types, deployed into lambda_lab's platform.

Each resource type is a small class with the interface moto's CloudFormation engine calls
(``create_from_cloudformation_json``, ``update_from_cloudformation_json``, ``delete``,
``physical_resource_id``, ``get_cfn_attribute``); :mod:`lambda_lab.aws.cloudformation` puts them
in moto's resource map. Each one calls the Lambda API in-process (a boto3 client under the
active mock), so a stack's functions are created, validated and run exactly as those of
``lambda.create_function`` are, and a refusal carries Lambda's own error text.

``Ref`` and ``Fn::GetAtt`` follow the CloudFormation template reference: ``Ref`` of a Function
is its name, of a Version the version's ARN, of an Alias the alias ARN, of a LayerVersion the
layer version ARN, of an EventSourceMapping its UUID; ``GetAtt Function.Arn``,
``Version.Version``, ``Alias.AliasArn``, ``LayerVersion.LayerVersionArn``,
``EventSourceMapping.EventSourceMappingArn``, ``Url.FunctionUrl`` / ``Url.FunctionArn``.
"""

from __future__ import annotations

import contextlib
import io
import threading
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any, ClassVar

from botocore.exceptions import ClientError
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

__all__ = ["RESOURCE_TYPES", "ResourceFailed", "forget_clients", "handler_code", "lambda_client",
           "rolling_back"]

_clients: dict[tuple[str, str], Any] = {}
_local = threading.local()


@contextlib.contextmanager
def rolling_back() -> Iterator[None]:
    """While a stack update is rolled back: an alias goes straight back to its version (no
    CodeDeploy deployment)."""
    _local.rolling_back = True
    try:
        yield
    finally:
        _local.rolling_back = False


class ResourceFailed(Exception):
    """A resource the Lambda API refused; ``reason`` is CloudFormation's ResourceStatusReason."""

    def __init__(self, reason: str, code: str = "InvalidRequest") -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


_HANDLER_CODES = {"ResourceNotFoundException": "NotFound",
                  "ResourceConflictException": "AlreadyExists",
                  "TooManyRequestsException": "Throttling",
                  "ServiceException": "ServiceInternalError"}


def handler_code(e: ClientError) -> str:
    """The resource handler's error code of a service error (InvalidRequest, NotFound, ...)."""
    return _HANDLER_CODES.get(e.response.get("Error", {}).get("Code", ""), "InvalidRequest")


def _reason(e: ClientError) -> str:
    """The ResourceStatusReason of a registry resource handler that the service refused:
    ``Resource handler returned message: "<message> (Service: Lambda, Status Code: 400,
    Request ID: ...)" (RequestToken: ..., HandlerErrorCode: InvalidRequest)``."""
    err = e.response.get("Error", {})
    meta = e.response.get("ResponseMetadata", {})
    code = handler_code(e)
    return (f'Resource handler returned message: "{err.get("Message", "")} (Service: Lambda, '
            f'Status Code: {meta.get("HTTPStatusCode", 400)}, Request ID: '
            f'{meta.get("RequestId") or uuid.uuid4()})" (RequestToken: {uuid.uuid4()}, '
            f"HandlerErrorCode: {code})")


def lambda_client(account_id: str, region: str) -> Any:
    """A Lambda client of ``region`` answered in-process by the active mock."""
    key = (account_id, region)
    if key not in _clients:
        import boto3
        from botocore.config import Config

        # Lambda itself checks the members (CloudFormation passes them on unchecked)
        _clients[key] = boto3.client("lambda", region_name=region, aws_access_key_id="testing",
                                     aws_secret_access_key="testing",
                                     config=Config(parameter_validation=False))
    return _clients[key]


def forget_clients() -> None:
    """Drop the cached clients (at the end of a session)."""
    _clients.clear()


#: integer members a template may give as strings (CloudFormation converts them by the schema)
_INTEGERS = {"Timeout", "MemorySize", "BatchSize", "MaximumBatchingWindowInSeconds",
             "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "ParallelizationFactor",
             "TumblingWindowInSeconds", "MaximumEventAgeInSeconds"}


def _coerce(key: str, value: Any) -> Any:
    if key in _INTEGERS and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if key == "Enabled" and isinstance(value, str):
        return value.lower() == "true"
    return value


def _call(account_id: str, region: str, operation: str, **kwargs: Any) -> Any:
    try:
        return getattr(lambda_client(account_id, region), operation)(
            **{k: _coerce(k, v) for k, v in kwargs.items() if v is not None})
    except ClientError as e:
        raise ResourceFailed(_reason(e), handler_code(e)) from None


#: ``cfnresponse``, which CloudFormation puts beside Python inline code (UG "cfn-response
#: module": ``SUCCESS``, ``FAILED``, ``send(event, context, responseStatus, responseData,
#: physicalResourceId=None, noEcho=False, reason=None)``); written for lambda_lab.
CFNRESPONSE = """\
import json
import urllib.request

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def send(event, context, responseStatus, responseData, physicalResourceId=None, noEcho=False,
         reason=None):
    body = {
        "Status": responseStatus,
        "Reason": reason or "See the details in CloudWatch Log Stream: "
                  + context.log_stream_name,
        "PhysicalResourceId": physicalResourceId or context.log_stream_name,
        "StackId": event["StackId"], "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"], "NoEcho": noEcho,
        "Data": responseData}
    data = json.dumps(body).encode()
    print("Response body:", data.decode())
    request = urllib.request.Request(event["ResponseURL"], data=data, method="PUT",
                                     headers={"Content-Type": "",
                                              "Content-Length": str(len(data))})
    try:
        with urllib.request.urlopen(request) as response:
            print("Status code:", response.status)
    except Exception as e:
        print("send(..) failed executing request:", e)
"""


def _inline_zip(source: str, runtime: str) -> bytes:
    """CloudFormation's ``Code.ZipFile``: the text as ``index.py`` (with ``cfnresponse.py``)
    or ``index.js``."""
    python = not runtime.startswith("nodejs")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("index.py" if python else "index.js",
                                    (2020, 1, 1, 0, 0, 0)), source)
        if python:
            zf.writestr(zipfile.ZipInfo("cfnresponse.py", (2020, 1, 1, 0, 0, 0)), CFNRESPONSE)
    return buf.getvalue()


class _Resource:
    """What moto's engine needs of a resource; subclasses set the type and their attributes."""

    TYPE: ClassVar[str]
    #: Fn::GetAtt name -> instance attribute
    ATTRS: ClassVar[dict[str, str]] = {}

    def __init__(self, account_id: str, region: str, props: dict[str, Any], logical_id: str,
                 retain: bool) -> None:
        self.account_id, self.region, self.props = account_id, region, props
        self.logical_resource_id = logical_id
        self.cf_resource_type = self.TYPE
        self.retain = retain
        self.ref = ""
        self.update_policy: dict[str, Any] = {}
        self.stack_id, self.resource_type = "", self.TYPE
        #: the CodeDeploy deployment this resource's update waits for (CodeDeployLambdaAliasUpdate)
        self.pending_deployment: str | None = None

    @staticmethod
    def cloudformation_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRS

    def get_cfn_attribute(self, attr: str) -> Any:
        if attr not in self.ATTRS:
            raise UnformattedGetAttTemplateException()
        return getattr(self, self.ATTRS[attr])

    @property
    def physical_resource_id(self) -> str:
        return self.ref

    def is_created(self) -> bool:
        return True

    def call(self, operation: str, **kwargs: Any) -> Any:
        return _call(self.account_id, self.region, operation, **kwargs)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any,
                                        account_id: str, region_name: str,
                                        **kwargs: Any) -> _Resource:
        res = cls(account_id, region_name, dict(cloudformation_json.get("Properties") or {}),
                  kwargs.get("LogicalId", ""),
                  cloudformation_json.get("DeletionPolicy") == "Retain")
        res.stack_id = kwargs.get("StackId", "")
        res.resource_type = kwargs.get("ResourceType", cls.TYPE)
        res.create(resource_name)
        return res

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: _Resource,
                                        new_resource_name: str, cloudformation_json: Any,
                                        account_id: str, region_name: str) -> _Resource:
        new = cls(account_id, region_name, dict(cloudformation_json.get("Properties") or {}),
                  original_resource.logical_resource_id,
                  cloudformation_json.get("DeletionPolicy") == "Retain")
        new.update_policy = dict(cloudformation_json.get("UpdatePolicy") or {})
        new.stack_id = original_resource.stack_id
        new.resource_type = original_resource.resource_type
        if new.replaces(original_resource):
            new.create(new_resource_name)
            original_resource.delete(account_id, region_name)
        else:
            new.update(original_resource)
        return new

    def replaces(self, old: _Resource) -> bool:
        """Whether the change needs a replacement (default: any change does)."""
        return True

    def create(self, generated_name: str) -> None:
        raise NotImplementedError

    def update(self, old: _Resource) -> None:
        raise NotImplementedError

    def delete(self, account_id: str, region_name: str) -> None:
        if self.retain:
            return
        try:
            self.remove()
        except ResourceFailed as e:
            if e.code != "NotFound":  # already gone: deleted, as for CloudFormation
                raise

    def remove(self) -> None:
        raise NotImplementedError


_CONFIG_KEYS = ("Runtime", "Role", "Handler", "Description", "Timeout", "MemorySize",
                "Environment", "VpcConfig", "DeadLetterConfig", "KMSKeyArn", "TracingConfig",
                "Layers", "FileSystemConfigs", "ImageConfig", "EphemeralStorage",
                "SnapStart", "LoggingConfig")


class Function(_Resource):
    TYPE = "AWS::Lambda::Function"
    ATTRS = {"Arn": "arn"}

    def _config(self) -> dict[str, Any]:
        cfg = {k: self.props.get(k) for k in _CONFIG_KEYS}
        cfg["KMSKeyArn"] = self.props.get("KmsKeyArn")
        return cfg

    def _code(self) -> dict[str, Any]:
        code = dict(self.props.get("Code") or {})
        if "ZipFile" in code:
            code["ZipFile"] = _inline_zip(code["ZipFile"], self.props.get("Runtime", ""))
        return code

    def replaces(self, old: _Resource) -> bool:
        name = self.props.get("FunctionName")
        return name is not None and name != old.props.get("FunctionName")

    def create(self, generated_name: str) -> None:
        name = self.props.get("FunctionName") or generated_name[:64]
        tags = {t["Key"]: t["Value"] for t in self.props.get("Tags") or []}
        out = self.call("create_function", FunctionName=name, Code=self._code(),
                        PackageType=self.props.get("PackageType"),
                        Architectures=self.props.get("Architectures"),
                        CodeSigningConfigArn=self.props.get("CodeSigningConfigArn"),
                        Tags=tags or None, **self._config())
        self.ref, self.arn = out["FunctionName"], out["FunctionArn"]
        self._concurrency()

    def _concurrency(self, old: dict[str, Any] | None = None) -> None:
        reserved = self.props.get("ReservedConcurrentExecutions")
        if reserved is not None:
            self.call("put_function_concurrency", FunctionName=self.ref,
                      ReservedConcurrentExecutions=int(reserved))
        elif old and old.get("ReservedConcurrentExecutions") is not None:
            self.call("delete_function_concurrency", FunctionName=self.ref)

    def update(self, old: _Resource) -> None:
        self.ref, self.arn = old.ref, old.arn  # type: ignore[attr-defined]
        lam = lambda_client(self.account_id, self.region)
        if self._config() != old._config():  # type: ignore[attr-defined]
            self.call("update_function_configuration", FunctionName=self.ref, **self._config())
            lam.get_waiter("function_updated_v2").wait(FunctionName=self.ref)
        if (self.props.get("Code") != old.props.get("Code")
                or self.props.get("Architectures") != old.props.get("Architectures")):
            code = self._code()
            self.call("update_function_code", FunctionName=self.ref,
                      ZipFile=code.get("ZipFile"), S3Bucket=code.get("S3Bucket"),
                      S3Key=code.get("S3Key"), S3ObjectVersion=code.get("S3ObjectVersion"),
                      ImageUri=code.get("ImageUri"),
                      Architectures=self.props.get("Architectures"))
            lam.get_waiter("function_updated_v2").wait(FunctionName=self.ref)
        self._concurrency(old.props)

    def remove(self) -> None:
        self.call("delete_function", FunctionName=self.ref)


class Version(_Resource):
    """A published version; a changed Version resource is replaced: a new version is
    published (SAM's AutoPublishAlias versions are also ``DeletionPolicy: Retain``)."""

    TYPE = "AWS::Lambda::Version"
    ATTRS = {"Version": "version", "FunctionArn": "function_arn"}

    def create(self, generated_name: str) -> None:
        out = self.call("publish_version", FunctionName=self.props.get("FunctionName"),
                        CodeSha256=self.props.get("CodeSha256"),
                        Description=self.props.get("Description"))
        self.version, self.ref = out["Version"], out["FunctionArn"]
        self.function_arn = out["FunctionArn"].rsplit(":", 1)[0]
        pc = self.props.get("ProvisionedConcurrencyConfig")
        if pc:
            self.call("put_provisioned_concurrency_config", FunctionName=self.function_arn,
                      Qualifier=self.version,
                      ProvisionedConcurrentExecutions=int(pc["ProvisionedConcurrentExecutions"]))

    def remove(self) -> None:
        self.call("delete_function", FunctionName=self.function_arn, Qualifier=self.version)


def _routing(props: dict[str, Any]) -> dict[str, Any] | None:
    weights = (props.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    if weights is None:
        return None
    return {"AdditionalVersionWeights": {w["FunctionVersion"]: float(w["FunctionWeight"])
                                         for w in weights}}


class Alias(_Resource):
    TYPE = "AWS::Lambda::Alias"
    ATTRS = {"AliasArn": "ref"}

    def _function(self) -> str:
        return str(self.props.get("FunctionName"))

    def replaces(self, old: _Resource) -> bool:
        return any(self.props.get(k) != old.props.get(k) for k in ("FunctionName", "Name"))

    def _provisioned(self, old: dict[str, Any] | None = None) -> None:
        pc = self.props.get("ProvisionedConcurrencyConfig")
        if pc:
            self.call("put_provisioned_concurrency_config", FunctionName=self._function(),
                      Qualifier=self.props["Name"],
                      ProvisionedConcurrentExecutions=int(pc["ProvisionedConcurrentExecutions"]))
        elif old and old.get("ProvisionedConcurrencyConfig"):
            self.call("delete_provisioned_concurrency_config", FunctionName=self._function(),
                      Qualifier=self.props["Name"])

    def create(self, generated_name: str) -> None:
        out = self.call("create_alias", FunctionName=self._function(), Name=self.props.get("Name"),
                        FunctionVersion=self.props.get("FunctionVersion"),
                        Description=self.props.get("Description"),
                        RoutingConfig=_routing(self.props))
        self.ref = out["AliasArn"]
        self._provisioned()

    def update(self, old: _Resource) -> None:
        self.ref = old.ref
        policy = self.update_policy.get("CodeDeployLambdaAliasUpdate")
        current, target = old.props.get("FunctionVersion"), self.props.get("FunctionVersion")
        if policy and current != target and not getattr(_local, "rolling_back", False):
            from .cfn_codedeploy import start_alias_deployment

            self.pending_deployment = start_alias_deployment(
                self.region, policy, self._function(), self.props["Name"], str(current),
                str(target))
            return
        self.call("update_alias", FunctionName=self._function(), Name=self.props["Name"],
                  FunctionVersion=self.props.get("FunctionVersion"),
                  Description=self.props.get("Description", ""),
                  RoutingConfig=_routing(self.props) or {"AdditionalVersionWeights": {}})
        self._provisioned(old.props)

    def remove(self) -> None:
        self.call("delete_alias", FunctionName=self._function(), Name=self.props["Name"])


class Permission(_Resource):
    TYPE = "AWS::Lambda::Permission"

    def create(self, generated_name: str) -> None:
        self.statement_id = generated_name[-100:]
        fn = str(self.props.get("FunctionName"))
        self.call("add_permission", FunctionName=fn, StatementId=self.statement_id,
                  Action=self.props.get("Action"), Principal=self.props.get("Principal"),
                  SourceArn=self.props.get("SourceArn"),
                  SourceAccount=self.props.get("SourceAccount"),
                  EventSourceToken=self.props.get("EventSourceToken"),
                  PrincipalOrgID=self.props.get("PrincipalOrgID"),
                  FunctionUrlAuthType=self.props.get("FunctionUrlAuthType"))
        self.ref = self.statement_id

    def remove(self) -> None:
        fn, qualifier = str(self.props.get("FunctionName")), None
        if fn.count(":") == 7:  # a qualified ARN: the policy of that version or alias
            fn, qualifier = fn.rsplit(":", 1)
        self.call("remove_permission", FunctionName=fn, StatementId=self.statement_id,
                  Qualifier=qualifier)


_ESM_KEYS = ("BatchSize", "Enabled", "MaximumBatchingWindowInSeconds", "FilterCriteria",
             "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError",
             "ParallelizationFactor", "DestinationConfig", "FunctionResponseTypes",
             "ScalingConfig", "TumblingWindowInSeconds")


class EventSourceMapping(_Resource):
    TYPE = "AWS::Lambda::EventSourceMapping"
    ATTRS = {"Id": "ref", "EventSourceMappingArn": "arn"}

    def replaces(self, old: _Resource) -> bool:
        return any(self.props.get(k) != old.props.get(k)
                   for k in ("EventSourceArn", "StartingPosition", "StartingPositionTimestamp"))

    def create(self, generated_name: str) -> None:
        out = self.call("create_event_source_mapping",
                        FunctionName=self.props.get("FunctionName"),
                        EventSourceArn=self.props.get("EventSourceArn"),
                        StartingPosition=self.props.get("StartingPosition"),
                        **{k: self.props.get(k) for k in _ESM_KEYS})
        self.ref = out["UUID"]
        self.arn = out.get("EventSourceMappingArn") or (
            f"arn:aws:lambda:{self.region}:{self.account_id}:event-source-mapping:{self.ref}")

    def update(self, old: _Resource) -> None:
        self.ref, self.arn = old.ref, old.arn  # type: ignore[attr-defined]
        self.call("update_event_source_mapping", UUID=self.ref,
                  FunctionName=self.props.get("FunctionName"),
                  **{k: self.props.get(k) for k in _ESM_KEYS})

    def remove(self) -> None:
        self.call("delete_event_source_mapping", UUID=self.ref)


class LayerVersion(_Resource):
    TYPE = "AWS::Lambda::LayerVersion"
    ATTRS = {"LayerVersionArn": "ref"}

    def create(self, generated_name: str) -> None:
        content = dict(self.props.get("Content") or {})
        out = self.call("publish_layer_version",
                        LayerName=self.props.get("LayerName") or generated_name[:140],
                        Description=self.props.get("Description"), Content=content,
                        CompatibleRuntimes=self.props.get("CompatibleRuntimes"),
                        CompatibleArchitectures=self.props.get("CompatibleArchitectures"),
                        LicenseInfo=self.props.get("LicenseInfo"))
        self.ref = out["LayerVersionArn"]

    def remove(self) -> None:
        arn, number = self.ref.rsplit(":", 1)
        self.call("delete_layer_version", LayerName=arn, VersionNumber=int(number))


class Url(_Resource):
    TYPE = "AWS::Lambda::Url"
    ATTRS = {"FunctionUrl": "url", "FunctionArn": "ref"}

    def replaces(self, old: _Resource) -> bool:
        return any(self.props.get(k) != old.props.get(k)
                   for k in ("TargetFunctionArn", "Qualifier"))

    def create(self, generated_name: str) -> None:
        out = self.call("create_function_url_config",
                        FunctionName=self.props.get("TargetFunctionArn"),
                        Qualifier=self.props.get("Qualifier"),
                        AuthType=self.props.get("AuthType"), Cors=self.props.get("Cors"),
                        InvokeMode=self.props.get("InvokeMode"))
        self.ref, self.url = out["FunctionArn"], out["FunctionUrl"]

    def update(self, old: _Resource) -> None:
        self.ref, self.url = old.ref, old.url  # type: ignore[attr-defined]
        self.call("update_function_url_config",
                  FunctionName=self.props.get("TargetFunctionArn"),
                  Qualifier=self.props.get("Qualifier"), AuthType=self.props.get("AuthType"),
                  Cors=self.props.get("Cors") or {}, InvokeMode=self.props.get("InvokeMode"))

    def remove(self) -> None:
        self.call("delete_function_url_config", FunctionName=self.props.get("TargetFunctionArn"),
                  Qualifier=self.props.get("Qualifier"))


class EventInvokeConfig(_Resource):
    TYPE = "AWS::Lambda::EventInvokeConfig"

    def replaces(self, old: _Resource) -> bool:
        return any(self.props.get(k) != old.props.get(k) for k in ("FunctionName", "Qualifier"))

    def _put(self) -> None:
        qualifier = self.props.get("Qualifier")
        self.call("put_function_event_invoke_config", FunctionName=self.props.get("FunctionName"),
                  Qualifier=None if qualifier == "$LATEST" else qualifier,
                  MaximumRetryAttempts=self.props.get("MaximumRetryAttempts"),
                  MaximumEventAgeInSeconds=self.props.get("MaximumEventAgeInSeconds"),
                  DestinationConfig=self.props.get("DestinationConfig"))
        self.ref = f"{self.props.get('FunctionName')}|{qualifier}"

    def create(self, generated_name: str) -> None:
        self._put()

    def update(self, old: _Resource) -> None:
        self._put()

    def remove(self) -> None:
        qualifier = self.props.get("Qualifier")
        self.call("delete_function_event_invoke_config",
                  FunctionName=self.props.get("FunctionName"),
                  Qualifier=None if qualifier == "$LATEST" else qualifier)


#: CloudFormation type -> the class that deploys it into the platform.
RESOURCE_TYPES: dict[str, type[_Resource]] = {
    c.TYPE: c for c in (Function, Version, Alias, Permission, EventSourceMapping, LayerVersion,
                        Url, EventInvokeConfig)}
