"""Loss and every gradient of the seed networks: generated code vs the cnnref reference vs PyTorch.

Run with ``make bench`` (or ``python -m benchmarks.generated``). For each network
(D1: the single-kernel CNN, D2: the two-layer CNN, D4: the dense 3-4-1) and for one sample and a
batch of 1024 samples, three contenders compute the loss and the gradient with
respect to every weight and the input:

* ``generated``: ``cnnref.generated.<case>.loss_and_gradients``, emitted from the
  SymPy derivations;
* ``reference``: the same network by hand on ``cnnref.conv2d`` /
  ``cnnref.conv2d_backward`` (``tests/reference_networks.py``);
* ``torch``: PyTorch autograd in float64 on the CPU, one thread (when installed):
  the generated code is single-threaded, and on a shared two-core machine a
  second PyTorch thread mostly waits for the first.

They are timed in the same process in interleaved rounds (as ``benchmarks.conv``
does); a ratio is the median over rounds of the per-round ratio. Results are
printed and written to ``benchmarks/results/generated.json``.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np

from cnnref.generated import d1_single_kernel, d2_two_layers, d4_dense
from tests.reference_networks import REFERENCES

from .conv import _torch, interleaved, machine_facts, write_atomically

RESULTS = Path(__file__).parent / "results" / "generated.json"
BATCH = 1024

NETWORKS = {
    "d1_single_kernel": (d1_single_kernel, {"x": (3, 3), "k": (2, 2), "w": (4,)}),
    "d2_two_layers": (d2_two_layers, {"x": (4, 4), "k1": (2, 2), "k2": (2, 2), "w": (4,)}),
    "d4_dense": (d4_dense, {"x": (3,), "W1": (4, 3), "b1": (4,), "W2": (1, 4), "b2": (1,)}),
}


def _inputs(shapes: dict, batch: int, rng) -> dict[str, np.ndarray]:
    values = {"x": rng.uniform(-1.0, 1.0, (batch, *shapes["x"]))}
    for name, shape in shapes.items():
        if name != "x":
            values[name] = rng.uniform(-1.0, 1.0, shape)
    values["t"] = rng.uniform(0.0, 1.0, batch)
    return values


def _torch_step(torch, slug: str, values: dict):
    F = torch.nn.functional
    params = {n: torch.tensor(v, requires_grad=(n != "t")) for n, v in values.items()}
    leaves = [params[n] for n in values if n != "t"]

    def step():
        p = params
        if slug == "d4_dense":
            a1 = torch.sigmoid(p["x"] @ p["W1"].T + p["b1"])
            y = torch.sigmoid(a1 @ p["W2"].T + p["b2"])[:, 0]
        else:
            first = p["k1"] if slug == "d2_two_layers" else p["k"]
            a = torch.tanh(F.conv2d(p["x"][:, None], first[None, None]))
            if slug == "d2_two_layers":
                a = torch.atan(F.conv2d(a, p["k2"][None, None]))
            y = torch.sigmoid(a.reshape(len(p["x"]), 4) @ p["w"])
        losses = 0.5 * (y - p["t"]) ** 2
        return losses.detach(), torch.autograd.grad(losses.sum(), leaves)

    return step


def bench(slug: str, batch: int, torch, rounds: int, budget: float) -> dict:
    module, shapes = NETWORKS[slug]
    values = _inputs(shapes, batch, np.random.default_rng(0))
    if batch == 1:  # one sample: the generated function takes it without a batch axis
        single = {n: (v[0] if n in ("x", "t") else v) for n, v in values.items()}
    else:
        single = values
    reference = REFERENCES[slug]
    contenders = {
        "generated": lambda: module.loss_and_gradients(**single),
        "reference": lambda: reference(**values),
    }
    if torch is not None:
        contenders["torch"] = _torch_step(torch, slug, values)
    medians, per_round = interleaved(contenders, rounds, budget)
    row = {
        "network": slug,
        "batch": batch,
        "us_per_call": {name: round(t * 1e6, 2) for name, t in medians.items()},
        "us_per_sample": {name: round(t * 1e6 / batch, 4) for name, t in medians.items()},
    }
    for other in ("reference", "torch"):
        if other in per_round:
            ratios = [g / o for g, o in zip(per_round["generated"], per_round[other], strict=True)]
            row[f"generated_over_{other}"] = round(statistics.median(ratios), 3)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds per row")
    parser.add_argument("--budget", type=float, default=0.05, help="seconds per timed batch")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args(argv)

    torch = _torch()
    if torch is not None:
        torch.set_num_threads(1)
    if torch is None:
        print("PyTorch is not installed (make oracle): timing generated and reference only.")
    print(
        f"{'network':18s} {'batch':>5s} {'generated us':>13s} {'reference us':>13s} "
        f"{'torch us':>10s} {'gen/ref':>8s} {'gen/torch':>9s}"
    )
    rows = []
    for slug in NETWORKS:
        for batch in (1, BATCH):
            row = bench(slug, batch, torch, args.rounds, args.budget)
            rows.append(row)
            us = row["us_per_call"]
            cells = [f"{us.get(k, float('nan')):13.1f}" for k in ("generated", "reference")]
            cells.append(f"{us.get('torch', float('nan')):10.1f}")
            ratios = [
                f"{row.get('generated_over_reference', float('nan')):8.3f}",
                f"{row.get('generated_over_torch', float('nan')):9.3f}",
            ]
            print(f"{slug:18s} {batch:5d} {' '.join(cells)} {' '.join(ratios)}", flush=True)
    write_atomically(args.output, {"machine": machine_facts(torch), "rows": rows})
    print(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
