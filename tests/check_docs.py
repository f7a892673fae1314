"""The generated parts of the page "Check your backward pass" (docs/check.md).

The page's worked example is run through the checker and its report is
written under it; the table of configurations and the catalogue of known bugs
are printed from the checker's own data. ``python -m tests.check_docs``
rewrites the blocks; the test in tests/test_check.py fails when they are
stale.
"""

from __future__ import annotations

import re
from pathlib import Path

from cnnref.check import check_backward
from cnnref.check.catalogue import bugs_for
from cnnref.check.configs import CONV, POOL

PAGE = Path(__file__).resolve().parents[1] / "docs" / "check.md"
BLOCK = re.compile(r"(<!-- check:(\w+) -->\n)(.*?)(<!-- /check:\2 -->)", re.S)


def example_code(text: str, name: str = "example") -> str:
    """The Python code of the page's block ``name`` (the worked example, the adjoint test)."""
    block = next(m.group(3) for m in BLOCK.finditer(text) if m.group(2) == name)
    return re.search(r"```python\n(.*?)```", block, re.S).group(1)


def _configurations() -> str:
    rows = ["| op | configuration | x | kernel | stride / padding / dilation / groups |"]
    rows.append("|---|---|---|---|---|")
    for op, configs in (("conv2d", CONV), ("pooling", POOL)):
        for c in configs:
            kernel = (
                f"w {(c.o, c.c // c.groups, c.kh, c.kw)}" if op == "conv2d" else f"{c.kh}×{c.kw}"
            )
            dil, groups = (c.dilation, c.groups) if op == "conv2d" else ("–", "–")
            rows.append(
                f"| {op} | {c.label} | {(c.n, c.c, c.h, c.w)} | {kernel} "
                f"| {c.stride} / {c.padding} / {dil} / {groups} |"
            )
    return "\n".join(rows) + "\n"


def _catalogue() -> str:
    rows = ["| known bug | op | gradient | what it is |", "|---|---|---|---|"]
    ops: dict = {}
    for op in ("conv2d", "max_pool2d", "avg_pool2d"):
        for bug in bugs_for(op):
            ops.setdefault(bug.name, (bug, []))[1].append(op)
    for bug, where in ops.values():
        link = bug.page.rstrip("/") + ".md"
        rows.append(
            f"| [`{bug.name}`]({link}) | {', '.join(where)} | {bug.gradient} | {bug.explanation} |"
        )
    return "\n".join(rows) + "\n"


def _output(text: str) -> str:
    namespace: dict = {}
    exec(compile(example_code(text), "worked_example.py", "exec"), namespace)
    report = check_backward(namespace["conv_backward_naive"], op="conv2d", convention="cs231n")
    return "```text\n" + report.text() + "\n```\n"


def render(text: str) -> str:
    """``text`` with every generated block rewritten."""
    fill = {
        "configurations": _configurations,
        "catalogue": _catalogue,
        "output": lambda: _output(text),
    }

    def replace(match):
        name = match.group(2)
        body = fill[name]() if name in fill else match.group(3)
        return match.group(1) + body + match.group(4)

    return BLOCK.sub(replace, text)


if __name__ == "__main__":
    PAGE.write_text(render(PAGE.read_text()))
    print(f"rewrote the generated blocks of {PAGE.name}")
