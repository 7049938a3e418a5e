"""Tiny wheels built by hand for the packaging tests: no network, no build backend.

A wheel is a zip with the package's files and a ``<name>-<version>.dist-info`` folder holding
METADATA, WHEEL and RECORD (PEP 427); pip installs it from a ``--find-links`` folder.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def make_wheel(folder: str, name: str, files: dict[str, str], *, version: str = "1.0",
               tag: str = "py3-none-any") -> str:
    """Write ``<name>-<version>-<tag>.whl`` into ``folder``; return its path.

    ``files`` maps paths inside the wheel (``name/__init__.py``) to their text.
    """
    os.makedirs(folder, exist_ok=True)
    info = f"{name}-{version}.dist-info"
    python, abi, platform = tag.split("-")
    contents = {path: text.encode() for path, text in files.items()}
    contents[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: {name}\n"
                                    f"Version: {version}\n").encode()
    contents[f"{info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: tests\n"
                                 f"Root-Is-Purelib: {'true' if abi == 'none' else 'false'}\n"
                                 f"Tag: {python}-{abi}-{platform}\n").encode()
    record = [_record_line(p, d) for p, d in contents.items()] + [f"{info}/RECORD,,"]
    contents[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = os.path.join(folder, f"{name}-{version}-{tag}.whl")
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in contents.items():
            zf.writestr(member, data)
    return path
