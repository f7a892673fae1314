"""Draw the chapters' figures when the site is built.

A generated derivation page marks a figure with
``<!-- cnnref:figure <case slug>/<name> -->``; this hook finds the case in
:mod:`derivations.registry`, draws ``FIGURES[name]`` of its module as SVG
(:mod:`derivations.figures`, plain text, no network) and puts it in the page.
"""

from __future__ import annotations

import re

MARKER = re.compile(r"<!-- cnnref:figure ([a-z0-9-]+)/([a-z0-9_-]+) -->")


def _draw(match: re.Match) -> str:
    from derivations import registry

    case = registry.get(match.group(1))
    figure = case.module.FIGURES[match.group(2)]
    return f'<figure class="cnnref-figure" markdown="0">{figure.svg()}</figure>'


def on_page_markdown(markdown: str, page, config, files) -> str:
    return MARKER.sub(_draw, markdown)
