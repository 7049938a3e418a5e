"""The %%lambda cell magic deploys the cell and binds the function to its name."""

from __future__ import annotations

from lambda_lab.magic import lambda_cell


def test_cell_magic_deploys_and_binds(capsys):
    ns: dict = {}
    lambda_cell("magic_fn --memory 256 --timeout 5 --env STAGE=dev",
                "import os\ndef handler(event, context):\n"
                "    return [event['x'], os.environ['STAGE'], context.memory_limit_in_mb]\n", ns)
    out = capsys.readouterr().out
    assert out == "Deployed magic_fn: handler lambda_function.handler, 256 MB, timeout 5 s\n"
    fn = ns["magic_fn"]
    try:
        assert fn.invoke({"x": 1}).payload == [1, "dev", "256"]
    finally:
        fn.delete()


def test_cell_magic_reports_aws_errors_without_raising(capsys):
    lambda_cell("bad_fn --memory 64", "def handler(e, c):\n    return 1\n", {})
    out = capsys.readouterr().out
    assert out.startswith("ValidationException: 1 validation error detected: Value '64' at "
                          "'memorySize'")


def test_cell_magic_usage(capsys):
    lambda_cell("", "def handler(e, c):\n    return 1\n", {})
    assert capsys.readouterr().out.startswith("usage: %%lambda NAME")
