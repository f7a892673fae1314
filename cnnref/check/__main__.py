"""Command line: ``python -m cnnref.check FILE.py:FUNCTION --op OP --convention NAME [--json]``.

Loads FUNCTION from the Python file FILE.py, checks it with
:func:`cnnref.check.check_backward` and prints the report (or its JSON form).
Exit status: 0 for 'correct', 1 for 'wrong' or 'error', 2 for bad
command-line arguments (a one-line message naming the argument).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from .conventions import OPS
from .run import check_backward


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit status 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m cnnref.check",
        description="Check a conv or pooling backward pass against cnnref and name the bug.",
    )
    parser.add_argument("target", metavar="FILE.py:FUNCTION", help="the function to check")
    parser.add_argument("--op", required=True, choices=OPS, help="the layer it differentiates")
    parser.add_argument(
        "--convention",
        required=True,
        choices=("cnnref", "cs231n"),
        help="how it is called (see the page 'Check your backward pass')",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def load_function(target: str):
    """The function FUNCTION of FILE.py; raise ValueError naming the argument otherwise."""
    path_text, sep, name = target.rpartition(":")
    if not sep or not path_text or not name:
        raise ValueError(f"FILE.py:FUNCTION: expected a file and a function name, got {target!r}")
    path = Path(path_text)
    if not path.is_file():
        raise ValueError(f"FILE.py:FUNCTION: no such file {path_text!r}")
    spec = importlib.util.spec_from_file_location(f"_checked_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"FILE.py:FUNCTION: cannot load {path_text!r} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))  # so the file can import its neighbours
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        raise ValueError(f"FILE.py:FUNCTION: importing {path_text!r} raised {err!r}") from err
    finally:
        sys.path.pop(0)
    fn = getattr(module, name, None)
    if not callable(fn):
        raise ValueError(f"FILE.py:FUNCTION: {path_text!r} has no function {name!r}")
    return fn


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        fn = load_function(args.target)
    except ValueError as err:
        parser.error(str(err))
    report = check_backward(fn, op=args.op, convention=args.convention)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
