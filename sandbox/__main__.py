"""Command line: `python -m sandbox build-image | bench | run`.

build-image  build the Docker backend's image locally (no registry) and print its tag
bench        print JSON timings of jail start + trivial run per available backend
run          run a file in the jail: python -m sandbox run --language python main.py '{"a": 1}'
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build-image", help="build the Docker sandbox image locally")
    bench = commands.add_parser("bench", help="P50/P95 of jail start + trivial run")
    bench.add_argument("--runs", type=int, default=30)
    bench.add_argument("--backend", action="append", choices=["nsjail", "docker"])
    run = commands.add_parser("run", help="run a file's main(input) in the jail")
    run.add_argument("--language", choices=["python", "javascript"], required=True)
    run.add_argument("file", type=Path)
    run.add_argument("input", nargs="?", default="null", help="JSON input")
    arguments = parser.parse_args(argv)

    if arguments.command == "build-image":
        from .docker_image import build_image

        print(build_image())
        return 0
    if arguments.command == "bench":
        from .bench import bench as run_bench

        report = run_bench(arguments.runs, arguments.backend or ["nsjail", "docker"])
        print(json.dumps(report, indent=2))
        return 0
    from .api import run_code

    result = run_code(
        language=arguments.language,
        code=arguments.file.read_text(),
        input=json.loads(arguments.input),
    )
    sys.stderr.write(result.stderr)
    sys.stdout.write(result.stdout)
    print(json.dumps({"output": result.output, "error": result.error and result.error.to_dict()}))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
