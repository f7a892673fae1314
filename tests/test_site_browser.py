"""The built site in a real browser: offline, math typeset, figures shown, links resolve.

Builds the site, serves it on 127.0.0.1, and drives Debian's chromium
(headless) with Playwright. Every request to another host is aborted, so a
page that needs the internet fails here. Skipped when chromium or Playwright
is missing, unless CNNREF_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "build" / "test-artifacts"
REQUIRE = os.environ.get("CNNREF_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RAW_TEX = ("\\frac", "\\sum", "$$", "\\operatorname", "\\partial")

pytestmark = pytest.mark.browser


def _skip_or_fail(reason: str):
    if REQUIRE:
        pytest.fail(f"CNNREF_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def base_url(site_dir):
    handler = functools.partial(QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _skip_or_fail("chromium is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("the playwright package is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def site_pages(site_dir: Path) -> list[str]:
    pages = []
    for html in sorted(site_dir.rglob("index.html")):
        rel = html.relative_to(site_dir).parent.as_posix()
        if rel.startswith("assets"):
            continue
        pages.append("" if rel == "." else rel + "/")
    return pages


def open_page(browser, url: str, color_scheme: str = "light"):
    """Load ``url`` with outside requests aborted; return (page, problems list)."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, color_scheme=color_scheme
    )
    page = context.new_page()
    problems: list[str] = []

    def route(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", None) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            problems.append(f"outside request aborted: {route.request.url}")
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(url, wait_until="load")
    return context, page, problems


MATH_SELECTOR = ".arithmatex, .jp-RenderedMarkdown, .jp-RenderedLatex"

VISIBLE_TEXT_JS = """() => {
  const clone = document.querySelector('article').cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container').forEach(e => e.remove());
  return clone.textContent;
}"""


def test_every_page_renders_offline(browser, base_url, site_dir):
    pages = site_pages(site_dir)
    assert len(pages) >= 5, pages
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report = []
    for rel in pages:
        url = urljoin(base_url, rel)
        context, page, problems = open_page(browser, url)
        has_math = page.locator(".arithmatex").count() > 0 or "$" in page.inner_text("article")
        if has_math:
            page.wait_for_function("document.body.dataset.mathTypeset === 'done'", timeout=20000)
            assert page.locator("mjx-merror").count() == 0, f"{rel}: MathJax errors"
            containers = page.locator("mjx-container").count()
            assert containers >= page.locator(".arithmatex").count(), f"{rel}: untypeset math"
        text = page.evaluate(VISIBLE_TEXT_JS)
        for raw in RAW_TEX:
            assert raw not in text, f"{rel}: raw {raw!r} left in the visible text"
        if rel.startswith("notebooks/"):
            images = page.locator("article img")
            assert images.count() > 0, f"{rel}: notebook without figures"
            sizes = page.evaluate(
                "() => [...document.querySelectorAll('article img')].map(i => i.naturalWidth)"
            )
            assert all(w > 0 for w in sizes), f"{rel}: a figure did not load"
        # every link inside the site resolves to a built file
        hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        for href in hrefs:
            parsed = urlparse(href)
            if parsed.hostname != "127.0.0.1":
                continue
            target = site_dir / parsed.path.lstrip("/")
            if parsed.path.endswith("/"):
                target = target / "index.html"
            assert target.exists(), f"{rel}: broken link {href}"
        if rel in ("notation/", "derivations/d1-single-kernel/"):
            name = rel.strip("/").replace("/", "-") + ".png"
            page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        report.append((rel, problems))
        context.close()
    failures = [f"{rel}: {p}" for rel, problems in report for p in problems]
    assert not failures, "\n".join(failures)


CHAPTER_JS = """() => {
  const article = document.querySelector('article');
  const details = [...article.querySelectorAll('details')];
  const summary = d => d.querySelector('summary').textContent.trim();
  const figures = [...article.querySelectorAll('figure.cnnref-figure svg')];
  const smallest = Math.min(...figures.flatMap(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll('text')].map(
      t => parseFloat(t.getAttribute('font-size')) * scale);
  }));
  const rgb = c => c.match(/[0-9.]+/g).slice(0, 3).map(Number);
  const light = c => { const [r, g, b] = rgb(c); return (0.3 * r + 0.59 * g + 0.11 * b) / 255; };
  const text = figures.length ? figures[0].querySelector('text') : null;
  return {
    figures: figures.length,
    smallestText: smallest,
    figureTextLightness: text ? light(getComputedStyle(text).fill) : null,
    pageTextLightness: light(getComputedStyle(article).color),
    certificates: details.filter(d => summary(d).startsWith('Certificate')).map(d => d.open),
    solutions: details.filter(d => summary(d).startsWith('Solution')).map(d => d.open),
    stepRows: [...article.querySelectorAll('td')].filter(
      td => /^\\(\\d+\\)$/.test(td.textContent.trim())).length,
    notProven: article.textContent.includes('NOT PROVEN'),
    codeBlocks: article.querySelectorAll('pre').length,
    headings: [...article.querySelectorAll('h2')].map(h => h.textContent.replace('¶', '').trim()),
  };
}"""


def _chapter_pages():
    from derivations import registry

    return [f"derivations/{c.slug}/" for c in registry.cases() if c.has("chapter")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chapters_read_as_textbook_sections(browser, base_url, scheme):
    pages = _chapter_pages()
    assert len(pages) >= 6, pages
    for rel in pages:
        context, page, problems = open_page(browser, urljoin(base_url, rel), scheme)
        page.wait_for_function("document.body.dataset.mathTypeset === 'done'", timeout=20000)
        info = page.evaluate(CHAPTER_JS)
        for heading in ("The forward pass", "The derivation", "Exercises"):
            assert heading in info["headings"], (rel, info["headings"])
        assert info["figures"] >= 1, rel
        assert info["smallestText"] >= 10, (rel, info["smallestText"])
        # figure text follows the page's text colour: readable in both schemes
        assert abs(info["figureTextLightness"] - info["pageTextLightness"]) < 0.05, (rel, info)
        assert (info["pageTextLightness"] > 0.5) == (scheme == "dark"), (rel, info)
        assert info["stepRows"] >= 2, rel  # numbered steps, each with its verdict
        assert not info["notProven"], rel
        assert info["certificates"] and not any(info["certificates"]), rel  # collapsed
        assert len(info["solutions"]) >= 2 and not any(info["solutions"]), rel
        assert info["codeBlocks"] == 0, f"{rel}: a code block on a derivation page"
        assert page.locator("mjx-merror").count() == 0, rel
        text = page.evaluate(VISIBLE_TEXT_JS)
        assert "\\frac" not in text and "\\begin" not in text, rel
        assert not problems, problems
        context.close()


def test_search_finds_rot180(browser, base_url):
    context, page, problems = open_page(browser, base_url)
    page.wait_for_load_state("networkidle")  # the search index is loaded by a worker
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("rot180", delay=50)
    page.wait_for_selector(".md-search-result__item", timeout=15000)
    assert page.locator(".md-search-result__item").count() >= 1
    assert not problems, problems
    context.close()


def test_site_build_is_self_contained(site_dir):
    mathjax = site_dir / "assets" / "mathjax" / "tex-svg.js"
    assert mathjax.exists() and mathjax.stat().st_size > 100_000
    # nothing in the built pages points at a CDN
    for html in site_dir.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        for cdn in ("cdn.jsdelivr", "cdnjs.cloudflare", "unpkg.com", "fonts.googleapis"):
            assert cdn not in text, f"{html.relative_to(site_dir)} refers to {cdn}"


@pytest.fixture(scope="module", autouse=True)
def _clean_artifacts():
    yield
    if not any(ARTIFACTS.glob("*")) and ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
