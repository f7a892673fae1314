"""Execution time of every notebook in ``docs/notebooks/``, and of the digits CNN's training.

Run with ``make bench`` (or ``python -m benchmarks.notebooks``). Each
notebook is read from its jupytext source and executed in a fresh Python
kernel, as the site build does; the time includes the kernel's start-up. The
digits CNN is also trained alone for the article's 500 epochs, in
this process. The load average is recorded because a busy machine inflates
wall-clock times.

Results are printed and written to ``benchmarks/results/notebooks.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "docs" / "notebooks"
RESULTS = Path(__file__).parent / "results" / "notebooks.json"

#: The budgets the notebooks are held to (seconds, wall clock).
ALL_NOTEBOOKS_BUDGET = 60.0
DIGITS_TRAINING_BUDGET = 30.0


def time_notebook(path: Path) -> float:
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(path)
    client = NotebookClient(nb, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def time_digits_training() -> tuple[float, float]:
    """Wall and CPU seconds of 500 epochs of the digits CNN (true backward pass)."""
    from sklearn.datasets import load_digits

    from cnnref.examples import digits_cnn

    d = load_digits()
    x, t, x_test, t_test = digits_cnn.zeros_and_ones(d.images, d.target)
    wall, cpu = time.perf_counter(), time.process_time()
    digits_cnn.train(x, t, x_test, t_test, epochs=500)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    results = {"machine": platform.machine(), "cpus": os.cpu_count(),
               "load_average_before": os.getloadavg()[0], "notebooks": {}}  # fmt: skip
    for path in sorted(NOTEBOOKS.glob("*.py")):
        seconds = time_notebook(path)
        results["notebooks"][path.name] = round(seconds, 2)
        print(f"{path.name:28s} {seconds:6.1f} s")
    total = sum(results["notebooks"].values())
    wall, cpu = time_digits_training()
    results |= {"total": round(total, 2), "digits_training_wall": round(wall, 2),
                "digits_training_cpu": round(cpu, 2),
                "load_average_after": os.getloadavg()[0]}  # fmt: skip
    print(f"{'all notebooks':28s} {total:6.1f} s (budget {ALL_NOTEBOOKS_BUDGET:.0f} s)")
    print(f"digits CNN, 500 epochs: {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"(budget {DIGITS_TRAINING_BUDGET:.0f} s)")  # fmt: skip
    print(f"load average {results['load_average_before']:.1f} before, "
          f"{results['load_average_after']:.1f} after, on {results['cpus']} CPUs")  # fmt: skip
    if not args.no_save:
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
