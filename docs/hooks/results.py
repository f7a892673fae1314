"""Fill the results pages from the files the commands write.

A page includes ``<!-- cnnref:benchmarks -->`` where the table of the last
``make bench`` run (``benchmarks/results/conv.json``) goes, and
``<!-- cnnref:test-report -->`` where the counts of the last full ``make test``
run (``build/test-report.json``) go, so the pages show measured numbers, never
a copy typed by hand.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "results" / "conv.json"
TEST_REPORT = ROOT / "build" / "test-report.json"
MUTANTS = ROOT / "docs" / "verification" / "mutants.json"
RECORDS = ROOT / "docs" / "derivations" / "records"


def fmt_us(value) -> str:
    if value is None:
        return "–"
    if value >= 1000:
        return f"{value / 1000:.2f} ms"
    return f"{value:.1f} µs"


def fmt_rate(value) -> str:
    return "–" if value is None else f"{value:.3g}"


def fmt_ratios(row: dict) -> str:
    """``min · median · max`` of the per-round ratios (the median alone in older results)."""
    if "ratio_to_torch" not in row:
        return "–"
    keys = ("ratio_to_torch_min", "ratio_to_torch", "ratio_to_torch_max")
    if not all(k in row for k in keys):
        return f"{row['ratio_to_torch']:.2f}"
    low, mid, high = (row[k] for k in keys)
    return f"{low:.2f} · **{mid:.2f}** · {high:.2f}"


def fmt_target(row: dict) -> str:
    """The target and whether the median met it ('ok') or missed it ('MISS')."""
    if not row["target"]:
        return "–"
    met = {"ok": "met", "MISS": "**missed**"}.get(row["verdict"], row["verdict"])
    return f"{row['target']}: {met}"


def benchmark_table() -> str:
    if not BENCH.exists():
        return "*No benchmark results yet: run `make bench`.*"
    data = json.loads(BENCH.read_text())
    machine = data["machine"]
    peaks = machine.get("matmul_gflops", {})
    times = [
        "| shape | dtype | cnnref | its products alone | PyTorch "
        "| cnnref / PyTorch: min · median · max | target |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    rates = [
        "| shape | dtype | cnnref GFLOP/s | PyTorch GFLOP/s | matmul peak GFLOP/s "
        "| loop specification |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in data["rows"]:
        us, rate = row["us"], row.get("gflops", {})
        times.append(
            f"| {row['shape']} | {row['dtype']} | {fmt_us(us.get('cnnref'))} "
            f"| {fmt_us(us.get('products'))} | {fmt_us(us.get('torch'))} "
            f"| {fmt_ratios(row)} | {fmt_target(row)} |"
        )
        rates.append(
            f"| {row['shape']} | {row['dtype']} | {fmt_rate(rate.get('cnnref'))} "
            f"| {fmt_rate(rate.get('torch'))} | {fmt_rate(peaks.get(row['dtype']))} "
            f"| {fmt_us(us.get('naive'))} |"
        )
    lines = [
        *times,
        "",
        "The arithmetic rates of the same runs, beside the matrix-product peak, and the "
        "time of the loop specification where it was run:",
        "",
        *rates,
    ]
    lines.append("")
    lines.append(
        f"Measured on {machine['cpu_count']} cores ({machine['machine']}), Python "
        f"{machine['python']}, numpy {machine['numpy']}, PyTorch {machine['torch'] or 'absent'}."
    )
    return "\n".join(lines)


def strided_table() -> str:
    """numpy's copy and add, contiguous and in rows, from the last ``make bench`` run."""
    data = json.loads(BENCH.read_text()) if BENCH.exists() else {}
    strided = data.get("strided")
    if not strided:
        return "*Not measured yet: run `make bench`.*"
    rows = sorted((c for c in strided["copy"] if c != "contiguous"), key=int, reverse=True)
    columns = ["contiguous", *rows]
    head = ["contiguous" if c == "contiguous" else f"rows of {int(c):,}" for c in columns]
    lines = ["| 96,000 float64 entries | " + " | ".join(head) + " |"]
    lines.append("|---|" + "---:|" * len(columns))
    for op, label in (("copy", "copy (im2col)"), ("add", "add (col2im)")):
        cells = " | ".join(f"{strided[op][c]:.0f} µs" for c in columns)
        lines.append(f"| {label} | {cells} |")
    return "\n".join(lines)


def benchmark_figure() -> str:
    """Inline SVG: cnnref / PyTorch time ratio per shape and dtype, with the targets."""
    if not BENCH.exists():
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in json.loads(BENCH.read_text())["rows"] if "ratio_to_torch" in r]
    if not rows:
        return ""
    from cnnref.examples import FIGURE_STYLE

    # No background and grey ink, as the notebooks' figures: readable on both palettes.
    with plt.rc_context({**FIGURE_STYLE, "svg.hashsalt": "cnnref"}):
        svg = _ratio_chart(rows)
    return '<div class="cnnref-figure">' + svg[svg.index("<svg") :] + "</div>"


def _ratio_chart(rows) -> str:
    """The SVG of the ratio bars (see :func:`benchmark_figure`)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.4))
    labels = [f"{r['shape']} ({r['dtype']})" for r in rows]
    ratios = [r["ratio_to_torch"] for r in rows]
    colours = ["tab:blue" if r["dtype"] == "float64" else "tab:orange" for r in rows]
    spread = [
        [r["ratio_to_torch"] - r.get("ratio_to_torch_min", r["ratio_to_torch"]) for r in rows],
        [r.get("ratio_to_torch_max", r["ratio_to_torch"]) - r["ratio_to_torch"] for r in rows],
    ]
    ax.barh(range(len(rows)), ratios, color=colours, xerr=spread, ecolor="dimgrey", capsize=3)
    for i, r in enumerate(rows):
        target = r.get("target", "")
        if target.startswith("<=") and target.endswith("x"):
            limit = float(target[2:-1])
            ax.plot([limit, limit], [i - 0.4, i + 0.4], color="tab:red", lw=2)
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(
        "cnnref's time / PyTorch's time\n(median and range over rounds; "
        "below 1: cnnref faster;\nred mark: the target)"
    )
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()


def test_report_table() -> str:
    if not TEST_REPORT.exists():
        return (
            "*No test run recorded in this checkout: `make test` writes the counts "
            "(to `build/test-report.json`), and the next `make site` shows them here.*"
        )
    layers = json.loads(TEST_REPORT.read_text())["layers"]
    lines = ["| layer of checking | passed | failed | skipped |", "|---|---:|---:|---:|"]
    for name in sorted(layers):
        counts = layers[name]
        lines.append(
            f"| {name} | {counts.get('passed', 0)} | {counts.get('failed', 0)} "
            f"| {counts.get('skipped', 0)} |"
        )
    return "\n".join([*lines, "", f"In all: {_ran()}."])


def _plain(text: str) -> str:
    """Text shown as written: brackets are not links (``[i = m]``), ``<`` opens no tag."""
    return text.replace("[", "\\[").replace("]", "\\]").replace("<", "&lt;")


def mutant_table() -> str:
    if not MUTANTS.exists():
        return "*No mutation run recorded: run `make mutate`.*"
    rows = json.loads(MUTANTS.read_text())["mutants"]
    killed = sum(r["status"] == "killed" for r in rows)
    lines = [
        f"**{killed} of {len(rows)} mutants killed** in the last `make mutate` run.",
        "",
        "| mutant | part | the bug | idea from | killed by |",
        "|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["target"], r["name"])):
        killer = (r.get("killed_by") or "—").replace("tests/", "")
        text = [_plain(c) for c in (r["name"], r["target"], r["description"], r["source"])]
        cells = [*text, f"`{killer}`"]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def shipped_bugs() -> str:
    """ "Bugs that shipped": each report, the mutant that reproduces it, its killer, the proof."""
    if not MUTANTS.exists():
        return "*No mutation run recorded: run `make mutate`.*"
    rows = [r for r in json.loads(MUTANTS.read_text())["mutants"] if r.get("report")]
    killed = sum(r["status"] == "killed" for r in rows)
    out = [
        f"**{killed} of {len(rows)} shipped bugs caught** by the tests in the last "
        "`make mutate` run.",
        "",
    ]
    for r in sorted(rows, key=lambda r: (r["report"]["framework"].lower(), r["name"])):
        report = r["report"]
        # the test's name, without the parameters of the case that failed
        killer = (r.get("killed_by") or "not killed").replace("tests/", "").split("[")[0]
        out += [
            f"### {report['framework']}: {_plain(report['headline'])}",
            "",
            f"Report: [{_plain(report['title'].rstrip('.'))}]({report['url']})."
            + "".join(
                f"{' Also reported in' if i == 0 else ','} [{_plain(where)}]({url})"
                for i, (where, url) in enumerate(report.get("also", []))
            )
            + ("." if report.get("also") else ""),
            "",
            f"**What went wrong.** {_plain(report['what'])}",
            "",
            f"**The mutant.** `{r['name']}` puts a mistake of this kind into cnnref: "
            f"{_plain(r['description'])}. **Caught by** `{killer}`.",
            "",
            "**The right formula**, proven:",
            "",
            f"<!-- cnnref:verdict {report['statement']} -->",
            "",
        ]
    return "\n".join(out)


def summary() -> str:
    """The home page's numbers: proofs, controls, mutants, tests of the last run."""
    proven = statements = rejected = controls = 0
    cases = []
    for path in sorted(RECORDS.glob("*.json")):
        data = json.loads(path.read_text())
        if "summary" in data:
            cases.append(data["case"])
            proven += data["summary"]["proven"]
            statements += data["summary"]["statements"]
            rejected += data["summary"]["rejected"]
            controls += data["summary"]["controls"]
    span = f", {cases[0]} to {cases[-1]}" if cases else ""
    lines = [
        "| what | result |",
        "|---|---|",
        f"| statements proven exactly (SymPy){span} | {proven} of {statements} |",
        f"| negative controls (plausible wrong formulas) rejected | {rejected} of {controls} |",
    ]
    if MUTANTS.exists():
        rows = json.loads(MUTANTS.read_text())["mutants"]
        killed = sum(r["status"] == "killed" for r in rows)
        lines.append(f"| planted backprop bugs caught by the tests | {killed} of {len(rows)} |")
    if TEST_REPORT.exists():
        lines.append(f"| tests of the last full run ([report](verification.md)) | {_ran()} |")
    return "\n".join(lines)


def _ran() -> str:
    """What the last full run ran, and what it skipped and why, in one cell."""
    report = json.loads(TEST_REPORT.read_text())
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    for counts in report["layers"].values():
        for outcome in totals:
            totals[outcome] += counts.get(outcome, 0)
    ran = totals["passed"] + totals["failed"]
    text = f"{ran} ran: {totals['passed']} passed, {totals['failed']} failed"
    if totals["skipped"]:
        reasons = report.get("skipped_because") or {}
        by_count = sorted(reasons.items(), key=lambda item: -item[1])
        if len(by_count) == 1:
            text += f"; {totals['skipped']} skipped because {by_count[0][0]}"
        else:
            why = "; ".join(f"{n} because {reason}" for reason, n in by_count)
            text += f"; {totals['skipped']} skipped" + (f" ({why})" if why else "")
    return text.replace("|", "\\|")


MARKERS = {
    "<!-- cnnref:summary -->": summary,
    "<!-- cnnref:benchmarks -->": benchmark_table,
    "<!-- cnnref:benchmark-figure -->": benchmark_figure,
    "<!-- cnnref:strided -->": strided_table,
    "<!-- cnnref:test-report -->": test_report_table,
    "<!-- cnnref:mutants -->": mutant_table,
    "<!-- cnnref:shipped-bugs -->": shipped_bugs,
}


VERDICT = re.compile(r"<!-- cnnref:verdict ([A-Za-z0-9_.\-/]+) -->")


def _records() -> dict[str, dict]:
    found = {}
    for path in sorted(RECORDS.glob("*.json")):
        for proof in json.loads(path.read_text()).get("proofs", []):
            found[proof["key"]] = {**proof, "page": path.stem}
    return found


def verdict_box(key: str, records: dict[str, dict]) -> str:
    """An admonition with a proof record's statement and verdict, as the proof wrote it."""
    proof = records.get(key)
    if proof is None:
        raise KeyError(f"no proof record {key!r}: run `make derive`")
    ok = proof["holds"] != proof["control"]
    # A rejected control shows a wrong formula: a bug box, never a green check mark.
    kind = ("bug" if proof["control"] else "success") if ok else "failure"
    details = proof.get("details") or {}
    extent = ""
    if "configurations" in details:
        extent = f" over {details['configurations']} configurations"
    lines = [
        f'!!! {kind} "{proof["case"]}: {proof["title"]} — {proof["verdict"]}{extent}"',
        "",
        f"    $$ {proof['statement']} $$",
        "",
        *(
            ["    A wrong formula, kept as a check: the prover must refute it.", ""]
            if proof["control"]
            else []
        ),
        f"    Convention: {proof['convention'] or 'none'}. Method: {proof['method']}. "
        f"Record `{key}` on [the {proof['case']} page](derivations/{proof['page']}.md).",
    ]
    return "\n".join(lines)


def on_page_markdown(markdown: str, page, config, files) -> str:
    for marker, table in MARKERS.items():
        if marker in markdown:
            text = table()
            # a marker indented in a list item: every line of its table indented alike
            markdown = re.sub(
                rf"^([ \t]*){re.escape(marker)}",
                lambda m, text=text: m.group(1) + text.replace("\n", "\n" + m.group(1)),
                markdown,
                flags=re.M,
            )
    if VERDICT.search(markdown):  # after the tables, which may hold verdict markers
        records = _records()
        markdown = VERDICT.sub(lambda m: verdict_box(m.group(1), records), markdown)
    return markdown
