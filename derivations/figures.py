"""Figures of the chapters, drawn as SVG text (no plotting library, no network, deterministic).

Two kinds, both described by data in the case module (``FIGURES``) and drawn
when the site is built (``docs/hooks/figures.py``):

* :class:`Pipeline` — the network: each array a grid of its shape, each
  operation an arrow with its name;
* :class:`Rotation` — the kernel, the kernel rotated by 180 degrees, and the
  rotated kernel's window on the padded ``δ`` that gives one entry of the
  input gradient.

Lines and text use ``currentColor``, so a figure follows the page's light or
dark scheme; text is at least 12 px at full size (:data:`FONT`), and the SVG
is never scaled below its drawn width on a desktop page.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

FONT = 13  # px
SMALL = 12  # px, the smallest text drawn
ACCENT = "#1e88e5"  # a blue readable on white and on Material's slate background
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(name: str, *index: int) -> str:
    """``sub('k', 1, 2) == 'k₁₂'`` (1-based names, as the symbols are)."""
    return name + "".join(str(i) for i in index).translate(_SUB)


@dataclass(frozen=True)
class Stage:
    """One array of the network: a name and a shape (``()`` for a scalar)."""

    name: str
    shape: tuple[int, ...] = ()
    caption: str = ""


@dataclass(frozen=True)
class Pipeline:
    """Arrays left to right, joined by arrows labelled with the operations."""

    title: str
    stages: tuple[Stage, ...]
    operations: tuple[str, ...]  # one fewer than stages
    gap: int = 96  # room for the operation's name between two arrays

    def svg(self) -> str:
        return _pipeline(self)


@dataclass(frozen=True)
class Rotation:
    """``K``, ``rot180(K)`` and the rotated kernel on ``pad(δ)`` at the top-left input entry."""

    title: str
    kernel: str = "k"
    kernel_shape: tuple[int, int] = (2, 2)
    delta: str = "δ"
    delta_shape: tuple[int, int] = (2, 2)
    target: str = "x"

    def svg(self) -> str:
        return _rotation(self)


def _text(x: float, y: float, s: str, size: int = FONT, anchor: str = "middle", **extra) -> str:
    attrs = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in extra.items())
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="currentColor"{attrs}>{escape(s)}</text>'
    )


def _rect(x, y, w, h, fill="none", opacity=1.0, dash=False, width=1.2) -> str:
    extra = ' stroke-dasharray="4 3"' if dash else ""
    fill_attr = f'fill="{fill}"' + (f' fill-opacity="{opacity:g}"' if fill != "none" else "")
    return (
        f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" {fill_attr} '
        f'stroke="currentColor" stroke-width="{width:g}"{extra}/>'
    )


def _arrow(x1, y1, x2, y2) -> str:
    return (
        f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="currentColor" '
        f'stroke-width="1.4" marker-end="url(#cnnref-arrow)"/>'
    )


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cnnref-figure" role="img" '
        f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
        f'style="max-width: 100%; height: auto; color: inherit">'
        f"<title>{escape(title)}</title>"
        '<defs><marker id="cnnref-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="currentColor"/></marker></defs>'
    )
    return head + "".join(body) + "</svg>"


def _grid_size(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 0:
        return 0, 0
    if len(shape) == 1:
        return shape[0], 1
    return shape[-2], shape[-1]


def _pipeline(p: Pipeline) -> str:
    cell, gap, top = 16, p.gap, 34
    body: list[str] = []
    sizes = [_grid_size(s.shape) for s in p.stages]
    tallest = max([r for r, _ in sizes] + [2]) * cell
    x = 10.0
    centres = []
    for stage, (rows, cols) in zip(p.stages, sizes, strict=True):
        depth = stage.shape[0] if len(stage.shape) == 3 else 1
        w = max(cols * cell + 6 * (depth - 1), 24)
        y0 = top + (tallest - rows * cell) / 2
        if rows == 0:
            body.append(
                f'<circle cx="{x + w / 2:g}" cy="{top + tallest / 2:g}" r="11" fill="none" '
                f'stroke="currentColor" stroke-width="1.2"/>'
            )
        else:
            for layer in reversed(range(depth)):
                ox, oy = x + 6 * layer, y0 - 6 * layer
                body.append(_rect(ox, oy, cols * cell, rows * cell, width=1.2))
                if layer:  # channels behind the front one: outlines only
                    continue
                for r in range(rows):
                    for c in range(cols):
                        body.append(_rect(ox + c * cell, oy + r * cell, cell, cell, width=0.6))
        label = stage.name + (f" ({'×'.join(map(str, stage.shape))})" if stage.shape else "")
        body.append(_text(x + w / 2, top + tallest + 22, label))
        if stage.caption:
            body.append(_text(x + w / 2, top + tallest + 40, stage.caption, SMALL))
        centres.append((x, x + w))
        x += w + gap
    mid = top + tallest / 2
    for (_, right), (left, _), op in zip(centres[:-1], centres[1:], p.operations, strict=True):
        body.append(_arrow(right + 6, mid, left - 6, mid))
        body.append(_text((right + left) / 2, mid - 8, op))
    width = x - gap + 10
    height = top + tallest + 50
    return _svg(width, height, p.title, body)


def _labelled_grid(x0, y0, cell, labels, highlight=None) -> list[str]:
    body = []
    for r, row in enumerate(labels):
        for c, label in enumerate(row):
            fill = "none"
            if highlight and highlight(r, c):
                fill = ACCENT
            body.append(_rect(x0 + c * cell, y0 + r * cell, cell, cell, fill=fill, opacity=0.22))
            body.append(_text(x0 + c * cell + cell / 2, y0 + r * cell + cell / 2 + 5, label))
    return body


def _rotation(f: Rotation) -> str:
    kh, kw = f.kernel_shape
    oh, ow = f.delta_shape
    cell, top = 40, 30
    K = [[sub(f.kernel, r + 1, c + 1) for c in range(kw)] for r in range(kh)]
    R = [[sub(f.kernel, kh - r, kw - c) for c in range(kw)] for r in range(kh)]
    ph, pw = kh - 1, kw - 1
    P = [
        [
            sub(f.delta, r - ph + 1, c - pw + 1)
            if ph <= r < ph + oh and pw <= c < pw + ow
            else "0"
            for c in range(ow + 2 * pw)
        ]
        for r in range(oh + 2 * ph)
    ]
    body: list[str] = []
    x = 10
    body.append(_text(x + kw * cell / 2, top - 10, "K"))
    body += _labelled_grid(x, top, cell, K)
    x1 = x + kw * cell + 20
    x2 = x1 + 90
    mid = top + kh * cell / 2
    body.append(_arrow(x1, mid, x2 - 10, mid))
    body.append(_text((x1 + x2) / 2, mid - 10, "rot180"))
    body.append(_text(x2 + kw * cell / 2, top - 10, "rot180(K)"))
    body += _labelled_grid(x2, top, cell, R, highlight=lambda r, c: True)
    x3 = x2 + kw * cell + 60
    body.append(
        _text(x3 + len(P[0]) * cell / 2, top - 10, f"pad{ph}({f.delta}) with rot180(K) on it")
    )
    body += _labelled_grid(x3, top, cell, P, highlight=lambda r, c: r < kh and c < kw)
    body.append(_rect(x3, top, kw * cell, kh * cell, dash=True, width=2.2))
    height_grid = len(P) * cell
    captions = (
        f"∂L/∂{sub(f.target, 1, 1)} = the dashed window times rot180(K), entry by entry, summed.",
        "Slide the window one step at a time to reach the other input entries.",
    )
    for n, caption in enumerate(captions):
        body.append(_text(10, top + height_grid + 26 + 18 * n, caption, SMALL, anchor="start"))
    width = x3 + len(P[0]) * cell + 10
    return _svg(max(width, 560), top + height_grid + 58, f.title, body)
