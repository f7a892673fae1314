"""Forward + backward time of conv2d: cnnref vs the naive loops vs PyTorch, side by side.

Run with ``make bench`` (or ``python -m benchmarks.conv``). Every contender is
timed in the same process, in interleaved rounds (cnnref, PyTorch, cnnref,
PyTorch, ...), so a slow moment of a shared machine hits both; the reported
ratio is the median over rounds of the per-round ratio (the smallest and the
largest are recorded too). Each batch starts after a short pause, so that the
worker threads of the previous contender (which spin for a while after a call)
do not steal the cores from the next. PyTorch runs on the CPU with 2 threads;
cnnref splits a batch of several blocks over the cores itself (see
``cnnref/_parallel.py``), and otherwise numpy uses its BLAS's default threads.

A third contender, "products", times the three matrix products of cnnref's
pass alone, on operands made beforehand: the part of cnnref's time that is
arithmetic in the BLAS. The rest is its copies and per-call work.

Each row also gives the arithmetic rate of every contender: a forward and
backward pass is three products of the size of the forward one (``y``,
``grad_w``, ``grad_x``), ``3 · 2·N·O·(C/groups)·kh·kw·Ho·Wo`` floating-point
operations, divided by the time. Beside it stands the machine's
matrix-product peak, measured in the same run: numpy's product of two large
square matrices in each dtype, with the same threads as the convolutions.

Results are printed and written to ``benchmarks/results/conv.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import cnnref

RESULTS = Path(__file__).parent / "results" / "conv.json"


@dataclass(frozen=True)
class Shape:
    name: str
    x: tuple[int, int, int, int]
    w: tuple[int, int, int, int]
    stride: int = 1
    padding: int = 0
    target: float | None = None  # max median ratio cnnref / PyTorch (float64)
    target_us: float | None = None  # max microseconds per forward + backward
    naive: bool = False  # small enough for the loop specification


SHAPES = [
    Shape("single-kernel CNN 1x1x3x3 k=2", (1, 1, 3, 3), (1, 1, 2, 2), target_us=20, naive=True),
    Shape("LeNet conv2 N=64 6→16 14x14 k=5", (64, 6, 14, 14), (16, 6, 5, 5), target=1.0),
    Shape("N=32 32→64 32x32 k=3 p=1", (32, 32, 32, 32), (64, 32, 3, 3), padding=1, target=1.0),
    Shape(
        "N=32 16→32 32x32 k=3 s=2 p=1",
        (32, 16, 32, 32),
        (32, 16, 3, 3),
        stride=2,
        padding=1,
        target=1.0,
    ),
    Shape("small N=2 3→4 8x8 k=3", (2, 3, 8, 8), (4, 3, 3, 3), padding=1, target=1.0, naive=True),
]
FLOAT32_TARGET = 1.5
SETTLE = 0.3  # seconds between timed batches
PEAK_SIZE = 2048  # matrices of the peak measurement: PEAK_SIZE x PEAK_SIZE


def flops(shape: Shape, out_hw: tuple[int, int]) -> int:
    """Floating-point operations of one forward + backward pass: three forward-sized products."""
    n, _, _, _ = shape.x
    o, c_per_group, kh, kw = shape.w
    return 3 * 2 * n * o * c_per_group * kh * kw * out_hw[0] * out_hw[1]


def matmul_peak(dtype, repeats: int = 5) -> float:
    """GFLOP/s of numpy's product of two PEAK_SIZE-square matrices, the best of ``repeats``."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((PEAK_SIZE, PEAK_SIZE)).astype(dtype) for _ in range(2))
    a @ b
    best = float("inf")
    for _ in range(repeats):
        time.sleep(SETTLE)
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * PEAK_SIZE**3 / best / 1e9


STRIDED_ENTRIES = 96_000  # float64 entries moved by each operation of strided_costs
STRIDED_ROWS = (1600, 160, 10)  # their contiguous runs: rows of this many entries


def strided_costs(repeats: int = 200) -> dict:
    """Microseconds of numpy's copy and add of STRIDED_ENTRIES float64 entries (best of repeats).

    Contiguous, then in rows of STRIDED_ROWS entries that are not adjacent in
    memory (a window of a wider array, as im2col reads and col2im writes).
    """
    rng = np.random.default_rng(0)
    source = rng.standard_normal(STRIDED_ENTRIES)
    costs: dict[str, dict[str, float]] = {"copy": {}, "add": {}}

    def best(fn) -> float:
        return 1e6 * min(timeit.repeat(fn, number=1, repeat=repeats))

    target = np.zeros(STRIDED_ENTRIES)
    costs["copy"]["contiguous"] = best(lambda: np.copyto(target, source))
    costs["add"]["contiguous"] = best(lambda: np.add(target, source, out=target))
    for row in STRIDED_ROWS:
        wide = np.zeros((STRIDED_ENTRIES // row, row + 8))
        window, rows = wide[:, 4 : 4 + row], source.reshape(-1, row)
        costs["copy"][str(row)] = best(lambda w=window, r=rows: np.copyto(w, r))
        costs["add"][str(row)] = best(lambda w=window, r=rows: np.add(w, r, out=w))
    return {op: {k: round(v, 1) for k, v in c.items()} for op, c in costs.items()}


def _calibrate(fn: Callable[[], object], budget: float) -> int:
    """Calls per timed batch so that one batch takes about ``budget`` seconds."""
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, int(budget / once))


def _time_batch(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def interleaved(contenders: dict[str, Callable[[], object]], rounds: int, budget: float):
    """Median seconds per call of each contender, and per-round times, timed in turn."""
    calls = {name: _calibrate(fn, budget) for name, fn in contenders.items()}
    per_round: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            # Let the previous contender's worker threads (numpy's BLAS, PyTorch's
            # OpenMP) stop spinning before timing the next: otherwise they compete
            # for the 2 cores with it and the one timed second looks slower.
            time.sleep(SETTLE)
            per_round[name].append(_time_batch(fn, calls[name]))
    return {name: statistics.median(times) for name, times in per_round.items()}, per_round


def products_alone(x, w, grad_y, shape: Shape) -> Callable[[], object]:
    """The three matrix products of cnnref's pass alone, their operands made beforehand.

    Per block of images and over the cores as cnnref runs them: the batch cut
    into blocks, the blocks shared among the cores (one thread each, with a
    one-thread BLAS; :mod:`cnnref._parallel`; a batch of one block runs in
    the calling thread with the BLAS's own threads), and per block ``y = W cols``,
    ``grad_w = δ colsᵀ`` and ``grad_cols = Wᵀ δ``. The columns are in image
    order (the batch innermost changes their order, not the products'
    sizes), and δ is not widened as the full-width input gradient widens it
    (a few per cent more on the 32→64 layer). What is left of cnnref's time
    is its copies (padding, im2col, col2im, layout changes) and per-call work.
    """
    from cnnref import _blocks as blocks
    from cnnref import _columns as columns
    from cnnref import _parallel as parallel
    from cnnref.geometry import conv_geometry

    geo = conv_geometry(x.shape, w.shape, shape.stride, shape.padding, 1, 1)
    weight = columns.grouped_weight(w, geo)
    spans = blocks.blocks(geo, x.shape[0], x.itemsize)
    groups = [
        [
            (
                columns.im2col(x[span], geo).copy(),  # (im2col's result is scratch memory)
                np.ascontiguousarray(columns.grouped_output(grad_y[span], geo)),
            )
            for span in group
        ]
        for group in blocks.core_groups(spans, geo, x.itemsize)
    ]

    def products(group):
        for cols, dy in group:
            np.matmul(weight, cols)
            np.matmul(dy, cols.transpose(0, 2, 1))
            np.matmul(weight.transpose(0, 2, 1), dy)

    return lambda: parallel.map_parts(products, groups)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    return torch


def bench_shape(shape: Shape, dtype, torch, rounds: int, budget: float) -> dict:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape.x).astype(dtype)
    w = rng.standard_normal(shape.w).astype(dtype)
    b = rng.standard_normal(shape.w[0]).astype(dtype)
    kw = {"stride": shape.stride, "padding": shape.padding}
    grad_y = rng.standard_normal(cnnref.conv2d(x, w, b, **kw).shape).astype(dtype)
    work = flops(shape, grad_y.shape[2:])

    def ours():
        cnnref.conv2d(x, w, b, **kw)
        cnnref.conv2d_backward(grad_y, x, w, **kw)

    contenders = {"cnnref": ours, "products": products_alone(x, w, grad_y, shape)}
    if torch is not None:
        xt = torch.tensor(x, requires_grad=True)
        wt = torch.tensor(w, requires_grad=True)
        bt = torch.tensor(b, requires_grad=True)
        gt = torch.tensor(grad_y)

        def theirs():
            y = torch.nn.functional.conv2d(xt, wt, bt, **kw)
            torch.autograd.grad(y, (xt, wt, bt), gt)

        contenders["torch"] = theirs
    if shape.naive:

        def naive():
            cnnref.conv2d_naive(x, w, b, **kw)
            cnnref.conv2d_backward_naive(grad_y, x, w, **kw)

        contenders["naive"] = naive
    medians, per_round = interleaved(contenders, rounds, budget)
    row = {
        "shape": shape.name,
        "dtype": np.dtype(dtype).name,
        "us": {name: round(t * 1e6, 2) for name, t in medians.items()},
        "flops": work,
        "gflops": {name: float(f"{work / t / 1e9:.3g}") for name, t in medians.items()},
    }
    if torch is not None:
        ratios = [a / t for a, t in zip(per_round["cnnref"], per_round["torch"], strict=True)]
        row["ratio_to_torch"] = round(statistics.median(ratios), 3)
        row["ratio_to_torch_min"] = round(min(ratios), 3)
        row["ratio_to_torch_max"] = round(max(ratios), 3)
    if "naive" in medians:
        row["naive_over_cnnref"] = round(medians["naive"] / medians["cnnref"], 1)
    return row


def verdict(row: dict, shape: Shape) -> str:
    checks = []
    if shape.target_us is not None and row["dtype"] == "float64":
        checks.append(row["us"]["cnnref"] <= shape.target_us)
    if "ratio_to_torch" in row and shape.target_us is None:
        limit = shape.target if row["dtype"] == "float64" else FLOAT32_TARGET
        if limit is not None:
            checks.append(row["ratio_to_torch"] <= limit)
    if not checks:
        return ""
    return "ok" if all(checks) else "MISS"


def target_text(shape: Shape, dtype: str) -> str:
    if shape.target_us is not None:
        return f"< {shape.target_us:g} us" if dtype == "float64" else ""
    if shape.target is None:
        return ""
    return f"<= {shape.target if dtype == 'float64' else FLOAT32_TARGET:g}x"


def machine_facts(torch, peaks: dict | None = None) -> dict:
    """What the numbers were measured on (recorded next to them)."""
    facts = {"matmul_gflops": peaks} if peaks else {}
    return facts | {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "numpy": np.__version__,
        "torch": None if torch is None else torch.__version__.split("+")[0],
        "python": platform.python_version(),
    }


def write_atomically(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds per shape")
    parser.add_argument("--budget", type=float, default=0.15, help="seconds per timed batch")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args(argv)

    torch = _torch()
    if torch is None:
        print("PyTorch is not installed (make oracle): timing cnnref and the naive loops only.")
    peaks = {}
    for dtype in (np.float64, np.float32):
        peaks[np.dtype(dtype).name] = round(matmul_peak(dtype), 1)
        print(
            f"matrix-product peak, {np.dtype(dtype).name}: {peaks[np.dtype(dtype).name]} GFLOP/s"
        )
    strided = strided_costs()
    print(f"numpy, {STRIDED_ENTRIES} float64 entries (us), contiguous / rows of {STRIDED_ROWS}:")
    for op, cost in strided.items():
        print(f"  {op}: " + " / ".join(f"{v:.1f}" for v in cost.values()))
    header = (
        f"{'shape':36s} {'dtype':8s} {'cnnref us':>10s} {'products':>10s} {'torch us':>10s} "
        f"{'naive us':>10s}"
    )
    print(header + f" {'GFLOP/s':>15s} {'ratio min-med-max':>18s} {'target':>9s}")
    rows = []
    for dtype in (np.float64, np.float32):
        for shape in SHAPES:
            row = bench_shape(shape, dtype, torch, args.rounds, args.budget)
            row["target"] = target_text(shape, row["dtype"])
            row["verdict"] = verdict(row, shape)
            rows.append(row)
            us = row["us"]
            names = ("cnnref", "products", "torch", "naive")
            cells = [f"{us.get(k, float('nan')):10.1f}" for k in names]
            rate = "/".join(f"{row['gflops'][k]:.3g}" for k in ("cnnref", "torch") if k in us)
            ratio = ""
            if "ratio_to_torch" in row:
                ratio = "-".join(
                    f"{row[k]:.2f}"
                    for k in ("ratio_to_torch_min", "ratio_to_torch", "ratio_to_torch_max")
                )
            print(
                f"{shape.name:36s} {row['dtype']:8s} {' '.join(cells)} {rate:>15s} {ratio:>18s} "
                f"{row['target']:>9s} {row['verdict']}",
                flush=True,
            )
    write_atomically(
        args.output, {"machine": machine_facts(torch, peaks), "rows": rows, "strided": strided}
    )
    print(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
