"""Fill ``<!-- cnnref:generated-benchmarks -->`` with the last ``make bench`` timings.

The table comes from ``benchmarks/results/generated.json`` (written by
``python -m benchmarks.generated``), so the page shows measured numbers, never a
copy typed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from results import fmt_us  # the results hook, loaded from this folder

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "generated.json"
MARKER = "<!-- cnnref:generated-benchmarks -->"
NAMES = {
    "d1_single_kernel": "D1 (single-kernel CNN)",
    "d2_two_layers": "D2 (two convolution layers)",
}


def _ratio(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def table() -> str:
    if not RESULTS.exists():
        return "*No benchmark results yet: run `make bench`.*"
    data = json.loads(RESULTS.read_text(encoding="utf-8"))
    lines = [
        "| network | samples | generated | cnnref reference | PyTorch "
        "| generated / reference | generated / PyTorch |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in data["rows"]:
        us = row["us_per_call"]
        name = NAMES.get(row["network"], "D4 (dense 3-4-1)")
        lines.append(
            f"| {name} | {row['batch']} | {fmt_us(us.get('generated'))} "
            f"| {fmt_us(us.get('reference'))} | {fmt_us(us.get('torch'))} "
            f"| {_ratio(row.get('generated_over_reference'))} "
            f"| {_ratio(row.get('generated_over_torch'))} |"
        )
    machine = data["machine"]
    lines += [
        "",
        f"Time per call. Measured on {machine['cpu_count']} cores ({machine['machine']}), "
        f"Python {machine['python']}, numpy {machine['numpy']}, "
        f"PyTorch {machine['torch'] or 'absent'} (one thread).",
    ]
    return "\n".join(lines)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, table())
    return markdown
