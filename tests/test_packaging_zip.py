"""The packaging helper: deployment zips and layer zips built with real pip, offline.

AWS facts (Lambda Developer Guide):
- python-package, "Creating a .zip deployment package with dependencies": install the
  dependencies with ``pip install --target ./package``, zip the *contents* of that folder (the
  packages at the root of the .zip), then add the function code at the root.
- python-package, "Creating a .zip deployment package with native libraries": build for Lambda's
  platform with ``pip install --platform manylinux2014_x86_64 --target=package --implementation cp
  --python-version 3.x --only-binary=:all: --upgrade``; for arm64 functions
  ``--platform manylinux2014_aarch64``.
- packaging-layers: a Python layer holds its packages under ``python/`` (or
  ``python/lib/python3.x/site-packages``); Lambda extracts layers into /opt.
- gettingstarted-limits: 50 MB zipped (direct upload), 250 MB unzipped (code and layers).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile

import pytest
from aws_helpers import aws, invoke_json, lam, role  # noqa: F401
from wheels import make_wheel

from lambda_lab import limits
from lambda_lab.packaging import PackagingError, build_layer, build_zip, pip_install

HANDLER = "import tinydep\n\ndef handler(event, context):\n    return {'value': tinydep.VALUE}\n"


@pytest.fixture
def wheels(tmp_path) -> str:
    folder = str(tmp_path / "wheels")
    make_wheel(folder, "tinydep", {"tinydep/__init__.py": "VALUE = 42\n"})
    return folder


@pytest.fixture
def project(tmp_path) -> str:
    src = tmp_path / "src"
    src.mkdir()
    (src / "lambda_function.py").write_text(HANDLER)
    (src / "requirements.txt").write_text("tinydep==1.0\n")
    return str(src)


def test_zip_holds_code_and_dependencies_at_the_root(project, wheels, tmp_path):
    """DG python-package: the dependencies and the function code at the root of the .zip;
    the report's sizes are the archive's own figures."""
    out = str(tmp_path / "function.zip")
    report = build_zip(project, out, requirements=os.path.join(project, "requirements.txt"),
                       find_links=wheels, no_index=True)
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        unzipped = sum(i.file_size for i in zf.infolist())
    assert "lambda_function.py" in names
    assert "tinydep/__init__.py" in names
    assert "tinydep-1.0.dist-info/METADATA" in names
    assert "requirements.txt" not in names and not any(n.startswith("package/") for n in names)
    assert report.path == out
    assert report.zipped_bytes == os.path.getsize(out)
    assert report.unzipped_bytes == unzipped
    assert report.fits_direct_upload and report.fits_unzipped
    assert "tinydep" in report.summary() and "52,428,800" in report.summary()


def test_pip_runs_for_lambdas_platform_and_python(project, wheels, tmp_path):
    """DG python-package (native libraries): --platform manylinux2014_x86_64 (aarch64 for
    arm64), --only-binary=:all:, --python-version of the runtime, --implementation cp."""
    report = build_zip(project, str(tmp_path / "a.zip"), requirements="tinydep==1.0",
                       runtime="python3.13", architecture="arm64", find_links=wheels,
                       no_index=True)
    cmd = report.pip_command
    assert cmd[cmd.index("--platform") + 1] == "manylinux2014_aarch64"
    assert cmd[cmd.index("--python-version") + 1] == "3.13"
    assert cmd[cmd.index("--implementation") + 1] == "cp"
    assert "--only-binary=:all:" in cmd and "--target" in cmd
    assert cmd[cmd.index("--find-links") + 1] == wheels and "--no-index" in cmd


def test_a_wheel_for_another_platform_or_python_is_refused(tmp_path):
    """The platform flags are real: a manylinux x86_64 wheel installs for an x86_64 function,
    not for an arm64 one; a cp313 wheel not for python3.12. pip's answer is in the error."""
    wheels = str(tmp_path / "wheels")
    make_wheel(wheels, "fastdep", {"fastdep/__init__.py": "X = 1\n"},
               tag="cp313-cp313-manylinux2014_x86_64")
    target = str(tmp_path / "ok")
    pip_install(target, requirements="fastdep", runtime="python3.13", find_links=wheels,
                no_index=True)
    assert os.path.isfile(os.path.join(target, "fastdep", "__init__.py"))
    with pytest.raises(PackagingError) as arm:
        pip_install(str(tmp_path / "arm"), requirements="fastdep", runtime="python3.13",
                    architecture="arm64", find_links=wheels, no_index=True)
    assert "No matching distribution found for fastdep" in str(arm.value)
    with pytest.raises(PackagingError) as old:
        pip_install(str(tmp_path / "old"), requirements="fastdep", runtime="python3.12",
                    find_links=wheels, no_index=True)
    assert "No matching distribution found for fastdep" in str(old.value)


def test_a_non_python_runtime_or_bad_architecture_is_a_clear_error(project, tmp_path):
    with pytest.raises(PackagingError, match="python runtime"):
        build_zip(project, str(tmp_path / "x.zip"), requirements="x", runtime="java21")
    with pytest.raises(PackagingError, match="x86_64 or arm64"):
        build_zip(project, str(tmp_path / "x.zip"), architecture="sparc")
    with pytest.raises(PackagingError, match="No such folder"):
        build_zip(str(tmp_path / "missing"), str(tmp_path / "x.zip"))


def test_sizes_are_checked_against_lambdas_limits(tmp_path):
    """DG gettingstarted-limits: 50 MB (52,428,800 bytes) zipped for a direct upload; 250 MB
    (262,144,000 bytes) unzipped. An incompressible 51 MB file breaks the first."""
    src = tmp_path / "big"
    src.mkdir()
    (src / "lambda_function.py").write_text("def handler(e, c):\n    return 1\n")
    (src / "blob.bin").write_bytes(os.urandom(limits.ZIPPED_MAX_BYTES + 1024 * 1024))
    report = build_zip(str(src), str(tmp_path / "big.zip"))
    assert report.zipped_bytes > limits.ZIPPED_MAX_BYTES
    assert not report.fits_direct_upload and report.fits_unzipped
    assert "upload it through S3" in report.summary()


def test_zip_is_reproducible(project, wheels, tmp_path):
    """Same inputs, same bytes (fixed timestamps, sorted entries): CodeSha256 only changes
    when the code does."""
    a = build_zip(project, str(tmp_path / "a.zip"), requirements="tinydep==1.0",
                  find_links=wheels, no_index=True)
    b = build_zip(project, str(tmp_path / "b.zip"), requirements="tinydep==1.0",
                  find_links=wheels, no_index=True)
    assert open(a.path, "rb").read() == open(b.path, "rb").read()


def test_built_zip_deploys_and_runs(aws, lam, role, project, wheels, tmp_path):
    """The built package deploys with Code.ZipFile and its handler imports the dependency."""
    report = build_zip(project, str(tmp_path / "f.zip"),
                       requirements=os.path.join(project, "requirements.txt"),
                       find_links=wheels, no_index=True)
    with open(report.path, "rb") as f:
        lam.create_function(FunctionName="withdep", Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler", Code={"ZipFile": f.read()})
    assert lam.get_function(FunctionName="withdep")["Configuration"]["CodeSize"] == \
        report.zipped_bytes
    assert invoke_json(lam, "withdep")[1] == {"value": 42}


def test_layer_zip_from_requirements_and_from_installed_packages(aws, lam, role, wheels,
                                                                 tmp_path):
    """DG packaging-layers: the packages under python/ in the layer's .zip; a function with
    the layer imports them from /opt/python."""
    layer = build_layer(str(tmp_path / "layer.zip"), requirements="tinydep==1.0",
                        find_links=wheels, no_index=True)
    with zipfile.ZipFile(layer.path) as zf:
        names = zf.namelist()
    assert "python/tinydep/__init__.py" in names and all(n.startswith("python/") for n in names)

    site = str(tmp_path / "site")  # an "installed" copy, as in a virtualenv's site-packages
    pip_install(site, requirements="tinydep==1.0", find_links=wheels, no_index=True)
    copied = build_layer(str(tmp_path / "copied.zip"), installed=["tinydep"],
                         search_path=[site])
    with zipfile.ZipFile(copied.path) as zf:
        names = set(zf.namelist())
    assert {"python/tinydep/__init__.py", "python/tinydep-1.0.dist-info/METADATA"} <= names
    with pytest.raises(PackagingError, match="not installed"):
        build_layer(str(tmp_path / "none.zip"), installed=["nosuchdist"], search_path=[site])

    with open(copied.path, "rb") as f:
        arn = lam.publish_layer_version(LayerName="tiny", Content={"ZipFile": f.read()})[
            "LayerVersionArn"]
    src = tmp_path / "fn"
    src.mkdir()
    (src / "lambda_function.py").write_text(HANDLER)
    fn = build_zip(str(src), str(tmp_path / "fn.zip"))
    with open(fn.path, "rb") as f:
        lam.create_function(FunctionName="uselayer", Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler", Code={"ZipFile": f.read()},
                            Layers=[arn])
    assert invoke_json(lam, "uselayer")[1] == {"value": 42}


def test_cli_package_and_layer(project, wheels, tmp_path, capsys):
    """``python -m lambda_lab package``: the same builds from the command line."""
    from lambda_lab.__main__ import main

    out = str(tmp_path / "cli.zip")
    assert main(["package", project, "-r", os.path.join(project, "requirements.txt"),
                 "--find-links", wheels, "--no-index", "-o", out]) == 0
    printed = capsys.readouterr().out
    assert out in printed and "unzipped" in printed
    with zipfile.ZipFile(out) as zf:
        assert "tinydep/__init__.py" in zf.namelist()
    layer = str(tmp_path / "cli-layer.zip")
    assert main(["package", "--layer", "-r", os.path.join(project, "requirements.txt"),
                 "--find-links", wheels, "--no-index", "-o", layer]) == 0
    with zipfile.ZipFile(layer) as zf:
        assert "python/tinydep/__init__.py" in zf.namelist()
    assert main(["package", str(tmp_path / "missing"), "-o", out]) == 2
    assert "No such folder" in capsys.readouterr().err



@pytest.mark.skipif(shutil.which("npm") is None or shutil.which("node") is None,
                    reason="needs npm and node")
def test_node_package_with_node_modules(aws, lam, role, tmp_path):
    """DG nodejs-package: ``npm install`` the dependencies (not the development ones) and zip
    the folder with node_modules; the handler requires them."""
    dep = tmp_path / "dep"
    dep.mkdir()
    (dep / "package.json").write_text('{"name": "tinynode", "version": "1.0.0"}')
    (dep / "index.js").write_text("exports.VALUE = 9;\n")
    subprocess.run(["npm", "pack", "--silent"], cwd=dep, check=True, capture_output=True)
    tgz = dep / "tinynode-1.0.0.tgz"
    src = tmp_path / "node"
    src.mkdir()
    (src / "package.json").write_text(json.dumps({
        "name": "fn", "version": "1.0.0", "dependencies": {"tinynode": f"file:{tgz}"},
        "devDependencies": {"devonly": f"file:{tgz}"}}))
    (src / "index.js").write_text("const t = require('tinynode');\n"
                                  "exports.handler = async () => ({value: t.VALUE});\n")
    report = build_zip(str(src), str(tmp_path / "node.zip"), runtime="nodejs22.x",
                       no_index=True)
    with zipfile.ZipFile(report.path) as zf:
        names = set(zf.namelist())
    assert {"index.js", "package.json", "node_modules/tinynode/index.js"} <= names
    assert not any(n.startswith("node_modules/devonly/") for n in names)
    assert not (src / "node_modules").exists()  # the source folder is left alone
    assert report.packages == ("tinynode 1.0.0",) and "--omit=dev" in report.pip_command
    with open(report.path, "rb") as f:
        lam.create_function(FunctionName="nodefn", Runtime="nodejs22.x", Role=role,
                            Handler="index.handler", Code={"ZipFile": f.read()})
    assert invoke_json(lam, "nodefn")[1] == {"value": 9}
    with pytest.raises(PackagingError, match="package.json"):
        build_zip(str(src), str(tmp_path / "x.zip"), runtime="nodejs22.x", requirements="x")
