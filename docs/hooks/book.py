"""The whole site as one print page, and that page printed as a PDF.

As a hook, it collects each built page's article in the order of the
navigation and writes ``print.html`` at the root of the site: every chapter
in a section of its own (each starts a new printed page), collapsed boxes
opened, links and images re-pointed from the page's folder to the root.

As a script, ``python docs/hooks/book.py SITE_DIR`` serves the built site on
127.0.0.1, opens ``print.html`` in Debian's chromium (headless, every outside
request aborted), waits until MathJax has typeset every formula, and writes
``SITE_DIR/cnnref.pdf``. ``make pdf`` runs it.
"""

from __future__ import annotations

import functools
import http.server
import posixpath
import re
import sys
import threading
from html import escape, unescape
from pathlib import Path
from urllib.parse import urlparse

ARTICLE = re.compile(r'(<article class="md-content__inner md-typeset">)(.*?)(</article>)', re.S)
LINK = re.compile(r'\b(href|src)="([^"]*)"')
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_order: list[str] = []
_articles: dict[str, tuple[str, str]] = {}


def _rebase(html: str, page_url: str) -> str:
    """Make the article's relative links relative to the site root."""

    def fix(match: re.Match) -> str:
        attr, value = match.groups()
        if not value or value.startswith(("#", "/", "data:", "mailto:")) or urlparse(value).scheme:
            return match.group(0)
        path = posixpath.normpath(posixpath.join(page_url or ".", value))
        if value.endswith("/") and not path.endswith("/"):
            path += "/"
        return f'{attr}="{path}"'

    return LINK.sub(fix, html)


def on_nav(nav, config, files):
    _order[:] = [page.file.src_uri for page in nav.pages]
    return nav


def on_post_page(output: str, page, config) -> str:
    found = ARTICLE.search(output)
    if found:
        body = _rebase(found.group(2), page.url).replace("<details", "<details open")
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
        text = unescape(re.sub(r"<[^>]+>", "", heading.group(1))) if heading else page.title
        _articles[page.file.src_uri] = ((text or "").replace("¶", "").strip(), body)
    if page.file.src_uri == "index.md":
        _articles["_shell"] = ("", output)
    return output


def on_post_build(config, **kwargs) -> None:
    if "_shell" not in _articles:
        return
    sections = []
    for src in _order:
        if src in _articles:
            title, body = _articles[src]
            sections.append(
                f'<section class="cnnref-chapter" data-title="{escape(title)}">{body}</section>'
            )
    shell = _articles["_shell"][1]
    page = ARTICLE.sub(lambda m: m.group(1) + "".join(sections) + m.group(3), shell, count=1)
    page = re.sub(r"<title>.*?</title>", "<title>cnnref: the whole site</title>", page, flags=re.S)
    Path(config["site_dir"], "print.html").write_text(page, encoding="utf-8")


def print_pdf(site_dir: Path, browser=None, timeout_ms: int = 600_000) -> Path:
    """Typeset ``print.html`` in the headless browser and write ``cnnref.pdf``.

    ``browser``: a Playwright chromium already running, or None to start one.
    """
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                return print_pdf(site_dir, browser, timeout_ms)
            finally:
                browser.close()
    handler = functools.partial(_Quiet, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = site_dir / "cnnref.pdf"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.route(
            "**/*",
            lambda r: (
                r.continue_()
                if urlparse(r.request.url).hostname in ("127.0.0.1", None)
                else r.abort()
            ),
        )
        url = f"http://127.0.0.1:{server.server_address[1]}/print.html"
        page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
        page.wait_for_function("document.body.dataset.mathTypeset === 'done'", timeout=timeout_ms)
        page.emulate_media(media="print")
        page.pdf(path=str(out), format="A4", print_background=True)
    finally:
        page.close()
        server.shutdown()
        server.server_close()
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    print(f"wrote {print_pdf(Path(sys.argv[1] if len(sys.argv) > 1 else 'site'))}")
