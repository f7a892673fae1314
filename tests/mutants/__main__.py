"""``python -m tests.mutants`` (``make mutate``): run the mutation suite, print the kill table.

Exit status: 0 when every mutant is killed; 1 when one survives, is stale,
breaks its test run or times out; 2 when the control run (the tests on an
unmutated copy) fails; 130 when interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .catalogue import all_mutants
from .runner import (
    KILLED,
    RESULTS,
    ROOT,
    Interrupted,
    Runner,
    install_signal_handlers,
    results_document,
    table,
    tail,
    write_json_atomically,
)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m tests.mutants", description=__doc__)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run these mutants only")
    parser.add_argument("--list", action="store_true", help="print the catalogue and exit")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel runs")
    parser.add_argument(
        "--no-oracle",
        action="store_true",
        help="deselect the PyTorch oracle tests (shows which mutants only the oracle kills)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        help=f"write the kill table here (default: {RESULTS} after a full run)",
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    mutants = all_mutants()
    if args.list:
        for m in mutants:
            print(f"{m.name:36} {m.target:26} {m.description}")
        return 0
    if args.only:
        unknown = sorted(set(args.only) - {m.name for m in mutants})
        if unknown:
            print(f"unknown mutants: {', '.join(unknown)}", file=sys.stderr)
            return 1
        mutants = [m for m in mutants if m.name in args.only]
    problems = [p for m in mutants for p in m.problems(ROOT)]
    if problems:
        print("The catalogue does not fit the code:", *problems, sep="\n  ", file=sys.stderr)
        return 1

    install_signal_handlers()
    extra = ("-m", "not oracle") if args.no_oracle else ()
    runner = Runner(ROOT, jobs=args.jobs, extra_args=extra)
    print(f"{len(mutants)} mutants, {runner.jobs} parallel test runs", flush=True)
    start = time.perf_counter()
    try:
        passed, control_output, outcomes = runner.run(
            mutants, on_outcome=lambda o: print(f"{o.status:8} {o.name}", flush=True)
        )
    except Interrupted as err:
        print(f"interrupted ({err}); the project's tree was not modified", file=sys.stderr)
        return 130
    elapsed = time.perf_counter() - start

    if not passed:
        print("Control run failed: the tests fail without any mutant.", file=sys.stderr)
        print(tail(control_output, 40), file=sys.stderr)
        return 2
    print()
    print(table(mutants, outcomes))
    killed = sum(o.status == KILLED for o in outcomes)
    print(f"\n{killed} of {len(outcomes)} mutants killed")
    for o in outcomes:
        if o.status != KILLED:
            print(f"\n{o.name}: {o.status}\n{o.detail}".rstrip())
    print(f"whole run: {elapsed:.1f} s ({runner.jobs} parallel test runs, control included)")

    target = args.json
    if target is None and not args.only and not args.no_oracle:
        target = ROOT / RESULTS
    if target is not None:
        write_json_atomically(target, results_document(mutants, outcomes))
        print(f"kill table written to {target}")
    return 0 if killed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
