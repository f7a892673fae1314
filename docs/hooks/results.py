"""Fill the results pages from the files the commands write.

A page includes ``<!-- cnnref:benchmarks -->`` where the table of the last
``make bench`` run (``benchmarks/results/conv.json``) goes, so the page shows
the measured numbers, never a copy typed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "results" / "conv.json"


def _fmt_us(value) -> str:
    if value is None:
        return "–"
    if value >= 1000:
        return f"{value / 1000:.2f} ms"
    return f"{value:.1f} µs"


def benchmark_table() -> str:
    if not BENCH.exists():
        return "*No benchmark results yet: run `make bench`.*"
    data = json.loads(BENCH.read_text())
    lines = [
        "| shape | dtype | cnnref | PyTorch | loops | cnnref / PyTorch | target | |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for row in data["rows"]:
        us = row["us"]
        ratio = row.get("ratio_to_torch")
        lines.append(
            f"| {row['shape']} | {row['dtype']} | {_fmt_us(us.get('cnnref'))} "
            f"| {_fmt_us(us.get('torch'))} | {_fmt_us(us.get('naive'))} "
            f"| {'–' if ratio is None else f'{ratio:.2f}'} | {row['target']} | {row['verdict']} |"
        )
    machine = data["machine"]
    lines.append("")
    lines.append(
        f"Measured on {machine['cpu_count']} cores ({machine['machine']}), Python "
        f"{machine['python']}, numpy {machine['numpy']}, PyTorch {machine['torch'] or 'absent'}."
    )
    return "\n".join(lines)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if "<!-- cnnref:benchmarks -->" in markdown:
        markdown = markdown.replace("<!-- cnnref:benchmarks -->", benchmark_table())
    return markdown
