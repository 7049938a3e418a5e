"""The image builder: a Dockerfile for the AWS base images, built without Docker.

Sources:
- DG python-image ("Using an AWS base image for Python"): the Dockerfile ``FROM
  public.ecr.aws/lambda/python:3.12``, ``COPY requirements.txt ${LAMBDA_TASK_ROOT}``, ``RUN pip
  install -r requirements.txt``, ``COPY lambda_function.py ${LAMBDA_TASK_ROOT}``, ``CMD [
  "lambda_function.handler" ]``; older versions install with ``--target "${LAMBDA_TASK_ROOT}"``.
  The base images set LAMBDA_TASK_ROOT=/var/task (the working directory) and the entry point
  /lambda-entrypoint.sh, which starts the runtime interface client with CMD as the handler.
- DG go-image / runtimes-custom: ``FROM public.ecr.aws/lambda/provided:al2023`` with the
  executable ``bootstrap`` copied to ${LAMBDA_RUNTIME_DIR} (or an ENTRYPOINT).
- Docker Registry HTTP API V2 / Image Manifest V2 schema 2: an image's digest is the SHA-256 of
  its manifest; each layer is a gzipped tar named by the SHA-256 of the blob; the config's
  rootfs.diff_ids are the SHA-256 of the uncompressed tars. OCI image spec: a deleted file is a
  ``.wh.<name>`` whiteout in the layer.
- Dockerfile reference: ARG (with defaults, overridden by build arguments), ENV, WORKDIR
  (relative to the previous one), COPY/ADD, CMD/ENTRYPOINT in exec form.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile

import pytest
from wheels import make_wheel

from lambda_lab.packaging.dockerfile import DockerfileError
from lambda_lab.packaging.image import build_image

HANDLER = "import tinydep\n\ndef handler(event, context):\n    return {'value': tinydep.VALUE}\n"
DOCS_DOCKERFILE = """\
FROM public.ecr.aws/lambda/python:3.12

# Copy requirements.txt
COPY requirements.txt ${LAMBDA_TASK_ROOT}

# Install the specified packages
RUN pip install -r requirements.txt

# Copy function code
COPY lambda_function.py ${LAMBDA_TASK_ROOT}

# Set the CMD to your handler
CMD [ "lambda_function.handler" ]
"""


@pytest.fixture
def context(tmp_path) -> str:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (tmp_path / "outside.txt").write_text("not in the context\n")
    (ctx / "lambda_function.py").write_text(HANDLER)
    (ctx / "requirements.txt").write_text("tinydep==1.0\n")
    make_wheel(str(ctx / "wheels"), "tinydep", {"tinydep/__init__.py": "VALUE = 7\n"})
    return str(ctx)


def dockerfile(context: str, text: str) -> str:
    path = os.path.join(context, "Dockerfile")
    with open(path, "w") as f:
        f.write(text)
    return path


def build(context: str, text: str, **kw):
    kw.setdefault("find_links", os.path.join(context, "wheels"))
    kw.setdefault("no_index", True)
    return build_image(dockerfile(context, text), **kw)


def test_the_docs_dockerfile_builds(context):
    image = build(context, DOCS_DOCKERFILE)
    root = image.rootfs
    assert open(os.path.join(root, "var/task/lambda_function.py")).read() == HANDLER
    assert os.path.isfile(os.path.join(root, "var/task/requirements.txt"))
    site = os.path.join(root, "var/lang/lib/python3.12/site-packages")
    assert open(os.path.join(site, "tinydep/__init__.py")).read() == "VALUE = 7\n"
    settings = image.settings
    assert settings["Cmd"] == ["lambda_function.handler"]
    assert settings["Entrypoint"] == ["/lambda-entrypoint.sh"]
    assert settings["WorkingDir"] == "/var/task"
    assert "LAMBDA_TASK_ROOT=/var/task" in settings["Env"]
    assert settings["Labels"]["lambda_lab.runtime"] == "python3.12"


def test_pip_target_task_root(context):
    image = build(context, "FROM public.ecr.aws/lambda/python:3.13\n"
                           "COPY requirements.txt .\n"
                           'RUN pip install --no-cache-dir -r requirements.txt '
                           '--target "${LAMBDA_TASK_ROOT}"\n'
                           "COPY lambda_function.py ./\nCMD [\"lambda_function.handler\"]\n")
    assert os.path.isfile(os.path.join(image.rootfs, "var/task/tinydep/__init__.py"))
    assert not os.path.exists(os.path.join(image.rootfs, "var/lang"))


def test_digest_identifies_the_content(context):
    """The digest is the manifest's SHA-256; blobs are named by theirs; diff_ids are the
    uncompressed tars'. Same inputs, same digest; one changed byte, another digest."""
    image = build(context, DOCS_DOCKERFILE)
    assert image.digest == "sha256:" + hashlib.sha256(image.manifest).hexdigest()
    manifest = json.loads(image.manifest)
    assert manifest["schemaVersion"] == 2
    assert manifest["config"]["digest"] == "sha256:" + hashlib.sha256(image.config).hexdigest()
    config = json.loads(image.config)
    for entry, layer, diff_id in zip(manifest["layers"], image.layers,
                                     config["rootfs"]["diff_ids"], strict=True):
        blob = open(layer.path, "rb").read()
        assert entry["digest"] == "sha256:" + hashlib.sha256(blob).hexdigest()
        assert entry["size"] == len(blob)
        assert diff_id == "sha256:" + hashlib.sha256(gzip.decompress(blob)).hexdigest()
    names = set()
    for layer in image.layers:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(open(layer.path, "rb").read()))) \
                as tar:
            names |= set(tar.getnames())
    assert {"var/task/lambda_function.py", "var/task/requirements.txt",
            "var/lang/lib/python3.12/site-packages/tinydep/__init__.py"} <= names

    assert build(context, DOCS_DOCKERFILE).digest == image.digest
    with open(os.path.join(context, "lambda_function.py"), "a") as f:
        f.write("# changed\n")
    assert build(context, DOCS_DOCKERFILE).digest != image.digest


def test_arg_env_workdir(context):
    image = build(context, 'ARG PY=3.11\nFROM public.ecr.aws/lambda/python:${PY}\n'
                           'ARG GREETING=hello\nENV APP_MODE=prod WHO="$GREETING world"\n'
                           'ENV LEGACY value with spaces\nWORKDIR app\nWORKDIR sub\n'
                           'COPY lambda_function.py .\nCMD ["lambda_function.handler"]\n',
                  build_args={"GREETING": "hi"})
    settings = image.settings
    assert settings["Labels"]["lambda_lab.runtime"] == "python3.11"
    assert {"APP_MODE=prod", "WHO=hi world", "LEGACY=value with spaces"} <= set(settings["Env"])
    assert settings["WorkingDir"] == "/var/task/app/sub"
    assert os.path.isfile(os.path.join(image.rootfs, "var/task/app/sub/lambda_function.py"))


def test_file_commands_and_whiteouts(context):
    """RUN mkdir/touch/chmod/rm inside the image's folder; a removed file is a whiteout."""
    image = build(context, "FROM public.ecr.aws/lambda/python:3.12\n"
                           "COPY lambda_function.py requirements.txt ${LAMBDA_TASK_ROOT}/\n"
                           "RUN mkdir -p /var/task/data && touch /var/task/data/x && "
                           "chmod 700 /var/task/data\n"
                           "RUN rm /var/task/requirements.txt\nCMD [\"lambda_function.handler\"]\n")
    root = image.rootfs
    assert os.path.isfile(os.path.join(root, "var/task/data/x"))
    assert os.stat(os.path.join(root, "var/task/data")).st_mode & 0o777 == 0o700
    assert not os.path.exists(os.path.join(root, "var/task/requirements.txt"))
    last = image.layers[-1]
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(open(last.path, "rb").read()))) as tar:
        assert "var/task/.wh.requirements.txt" in tar.getnames()


def test_provided_al2023_with_a_bootstrap(context):
    with open(os.path.join(context, "bootstrap"), "w") as f:
        f.write("#!/bin/sh\necho hi\n")
    os.chmod(os.path.join(context, "bootstrap"), 0o755)
    image = build(context, "FROM public.ecr.aws/lambda/provided:al2023\n"
                           "COPY bootstrap ${LAMBDA_RUNTIME_DIR}\nCMD [\"function.handler\"]\n")
    path = os.path.join(image.rootfs, "var/runtime/bootstrap")
    assert os.access(path, os.X_OK)
    assert image.settings["Labels"]["lambda_lab.runtime"] == "provided.al2023"
    with pytest.raises(DockerfileError, match="line 2: RUN pip install x: pip runs only"):
        build(context, "FROM public.ecr.aws/lambda/provided:al2023\nRUN pip install x\n")


@pytest.mark.parametrize("text, fragment", [
    ("FROM public.ecr.aws/lambda/python:3.12\nEXPOSE 8080\n",
     "Dockerfile line 2: EXPOSE 8080: EXPOSE is not supported"),
    ("FROM public.ecr.aws/lambda/python:3.12\n\nRUN dnf install -y gcc\n",
     "Dockerfile line 3: RUN dnf install -y gcc: dnf install -y gcc: without Docker"),
    ("FROM python:3.12-slim\n", "Dockerfile line 1: FROM python:3.12-slim: lambda_lab builds "
                                "on the AWS base images only"),
    ("FROM public.ecr.aws/lambda/python:3.12\nCOPY missing.py .\n",
     "Dockerfile line 2: COPY missing.py .: missing.py: no such file in the build context"),
    ("FROM public.ecr.aws/lambda/python:3.12\nCOPY ../outside.txt .\n",
     "outside the build context"),
    ("FROM public.ecr.aws/lambda/python:3.12 AS a\nFROM public.ecr.aws/lambda/python:3.12\n",
     "line 2: FROM public.ecr.aws/lambda/python:3.12: multi-stage"),
    ("COPY a b\n", "line 1: COPY a b: the first instruction must be FROM"),
    ("FROM public.ecr.aws/lambda/python:3.12\nRUN pip install --index-url http://x y\n",
     "pip option --index-url is not supported"),
])
def test_what_cannot_be_built_names_the_line(context, text, fragment):
    with pytest.raises(DockerfileError) as exc:
        build(context, text)
    assert fragment in str(exc.value)


def test_pip_failure_names_the_line(context):
    with pytest.raises(DockerfileError) as exc:
        build(context, "FROM public.ecr.aws/lambda/python:3.12\nRUN pip install nosuchdep\n")
    assert "Dockerfile line 2: RUN pip install nosuchdep" in str(exc.value)
    assert "No matching distribution found for nosuchdep" in str(exc.value)


def test_cli_builds_an_image(context, tmp_path, capsys):
    """``python -m lambda_lab package --dockerfile``: the image and its digest; a Dockerfile
    it cannot build is exit status 2 with the line named."""
    from lambda_lab.__main__ import main

    dockerfile(context, DOCS_DOCKERFILE)
    out = str(tmp_path / "image")
    assert main(["package", "--dockerfile", os.path.join(context, "Dockerfile"), "-o", out,
                 "--find-links", os.path.join(context, "wheels"), "--no-index"]) == 0
    printed = capsys.readouterr().out
    digest = printed.split("image ")[1].split()[0]
    assert digest.startswith("sha256:") and len(digest) == 71
    assert os.path.isfile(os.path.join(out, "rootfs", "var", "task", "lambda_function.py"))
    dockerfile(context, "FROM public.ecr.aws/lambda/python:3.12\nUSER nobody\n")
    assert main(["package", "--dockerfile", os.path.join(context, "Dockerfile"), "-o", out]) == 2
    assert "Dockerfile line 2: USER nobody" in capsys.readouterr().err


@pytest.mark.parametrize("digest", ["sha256:../../../../etc/passwd", "sha256:/etc/shadow",
                                    "../x", "sha256:" + "A" * 64, ""])
def test_a_client_digest_never_names_a_path_outside_the_registry(digest):
    """Issue 12 (names never become paths without a safe mapping): ECR's layer API hands the
    registry digests from clients; whatever they are, the blob path stays in its folder."""
    from lambda_lab.execution.state import subdir
    from lambda_lab.packaging.registry import blob_path

    path = blob_path(digest)
    assert os.path.dirname(path) == subdir("registry", "blobs")
    assert os.path.basename(path).startswith("invalid-")


def test_a_real_digest_keeps_its_hex_name():
    from lambda_lab.packaging.registry import blob_path

    hexdigest = hashlib.sha256(b"layer").hexdigest()
    assert os.path.basename(blob_path(f"sha256:{hexdigest}")) == hexdigest
