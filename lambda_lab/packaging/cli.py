"""``python -m lambda_lab package``: build a deployment .zip (or a layer .zip) with pip.

    python -m lambda_lab package src/ -r src/requirements.txt -o function.zip
    python -m lambda_lab package --layer -r requirements.txt -o layer.zip
    python -m lambda_lab package --layer --installed aws-xray-sdk -o xray-layer.zip
    python -m lambda_lab package src/ -r req.txt --find-links wheels/ --no-index -o f.zip
    python -m lambda_lab package --dockerfile Dockerfile -o image/   # an image, without Docker
"""

from __future__ import annotations

import argparse
import sys

from .dockerfile import DockerfileError
from .zipbuild import PackagingError, build_layer, build_zip


def main(argv: list[str] | None = None) -> int:
    """Build, print the sizes against Lambda's limits; 0 on success, 2 on an error."""
    parser = argparse.ArgumentParser(prog="python -m lambda_lab package",
                                     description="Build a Lambda deployment or layer .zip.")
    parser.add_argument("source", nargs="?", help="the function's code folder")
    parser.add_argument("-o", "--output", required=True,
                        help="the .zip to write (--dockerfile: the image's folder)")
    parser.add_argument("-r", "--requirements", help="a requirements file for pip")
    parser.add_argument("--layer", action="store_true", help="build a layer (python/ prefix)")
    parser.add_argument("--dockerfile", help="build this Dockerfile's image (no Docker)")
    parser.add_argument("--installed", action="append", default=[],
                        help="(layer) copy this installed distribution; repeatable")
    parser.add_argument("--runtime", default="python3.12", help="default python3.12")
    parser.add_argument("--architecture", default="x86_64", choices=["x86_64", "arm64"])
    parser.add_argument("--find-links", help="a folder of wheels for pip")
    parser.add_argument("--no-index", action="store_true", help="do not use PyPI")
    args = parser.parse_args(argv)
    options = {"runtime": args.runtime, "architecture": args.architecture,
               "find_links": args.find_links, "no_index": args.no_index}
    try:
        if args.dockerfile:
            return _image(args)
        if args.layer:
            report = build_layer(args.output, requirements=args.requirements,
                                 installed=args.installed, **options)
        elif args.source is None:
            parser.error("a source folder is needed (or --layer)")
        else:
            report = build_zip(args.source, args.output, requirements=args.requirements,
                               **options)
    except (PackagingError, DockerfileError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0


def _image(args: argparse.Namespace) -> int:
    from .image import build_image

    image = build_image(args.dockerfile, context=args.source, output=args.output,
                        architecture=args.architecture, find_links=args.find_links,
                        no_index=args.no_index)
    print(f"{args.output}: image {image.digest}\n  {len(image.layers)} layers, "
          f"{image.uncompressed_size:,} bytes uncompressed (limit 10,737,418,240)\n"
          f"  push it inside mock_aws(): lambda_lab.packaging.push_image(image, repository)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
