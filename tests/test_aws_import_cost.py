"""moto's API Gateway imports without rfc3987_syntax (lambda_lab.aws.import_cost).

jsonschema documents rfc3987_syntax as optional: without it the ``iri`` formats go unchecked.
The skip must touch nothing else: every other format still checks, and a direct import works.
Each case runs in a fresh interpreter, since the skip acts on the first import only.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(
    subprocess.run([sys.executable, "-c", "import rfc3987_syntax"], capture_output=True).returncode
    != 0,
    reason="rfc3987_syntax is not installed here: nothing to skip",
)
def test_moto_apigateway_imports_without_the_iri_grammar():
    out = run("""
        import sys
        import lambda_lab.aws
        import moto.apigateway.models
        print("rfc3987_syntax" in sys.modules)
    """)
    assert out == "False"


def test_other_formats_still_check_and_a_direct_import_still_works():
    out = run("""
        import lambda_lab.aws
        import jsonschema
        checker = jsonschema.FormatChecker()
        print(checker.conforms("2026-12-06", "date"), checker.conforms("not a date", "date"))
        try:
            import rfc3987_syntax  # noqa: F401
            print("importable")
        except ModuleNotFoundError:
            print("absent")
    """)
    first, second = out.splitlines()
    assert first == "True False"
    installed = (
        subprocess.run(
            [sys.executable, "-c", "import rfc3987_syntax"], capture_output=True
        ).returncode
        == 0
    )
    assert second == ("importable" if installed else "absent")
