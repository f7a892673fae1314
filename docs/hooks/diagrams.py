"""Draw the explainer pages' grid diagrams when the site is built.

A page marks a diagram with ``<!-- cnnref:diagram <name> -->``. Each diagram
is computed with ``cnnref`` (which entries a window reads, where the
gradient goes) and written as inline SVG: plain text, deterministic, nothing
committed. Text, lines and shading use ``currentColor``, so a diagram follows
the light and the dark palette; cells are labelled with 0-based row and
column indices, as the pages and the code index them.
"""

from __future__ import annotations

import re
from html import escape

import numpy as np

import cnnref

MARKER = re.compile(r"<!-- cnnref:diagram ([a-z-]+) -->")
CELL = 30
FONT = 13
SMALL = 11
ACCENT = "#ef6c00"  # readable on white and on the dark slate background
INDEX = f'font-size="{SMALL}" fill-opacity="0.75"'  # row and column numbers
SHADE = {"": 0.0, "pad": 0.05, "zero": 0.12, "value": 0.3, "none": 0.0, "hit": 0.3}


def _grid(labels, kinds, title, cell=CELL, window=None) -> str:
    """One labelled grid as an ``<svg>``; ``window`` = (row, col, h, w) outlined."""
    rows, cols = len(labels), len(labels[0])
    left, top = 22, 44
    width, height = left + cols * cell + 4, top + rows * cell + 4
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="sans-serif" font-size="{FONT}" fill="currentColor">',
        f'<text x="{left}" y="16" font-size="{FONT}">{escape(title)}</text>',
    ]
    for c in range(cols):
        x = left + c * cell + cell / 2
        out.append(f'<text x="{x}" y="{top - 6}" {INDEX} text-anchor="middle">{c}</text>')
    for r in range(rows):
        y = top + r * cell + cell / 2 + 4
        out.append(f'<text x="{left - 5}" y="{y}" {INDEX} text-anchor="end">{r}</text>')
        for c in range(cols):
            x, y0 = left + c * cell, top + r * cell
            kind = kinds[r][c]
            dash = ' stroke-dasharray="3 3"' if kind == "pad" else ""
            out.append(
                f'<rect x="{x}" y="{y0}" width="{cell}" height="{cell}" fill-opacity='
                f'"{SHADE[kind]}" stroke="currentColor" stroke-opacity="0.6"{dash}/>'
            )
            if kind == "none":
                out.append(
                    f'<path d="M{x} {y0 + cell}L{x + cell} {y0}" stroke="{ACCENT}" '
                    f'stroke-width="2"/>'
                )
            if labels[r][c] and kind != "none":
                out.append(
                    f'<text x="{x + cell / 2}" y="{y0 + cell / 2 + 4.5}" text-anchor="middle">'
                    f"{escape(labels[r][c])}</text>"
                )
    if window is not None:
        r, c, h, w = window
        out.append(
            f'<rect x="{left + c * cell}" y="{top + r * cell}" width="{w * cell}" '
            f'height="{h * cell}" fill="none" stroke="{ACCENT}" stroke-width="3"/>'
        )
    out.append("</svg>")
    return "".join(out)


def _figure(panels: list[str], caption: str) -> str:
    body = "".join(f'<div class="cnnref-diagram__panel">{p}</div>' for p in panels)
    return (
        f'<figure class="cnnref-diagram" markdown="0"><div class="cnnref-diagram__panels">'
        f"{body}</div><figcaption>{caption}</figcaption></figure>"
    )


def _reads(n: int, k: int, s: int, p: int = 0, d: int = 1) -> np.ndarray:
    """How many (window, tap) pairs read each entry of an n x n input (cnnref's backward)."""
    x = np.zeros((1, 1, n, n))
    w = np.ones((1, 1, k, k))
    y = cnnref.conv2d(x, w, stride=s, padding=p, dilation=d)
    return cnnref.conv2d_backward(np.ones_like(y), x, w, stride=s, padding=p, dilation=d)[0][0, 0]


def unread() -> str:
    """Entries no window reads: between windows (stride > kernel) and the stride remainder."""
    panels = []
    for n, k, s in ((5, 1, 2), (8, 3, 3)):
        reads = _reads(n, k, s)
        labels = [[f"{int(v)}" for v in row] for row in reads]
        kinds = [["none" if v == 0 else "hit" for v in row] for row in reads]
        r = cnnref.conv_remainder(n, k, s)
        title = f"{n}x{n}, k = {k}, s = {s}: r = {r}"
        panels.append(_grid(labels, kinds, title, cell=26, window=(0, 0, k, k)))
    return _figure(
        panels,
        "How many window taps read each input entry, computed by "
        "<code>cnnref.conv2d_backward</code> with every δ and every weight 1; crossed "
        "entries are read by none and get zero gradient. Left: the stride skips rows and "
        "columns 1 and 3 although the remainder is 0. Right: rows and columns 6 and 7 are "
        "the remainder. Outlined: the first window.",
    )


def transposed() -> str:
    """The input gradient as a correlation: δ dilated, padded e / e + r, rot180(w) sliding."""
    n, k, s, p = 4, 3, 2, 1
    e = k - 1 - p
    r = cnnref.conv_remainder(n, k, s, p)
    no = cnnref.conv_output_size(n, k, s, p)
    delta = np.arange(1.0, no * no + 1).reshape(no, no)
    spread = cnnref.pad2d(cnnref.dilate2d(delta, s), (e, e + r, e, e + r))
    w = np.arange(1.0, k * k + 1).reshape(k, k) * np.array([1, 10, 100])
    grad = cnnref.correlate2d(spread, cnnref.rot180(w), "valid")
    x = np.zeros((1, 1, n, n))
    check = cnnref.conv2d_backward(delta[None, None], x, w[None, None], stride=s, padding=p)[0]
    if not np.allclose(grad, check[0, 0]):
        raise AssertionError("the drawn recipe disagrees with cnnref.conv2d_backward")
    size = spread.shape[0]
    labels, kinds = [], []
    for i in range(size):
        labels.append([])
        kinds.append([])
        for j in range(size):
            inside = e <= i < size - e - r and e <= j < size - e - r
            v = spread[i, j]
            if v:
                a, b = divmod(int(v) - 1, no)
                labels[-1].append(f"δ{a}{b}")
                kinds[-1].append("value")
            else:
                labels[-1].append("0" if inside else "")
                kinds[-1].append("zero" if inside else "pad")
    d_labels = [[f"δ{a}{b}" for b in range(no)] for a in range(no)]
    k_labels = [[f"w{k - 1 - a}{k - 1 - b}" for b in range(k)] for a in range(k)]
    reads = _reads(n, k, s, p)
    g_labels = [[f"{int(v)}" for v in row] for row in reads]
    g_kinds = [["none" if v == 0 else "hit" for v in row] for row in reads]
    panels = [
        _grid(d_labels, [["value"] * no] * no, f"δ ({no}x{no})", cell=34),
        _grid(k_labels, [["value"] * k] * k, "rot180(w)", cell=34),
        _grid(
            labels,
            kinds,
            f"dilated by s = {s}, padded {e} / {e + r}",
            cell=34,
            window=(size - k, size - k, k, k),
        ),
        _grid(g_labels, g_kinds, f"∂L/∂x ({n}x{n}): terms", cell=34),
    ]
    return _figure(
        panels,
        f"Input gradient of a convolution with n = {n}, k = {k}, s = {s}, p = {p} "
        f"(n<sub>o</sub> = {no}, r = {r}). δ is dilated by the stride (inner zeros shaded), "
        f"padded with e = {e} at the top and left and e + r = {e + r} at the bottom and right "
        "(dashed), and rot180(w) slides over it; the outlined window gives the bottom-right "
        "entry of ∂L/∂x, δ11 w22. Right: how many δ·w products each entry of ∂L/∂x sums. "
        "The recipe is checked against <code>cnnref.conv2d_backward</code> when the page is "
        "built.",
    )


def pooling() -> str:
    """Max pooling with overlapping windows: where the gradient goes, and how often."""
    x = np.random.default_rng(3).integers(0, 10, size=(5, 5)).astype(float)
    y = cnnref.max_pool2d(x[None, None], 3, stride=2)
    got = cnnref.max_pool2d_backward(np.ones_like(y), x[None, None], 3, stride=2)[0, 0]
    labels = [[f"{int(v)}" for v in row] for row in x]
    kinds = [["hit" if g else "" for g in row] for row in got]
    counts = [[f"×{int(g)}" if g else "" for g in row] for row in got]
    return _figure(
        [
            _grid(labels, kinds, "x: 3x3 windows, stride 2", window=(0, 0, 3, 3)),
            _grid(counts, kinds, "gradients received"),
        ],
        "Max pooling of a 5x5 input with 3x3 windows and stride 2 (four overlapping "
        "windows, computed by <code>cnnref.max_pool2d_backward</code> with δ = 1). Each "
        "window sends its δ to its largest entry (the first one in row-major order on a "
        "tie); an entry that is the largest of two windows receives both.",
    )


DIAGRAMS = {"unread": unread, "transposed": transposed, "pooling": pooling}


def on_page_markdown(markdown: str, page, config, files) -> str:
    return MARKER.sub(lambda m: DIAGRAMS[m.group(1)](), markdown)
