"""The ``shared-layer`` exercise of notebooks/06-versions-aliases-layers: its reference solution,
the usual packaging slips with their hints, and its run on the emulator.

Sources: AWS DG "Packaging your layer content" (packaging-layers, "Layer paths for each Lambda
runtime": Lambda extracts a layer into /opt; Python finds modules in ``python`` and
``python/lib/python3.x/site-packages``); API reference ListLayerVersions (``CompatibleRuntime``
lists only the versions that indicate they are compatible with that runtime); DG "Adding layers
to functions" (a function uses layer versions by ARN, at most five).
"""

from __future__ import annotations

import boto3
import pytest
from aws_helpers import REGION, session

from lambda_lab.course import exercises as ex
from lambda_lab.course.chapters.ch06_versions_aliases_layers.helpers import layer_zip
from lambda_lab.course.chapters.ch06_versions_aliases_layers.layer_exercise import SHARED_LIB
from lambda_lab.course.exercises import NOT_ATTEMPTED
from lambda_lab.course.progress import ENV_VAR


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "progress.json"))


def layer(prefix: str, runtimes: list[str] | None = ["python3.12"], fixed=None):  # noqa: B006
    """An answer that puts each file of the library under ``prefix``."""
    def shared_layer(library):
        files = {prefix + path: content for path, content in (fixed or library).items()}
        args = {"Content": {"ZipFile": layer_zip(files)}}
        if runtimes is not None:
            args["CompatibleRuntimes"] = runtimes
        return args
    return shared_layer


def check(answer):
    return ex.get("shared-layer").check(answer)


def test_the_reference_solution_passes_every_check():
    exercise = ex.get("shared-layer")
    feedback = exercise.check(exercise.reference_answer())
    assert feedback.text == "✅ 6 of 6 checks pass"


def test_the_runtime_site_packages_folder_works_too():
    """packaging-layers: python/lib/python3.x/site-packages is the other Python path."""
    assert check(layer("python/lib/python3.12/site-packages/")).ok


def test_none_and_the_stub_are_not_attempted():
    exercise = ex.get("shared-layer")
    for answer in (None, exercise.stub_answer()):
        assert exercise.check(answer).text == NOT_ATTEMPTED


@pytest.mark.parametrize("answer, expected", [
    (layer(""),  # the project's layout, not under python/
     "❌ 3 of 6 checks pass — hint: 'shared_lib/__init__.py' is at the top of the .zip: Lambda "
     "extracts a layer into /opt and Python looks in /opt/python, so put it at "
     "'python/shared_lib/__init__.py'"),
    (layer("python/lib/python3.11/site-packages/"),  # another runtime's site-packages
     "❌ 3 of 6 checks pass — hint: 'python/lib/python3.11/site-packages/shared_lib/__init__.py' "
     "is in the site-packages of python3.11: a python3.12 function looks in "
     "python/lib/python3.12/site-packages/ (or python/), so use 'python/shared_lib/__init__.py'"),
    (layer("nodejs/node_modules/"),  # the Node.js path
     "❌ 3 of 6 checks pass — hint: 'nodejs/node_modules/shared_lib/__init__.py': "
     "nodejs/node_modules is where Node.js looks; the Python runtime looks in python/, so use "
     "'python/shared_lib/__init__.py'"),
    (layer("opt/python/"),  # /opt written into the .zip
     "❌ 3 of 6 checks pass — hint: 'opt/python/shared_lib/__init__.py' lands in /opt/opt/...: "
     "Lambda adds /opt itself, so the path in the .zip is 'python/shared_lib/__init__.py'"),
    (layer("python/", None),  # no CompatibleRuntimes: attached, but not listed for the runtime
     "❌ 5 of 6 checks pass — hint: without CompatibleRuntimes Lambda still attaches the layer, "
     "but ListLayerVersions(CompatibleRuntime='python3.12') and the console's layer list leave "
     "it out: add CompatibleRuntimes=['python3.12']"),
    (layer("python/", ["python3.11"]),  # the wrong runtime
     "❌ 5 of 6 checks pass — hint: CompatibleRuntimes=['python3.11'] does not name python3.12, "
     "the function's runtime, so ListLayerVersions(CompatibleRuntime='python3.12') leaves the "
     "layer out"),
    (layer("python/", fixed=SHARED_LIB),  # shared_lib's files whatever the library
     "❌ 5 of 6 checks pass — hint: with another library, {'greeting.py': ...}, the function "
     "could not import greeting: build the paths from the library's keys, not from "
     "shared_lib's"),
])
def test_the_usual_slips_get_their_hint(answer, expected):
    assert check(answer).text == expected


def test_a_flattened_package_is_told_to_keep_its_folders():
    def shared_layer(library):
        files = {"python/" + path.rsplit("/", 1)[-1]: c for path, c in library.items()}
        return {"Content": {"ZipFile": layer_zip(files)}, "CompatibleRuntimes": ["python3.12"]}

    assert check(shared_layer).text == (
        "❌ 4 of 6 checks pass — hint: shared_lib/__init__.py is at 'python/__init__.py': keep "
        "the library's folders, 'python/shared_lib/__init__.py' (`from shared_lib import tax` "
        "needs the folder shared_lib/)")


@pytest.mark.parametrize("answer, hint", [
    (lambda library: {"python/" + p: c for p, c in library.items()},
     "publish_layer_version has no argument 'python/shared_lib/__init__.py'"),
    (lambda library: {"Content": {"ZipFile": {"python/" + p: c for p, c in library.items()}}},
     "Content's ZipFile is the bytes of a .zip: build it with layer_zip({path: content})"),
    (lambda library: layer_zip(library),
     "return a dict of publish_layer_version's arguments, not bytes"),
])
def test_an_answer_of_the_wrong_shape_says_what_to_return(answer, hint):
    feedback = check(answer)
    assert feedback.text.startswith("❌ 0 of 6 checks pass — hint: " + hint)


def test_the_checker_runs_in_the_active_session_and_cleans_up(aws):
    """mock_aws sessions do not nest: inside the notebook's session the checker publishes and
    deploys there, then deletes its functions, layer versions and role."""
    lam = boto3.client("lambda", region_name=REGION)
    assert check(ex.get("shared-layer").reference_answer()).ok
    assert lam.list_functions()["Functions"] == []
    assert lam.list_layers()["Layers"] == []
    assert boto3.client("iam", region_name=REGION).list_roles()["Roles"] == []
