import os

from lambda_lab.packaging import build_zip


def package(src, output, wheels):
    """Build src's deployment zip at output, with the dependencies in src/requirements.txt
    installed from the local wheel folder wheels (no network)."""
    report = build_zip(src, output, requirements=os.path.join(src, "requirements.txt"),
                       find_links=wheels, no_index=True)
    return report.path
