"""Command line: regenerate the proofs, check the committed outputs, prove one configuration.

``python -m derivations``
    Run every case (the modules :mod:`derivations.registry` finds), write
    ``docs/derivations/`` (pages and JSON records) and the generated code under
    ``cnnref/generated/``, print a verdict table.
    Exit status 1 if a statement or a derivation step is not proven or a
    negative control is accepted.
``python -m derivations --check``
    The same, into a temporary folder, then compare with the committed files;
    exit status 1 on any difference, naming the command that updates them.
``python -m derivations prove --input 5x7 --kernel 3x2 --stride 2 --padding 1 --dilation 2
--channels 2:3 --groups 1 [--format text|markdown]``
    Prove the gradient formulas of one convolution configuration (both
    conventions) and print the verdicts and the closed forms. Writes nothing.

``--padding`` also takes ``same`` (stride 1; PyTorch's rule, uneven for even kernels).

Bad arguments: one line naming the argument and what was expected (numbers in
the digits 0-9 only), exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import sympy as sp

from . import emit, registry, writer
from .chapter import checked as chapter_data
from .proof import Proof

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "derivations"

LIMITS = {"input": 12, "kernel": 7, "stride": 6, "padding": 6, "dilation": 4, "channels": 8}
MAX_JOBS = 64  # a worker process per case at most is useful; this only bounds a typo


class UsageError(Exception):
    """Bad arguments: reported with exit status 2."""


def _run_case(name: str) -> tuple[str, list[Proof], dict | None, float]:
    """Prove one case and check its chapter (in a worker process): plain data comes back."""
    case = registry.get(name)
    start = time.perf_counter()
    proofs = case.module.run()
    chapter = chapter_data(case.chapter()) if case.has_chapter else None
    return name, proofs, chapter, time.perf_counter() - start


def case_meta(case: registry.Case) -> dict:
    """What the writer needs to know about a case besides its proofs."""
    module = case.module
    return {
        "case": module.CASE,
        "title": module.TITLE,
        "sources": module.SOURCES,
        "module": case.module_name,
        "slug": case.slug,
        "checked_by": getattr(module, "CHECKED_BY", ""),
        "notes": list(getattr(module, "NOTES", ())),
    }


def run_all(jobs: int = 2, out=sys.stderr) -> tuple[list[tuple[dict, list[Proof]]], dict]:
    """Run every case (in ``jobs`` processes); return the cases with their proofs and times.

    Each case comes back as ``(meta, proofs)``; ``meta["chapter"]`` holds its
    checked chapter (or ``None``).
    """
    results: dict[str, tuple[list[Proof], dict | None, float]] = {}
    cases = registry.cases()
    total = len(cases)
    start = time.perf_counter()

    def report(name: str, proofs: list[Proof], chapter: dict | None, seconds: float) -> None:
        results[name] = (proofs, chapter, seconds)
        c = writer.counts(proofs)
        steps = writer.step_counts(chapter)
        bar = "#" * len(results) + "." * (total - len(results))
        print(
            f"[{bar}] {len(results)}/{total} {name}: {c['proven']}/{c['statements']} proven, "
            f"{c['rejected']}/{c['controls']} controls rejected, "
            f"{steps['proven']}/{steps['steps']} steps checked ({seconds:.1f} s)",
            file=out,
            flush=True,
        )

    print(f"proving {total} cases with {jobs} worker(s)...", file=out, flush=True)
    order = [c.name for c in registry.by_cost()]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            # The slowest cases go to the pool; the cheapest runs here meanwhile.
            futures = [pool.submit(_run_case, n) for n in order[:-1]]
            report(*_run_case(order[-1]))
            for future in futures:
                report(*future.result())
    else:
        for name in order:
            report(*_run_case(name))
    out_cases = []
    for case in cases:
        proofs, chapter, _ = results[case.name]
        out_cases.append(({**case_meta(case), "chapter": chapter}, proofs))
    times = {case.name: results[case.name][2] for case in cases}
    times["wall"] = time.perf_counter() - start
    return out_cases, times


def extra_files() -> dict[str, str]:
    """The cases' further generated files (D5's table of configurations, for instance)."""
    files: dict[str, str] = {}
    for case in registry.cases():
        if case.has("extra_files"):
            files.update(case.module.extra_files())
    return files


def verdict_table(cases, times) -> str:
    rows = [("case", "statements proven", "controls rejected", "seconds")]
    for (meta, proofs), case in zip(cases, registry.cases(), strict=True):
        c = writer.counts(proofs)
        rows.append(
            (
                f"{meta['case']} {meta['title'][:48]}",
                f"{c['proven']}/{c['statements']}",
                f"{c['rejected']}/{c['controls']}",
                f"{times[case.name]:.1f}",
            )
        )
    rows.append(("total (wall clock)", "", "", f"{times['wall']:.1f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    failures = [p for _, proofs in cases for p in proofs if not p.ok]
    for p in failures:
        lines.append(f"FAILED {p.key}: {p.verdict}")
    for key in writer.failed_steps(cases):
        lines.append(f"FAILED step {key}")
    return "\n".join(lines)


def _all_ok(cases) -> bool:
    return all(p.ok for _, proofs in cases for p in proofs) and not writer.failed_steps(cases)


def regenerate(out_dir: Path, jobs: int) -> int:
    cases, times = run_all(jobs)
    files = writer.render(cases, extra_files())
    writer.write_all(out_dir, files)
    emit.write()
    print(verdict_table(cases, times))
    print(f"wrote {len(files)} files under {out_dir}")
    return 0 if _all_ok(cases) else 1


def differences(out_dir: Path, files: dict[str, str]) -> list[str]:
    """Compare freshly rendered ``files`` (written to a temporary folder) with ``out_dir``."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh_root = Path(tmp)
        writer.write_all(fresh_root, files)
        fresh = {
            p.relative_to(fresh_root).as_posix() for p in fresh_root.rglob("*") if p.is_file()
        }
        committed = (
            {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()}
            if out_dir.exists()
            else set()
        )
        problems = []
        for rel in sorted(fresh | committed):
            if rel not in committed:
                problems.append(f"missing: {rel}")
            elif rel not in fresh:
                problems.append(f"not generated (stale): {rel}")
            else:
                a = (out_dir / rel).read_text(encoding="utf-8")
                b = (fresh_root / rel).read_text(encoding="utf-8")
                if a != b:
                    diff = difflib.unified_diff(
                        a.splitlines(), b.splitlines(), f"committed/{rel}", f"fresh/{rel}", n=1
                    )
                    problems.append(f"differs: {rel}\n" + "\n".join(list(diff)[:12]))
    return problems


def check(out_dir: Path, jobs: int) -> int:
    cases, times = run_all(jobs)
    print(verdict_table(cases, times))
    problems = differences(out_dir, writer.render(cases, extra_files()))
    problems += emit.differences()
    if problems:
        print("\n".join(problems))
        print(
            f"The generated derivations are out of date: run `{writer.COMMAND}` "
            "(or `make derive`) and commit the result."
        )
        return 1
    print(f"{out_dir}: up to date")
    return 0 if _all_ok(cases) else 1


# prove one configuration -----------------------------------------------------


# Whole numbers written with the digits 0-9 only (spaces around allowed): str.isdigit()
# also accepts '²' and other digits that int() refuses or reads differently.
_WHOLE = re.compile(r" *[0-9]+ *", re.ASCII)


def _whole(text: str) -> bool:
    return _WHOLE.fullmatch(text) is not None


def _count_arg(minimum: int, maximum: int):
    """An argparse ``type``: a whole number (ASCII digits) within bounds, else a usage error."""

    def parse(text: str) -> int:
        if not _whole(text) or not minimum <= int(text) <= maximum:
            raise argparse.ArgumentTypeError(
                f"expected a whole number from {minimum} to {maximum} (digits 0-9), got {text!r}"
            )
        return int(text)

    return parse


def _folder_arg(text: str) -> Path:
    """An argparse ``type``: a folder path (it need not exist yet), not empty, not a file."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder path, got ''")
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"expected a folder, got the file {text!r}")
    return path


def _pair_arg(name: str, text: str, minimum: int, allow_single: bool = True) -> tuple[int, int]:
    parts = text.lower().split("x")
    if len(parts) == 1 and allow_single:
        parts = parts * 2
    if len(parts) != 2 or not all(_whole(p) for p in parts):
        shape = "N or HxW" if allow_single else "HxW"
        if name == "padding":
            shape = "N, HxW or 'same'"
        raise UsageError(f"--{name}: expected {shape} with whole numbers, got {text!r}")
    a, b = (int(p) for p in parts)
    limit = LIMITS[name]
    if min(a, b) < minimum or max(a, b) > limit:
        raise UsageError(f"--{name}: expected values from {minimum} to {limit}, got {text!r}")
    return a, b


def parse_config(args):
    from .d5_grid import Config

    in_hw = _pair_arg("input", args.input, 1, allow_single=False)
    kernel = _pair_arg("kernel", args.kernel, 1, allow_single=False)
    stride = _pair_arg("stride", args.stride, 1)
    if args.padding == "same":  # PyTorch's 'same': stride 1, the odd zero at the bottom/right
        if stride != (1, 1):
            raise UsageError(f"--padding: 'same' expected --stride 1, got {args.stride!r}")
        padding = "same"
    else:
        padding = _pair_arg("padding", args.padding, 0)
    dilation = _pair_arg("dilation", args.dilation, 1)
    parts = args.channels.split(":")
    if len(parts) != 2 or not all(_whole(p) for p in parts):
        raise UsageError(f"--channels: expected IN:OUT, e.g. 2:3, got {args.channels!r}")
    channels = (int(parts[0]), int(parts[1]))
    if min(channels) < 1 or max(channels) > LIMITS["channels"]:
        raise UsageError(
            f"--channels: expected values from 1 to {LIMITS['channels']}, got {args.channels!r}"
        )
    if args.groups < 1 or channels[0] % args.groups or channels[1] % args.groups:
        raise UsageError(
            f"--groups: expected a divisor of both channel counts {channels}, got {args.groups}"
        )
    cfg = Config(in_hw, kernel, stride, padding, dilation, channels, args.groups)
    if min(cfg.out_hw) < 1:
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
        raise UsageError(
            f"--kernel: the dilated kernel {span[0]}x{span[1]} does not fit the padded input "
            f"{in_hw[0] + 2 * padding[0]}x{in_hw[1] + 2 * padding[1]}"
        )
    return cfg


def _formula_lines(name: str, values: np.ndarray, fmt: str) -> list[str]:
    lines = []
    for index in np.ndindex(values.shape):
        v = values[index]
        expr = v.to_sympy() if hasattr(v, "to_sympy") else sp.sympify(v)
        sub = "".join(str(i + 1) for i in index)
        if fmt == "markdown":
            lines.append(f"- $\\partial L/\\partial {name}_{{{sub}}} = {sp.latex(expr)}$")
        else:
            lines.append(f"  dL/d{name}_{sub} = {expr}")
    return lines


def prove_command(args) -> int:
    from .d5_grid import STATEMENTS, prove_config

    cfg = parse_config(args)
    start = time.perf_counter()
    outcome = prove_config(cfg)
    seconds = time.perf_counter() - start
    md = args.format == "markdown"
    lines = [f"# {cfg.label}" if md else cfg.label, ""]
    out_hw = cfg.out_hw
    lines.append(
        f"output {out_hw[0]}x{out_hw[1]}, stride remainder {cfg.remainder[0]}x{cfg.remainder[1]}"
    )
    lines.append("")
    ok = all(outcome.statements.values()) and not any(outcome.controls.values())
    for key, holds in outcome.statements.items():
        convention, title, statement = STATEMENTS[key]
        verdict = "proven" if holds else "NOT PROVEN"
        if md:
            lines.append(f"- **{verdict}** ({convention}) {title}: ${statement}$")
        else:
            lines.append(f"  {verdict:10s} {convention:18s} {title}")
    for key, accepted in outcome.controls.items():
        verdict = "ACCEPTED (checker failed)" if accepted else "rejected"
        lines.append(f"- control {key}: {verdict}" if md else f"  control {key}: {verdict}")
    lines.append("")
    lines.append(
        "Closed forms (cross-correlation layer, G = upstream gradient):"
        if not md
        else "## Closed forms (cross-correlation layer, $G$ = upstream gradient)"
    )
    for key, name in (("corr.dx", "x"), ("corr.dw", "w"), ("corr.db", "b")):
        lines += _formula_lines(name, outcome.formulas[key], args.format)
    lines.append("")
    lines.append(f"verdict: {'all proven' if ok else 'FAILED'} ({seconds:.2f} s)")
    print("\n".join(lines))
    return 0 if ok else 1


# entry point -------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit status 2 with one line naming the argument, as argparse does
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m derivations",
        description="Prove the CNN gradient formulas with SymPy and write docs/derivations/.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary folder and compare with the committed files",
    )
    parser.add_argument("--out", type=_folder_arg, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--jobs", type=_count_arg(1, MAX_JOBS), default=2, help="worker processes (default 2)"
    )
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("prove", help="prove the formulas for one configuration")
    p.add_argument("--input", required=True, help="input height x width, e.g. 5x7")
    p.add_argument("--kernel", required=True, help="kernel height x width, e.g. 3x2")
    p.add_argument("--stride", default="1", help="N or HxW (default 1)")
    p.add_argument("--padding", default="0", help="N, HxW or 'same' (default 0)")
    p.add_argument("--dilation", default="1", help="N or HxW (default 1)")
    p.add_argument("--channels", default="1:1", help="IN:OUT channels (default 1:1)")
    p.add_argument(
        "--groups", type=_count_arg(1, LIMITS["channels"]), default=1, help="groups (default 1)"
    )
    p.add_argument("--format", choices=("text", "markdown"), default="text")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "prove":
            return prove_command(args)
        if args.jobs < 1:
            raise UsageError(f"--jobs: expected a positive number, got {args.jobs}")
        if args.check:
            return check(args.out, args.jobs)
        return regenerate(args.out, args.jobs)
    except UsageError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
