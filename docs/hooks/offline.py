"""Keep the site offline: MathJax served from the site itself, no CDN references.

* The PyPI package ``django-static-mathjax`` ships the MathJax 3 browser
  files (it needs nothing from Django to be read); they are copied into the
  built site, so nothing third-party is committed and the pages fetch
  nothing from the internet.
* The notebook template carries a dormant loader that would import mermaid
  from a CDN if a notebook contained a mermaid diagram; ours never do, and
  the loader is removed so that the built pages name no outside host.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

# The SVG output needs no web fonts; the rest is loaded on demand by the
# startup script from its own folder.
KEEP = ("tex-svg.js", "input", "output", "ui", "a11y", "sre", "adaptors")


def mathjax_source() -> Path:
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "MathJax is missing: install the docs extra (pip install -e '.[docs]'), "
            "which provides it through the django-static-mathjax package"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5"


def on_post_build(config, **kwargs) -> None:
    source = mathjax_source()
    target = Path(config["site_dir"]) / "assets" / "mathjax"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in KEEP:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, target / name)
        elif path.exists():
            shutil.copy2(path, target / name)


_MERMAID_LOADER = re.compile(
    r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded", async \(\) => \{'
    r"\s*const diagrams = document\.querySelectorAll\(\"\.jp-Mermaid.*?</script>",
    flags=re.S,
)


def on_post_page(output: str, page, config) -> str:
    return _MERMAID_LOADER.sub("", output)
