"""Speed of the proofs: each case in a fresh interpreter (cold SymPy cache), then the whole run.

Run with ``python -m benchmarks.derivations``. For every case it reports the
wall-clock time and the CPU time of a fresh process that imports the case and
runs it; CPU time hardly depends on what else a shared machine is doing, wall
time does. Then it times the full regeneration as ``python -m derivations``
does it (two worker processes), writing into a temporary folder. The targets
are 20 s for the full regeneration and 30 s for the D5 grid. Nothing is
written to the repository.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

from derivations import registry

SNIPPET = (
    "import importlib, sys; m = importlib.import_module('derivations.' + sys.argv[1]); "
    "sys.exit(0 if all(p.ok for p in m.run()) else 1)"
)


def _timed(argv: list[str]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    code = subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    ).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, code


def main() -> int:
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{'case':20s} {'wall s':>8s} {'cpu s':>8s}  verdict")
    failed = False
    for name in (case.name for case in registry.cases()):
        wall, cpu, code = _timed([sys.executable, "-c", SNIPPET, name])
        failed |= code != 0
        print(f"{name:20s} {wall:8.1f} {cpu:8.1f}  {'ok' if code == 0 else 'FAILED'}")
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu, code = _timed([sys.executable, "-m", "derivations", "--out", tmp])
    failed |= code != 0
    print(f"{'full regeneration':20s} {wall:8.1f} {cpu:8.1f}  {'ok' if code == 0 else 'FAILED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
