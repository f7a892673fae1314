"""The built site in a real browser: offline, math typeset, figures shown, links resolve.

Builds the site, serves it on 127.0.0.1, and drives Debian's chromium
(headless) with Playwright. Every request to another host is aborted, so a
page that needs the internet fails here. Skipped when chromium or Playwright
is missing, unless CNNREF_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import sys
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from . import site_build
from .browser import launched, served

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "build" / "test-artifacts"
RAW_TEX = ("\\frac", "\\sum", "$$", "\\operatorname", "\\partial")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_dir() -> Path:
    return site_build.built()


@pytest.fixture(scope="module")
def base_url(site_dir):
    with served(site_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with launched() as chromium:
        yield chromium


def site_pages(site_dir: Path) -> list[str]:
    pages = []
    for html in sorted(site_dir.rglob("index.html")):
        rel = html.relative_to(site_dir).parent.as_posix()
        if rel.startswith("assets"):
            continue
        pages.append("" if rel == "." else rel + "/")
    return pages


def open_page(browser, url: str, scheme: str = "light", wait_until: str = "load"):
    """Load ``url`` with outside requests aborted; return (context, page, problems list).

    ``wait_until="commit"`` returns as soon as the page starts to arrive: the
    browser goes on loading it while the caller does other work.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
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
    page.goto(url, wait_until=wait_until)
    return context, page, problems


MATH_SELECTOR = ".arithmatex, .jp-RenderedMarkdown, .jp-RenderedLatex"

VISIBLE_TEXT_JS = """() => {
  const clone = document.querySelector('article').cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container').forEach(e => e.remove());
  return clone.textContent;
}"""


# Every typeset formula (all details opened): its rendered box, its scale
# against its natural size (MathJax sizes an SVG in ex of the surrounding text;
# a CSS rule that squeezes it shows as a scale below 1), and whether it fits
# the column or sits in a box that scrolls sideways within the window; the
# text size; and whether the page itself runs wider than the window.
MATH_SIZES_JS = """() => {
  // details are opened for the measurement and closed again after it: a page with
  // thousands of open formulas takes most of a minute to change palette
  const closed = [...document.querySelectorAll('details')].filter((d) => !d.open);
  closed.forEach((d) => { d.open = true; });
  const article = document.querySelector('article');
  const column = article.getBoundingClientRect();
  const view = document.documentElement.clientWidth;
  const font = parseFloat(getComputedStyle(article).fontSize);
  const scrolls = (el) => {
    for (let a = el.parentElement; a && a !== article.parentElement; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if ((o === 'auto' || o === 'scroll') && a.scrollWidth > a.clientWidth) {
        const r = a.getBoundingClientRect();
        return r.left >= -1 && r.right <= view + 1;
      }
    }
    return false;
  };
  // Reads first, then one probe per font size: a probe per formula would lay
  // the page out again for each of the hundreds of formulas of a derivation.
  const boxes = [...document.querySelectorAll('article mjx-container')].filter(
    (box) => box.querySelector('svg'));
  const rects = boxes.map((box) => box.querySelector('svg').getBoundingClientRect());
  const fonts = boxes.map((box) => getComputedStyle(box).fontSize);
  const exOf = {};
  boxes.forEach((box, i) => {
    if (fonts[i] in exOf) return;
    const probe = document.createElement('span');
    probe.style.cssText = 'display:inline-block;width:100ex;height:0;position:absolute';
    box.appendChild(probe);
    exOf[fonts[i]] = probe.getBoundingClientRect().width / 100;
    probe.remove();
  });
  const equations = boxes.map((box, i) => {
    const svg = box.querySelector('svg');
    const r = rects[i];
    const natural = parseFloat(svg.getAttribute('width')) * exOf[fonts[i]];
    let where = '';
    for (let e = box; e && !where; e = e.previousElementSibling || e.parentElement) {
      if (/^H[1-4]$/.test(e.tagName)) where = e.id;
    }
    return {
      index: i, where: where, display: box.getAttribute('display') === 'true',
      height: r.height, width: r.width, scale: natural > 0 ? r.width / natural : 0,
      fits: (r.left >= column.left - 1 && r.right <= column.right + 1) || scrolls(svg),
    };
  });
  const result = {
    font: font, equations: equations, scheme: document.body.dataset.mdColorScheme,
    // how far the content column reaches, overflowing formulas included (the
    // theme's sidebars slide in after a resize and are not measured)
    pageWidth: (() => {
      const content = document.querySelector('.md-content');
      return content.getBoundingClientRect().left + content.scrollWidth;
    })(),
    viewWidth: view,
  };
  closed.forEach((d) => { d.open = false; });
  return result;
}"""
# The smallest text of the explainer pages' diagrams, in rendered pixels.
DIAGRAM_TEXT_JS = """() => Math.min(...[...document.querySelectorAll('.cnnref-diagram svg')].map(
  (svg) => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return Math.min(...[...svg.querySelectorAll('text')].map(
      (t) => parseFloat(getComputedStyle(t).fontSize) * scale));
  }))"""
WIDTHS = (1280, 420)
SCHEMES = {"light": "default", "dark": "slate"}


def math_problems(rel: str, width: int, sizes: dict) -> list[str]:
    """What is wrong with the formulas of one page at one width, in words."""
    found = []
    if sizes["pageWidth"] > sizes["viewWidth"] + 1:
        found.append(f"content reaches {sizes['pageWidth']:.0f} px in a {width} px window")
    for eq in sizes["equations"]:
        kind = "display" if eq["display"] else "inline"
        name = f"{kind} formula {eq['index']} (after #{eq['where']})"
        if eq["scale"] < 0.98:
            found.append(f"{name} shrunk to {eq['scale']:.2f} of its size")
        if eq["display"] and eq["height"] < 0.8 * sizes["font"]:
            found.append(f"{name} is {eq['height']:.1f} px high, text {sizes['font']} px")
        if not eq["fits"]:
            found.append(f"{name} runs out of the column and does not scroll")
    return [f"{rel} at {width} px: {p}" for p in found]


def check_page(page, rel: str, site_dir: Path) -> None:
    """Math typeset without errors, no raw TeX, notebook figures loaded, links resolve."""
    has_math = page.locator(".arithmatex").count() > 0 or "$" in page.inner_text("article")
    if has_math:
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
        code = page.evaluate(
            "() => [...document.querySelectorAll('article pre')].map(p => p.textContent).join()"
        )
        assert "plt." not in code, f"{rel}: plotting code shown (tag its cell hide-input)"
        # at the desktop width every line of shown code fits the column
        wide = page.evaluate(
            "() => [...document.querySelectorAll('article pre')]"
            ".filter(p => p.scrollWidth > p.clientWidth + 1)"
            ".map(p => p.textContent.split('\\n').reduce((a, b) => a.length > b.length ? a : b))"
        )
        assert not wide, f"{rel}: code lines wider than the column: {wide[:3]}"
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


SCREENSHOTS = ("notation/", "transposed/", "general-conv/")
# The reader's toggle in the header ("Switch to dark mode" / "... light mode"), clicked.
TOGGLE = """(scheme) => {
  const input = scheme === 'dark' ? '__palette_1' : '__palette_0';
  document.querySelector(`form[data-md-component=palette] label[for="${input}"]`).click();
}"""


def measure(page, rel: str, scheme: str, widths=WIDTHS) -> list[str]:
    """The formulas of the open page at each width, in the palette shown now."""
    problems = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": 900})
        # wide inline formulas are marked again after a resize (javascripts/mathjax.js)
        page.wait_for_function(f"document.body.dataset.mathWidth === '{width}'")
        sizes = page.evaluate(MATH_SIZES_JS)
        assert sizes["scheme"] == SCHEMES[scheme], f"{rel}: not in {scheme} mode"
        problems += math_problems(f"{rel} ({scheme})", width, sizes)
        if page.locator(".cnnref-diagram").count():
            smallest = page.evaluate(DIAGRAM_TEXT_JS)
            if smallest < 10:
                problems.append(f"{rel} at {width} px: diagram text {smallest:.1f} px")
        if rel in SCREENSHOTS:
            name = f"{rel.strip('/').replace('/', '-')}-{width}-{scheme}.png"
            page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    return problems


def test_every_page_renders_offline(browser, base_url, site_dir):
    """Every page at 1280 px light and dark (the reader's toggle) and at 420 px."""
    pages = site_pages(site_dir)
    assert len(pages) >= 5, pages
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chapters = set(_chapter_pages())
    assert len(chapters) >= 6 and chapters <= set(pages), chapters
    problems: list[str] = []
    # The next page loads and typesets in its own renderer while this one is measured.
    upcoming = open_page(browser, urljoin(base_url, pages[0]), wait_until="commit")
    for k, rel in enumerate(pages):
        context, page, requests = upcoming
        if k + 1 < len(pages):
            upcoming = open_page(browser, urljoin(base_url, pages[k + 1]), wait_until="commit")
        page.wait_for_load_state("load")
        page.wait_for_function("document.body.dataset.mathTypeset === 'done'", timeout=30000)
        check_page(page, rel, site_dir)
        # one resize per page (a long page relays out slowly): light and dark at 1280 px,
        # then dark at 420 px. The palette changes colours, not the layout, so light at
        # 420 px is measured only where a screenshot of it is kept.
        problems += measure(page, rel, "light", WIDTHS[:1])
        if rel in chapters:
            problems += chapter_problems(page, rel, "light")
        page.evaluate(TOGGLE, "dark")
        if rel in chapters:
            problems += chapter_problems(page, rel, "dark")
        problems += measure(page, rel, "dark", WIDTHS)
        if rel in SCREENSHOTS:
            page.evaluate(TOGGLE, "light")
            problems += measure(page, rel, "light", WIDTHS[1:])
        problems += [f"{rel}: {p}" for p in requests]
        context.close()
    assert not problems, "\n".join(problems[:40])


def test_dark_preference_opens_dark(browser, base_url):
    """A reader whose system prefers dark gets the dark palette, formulas measured."""
    context, page, problems = open_page(browser, urljoin(base_url, "notation/"), "dark")
    page.wait_for_function("document.body.dataset.mathTypeset === 'done'", timeout=30000)
    assert not measure(page, "notation/", "dark")
    assert not problems, problems
    context.close()


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


def _chapter_pages() -> list[str]:
    from derivations import registry

    return [f"derivations/{c.slug}/" for c in registry.cases() if c.has_chapter]


def chapter_problems(page, rel: str, scheme: str) -> list[str]:
    """A derivation chapter reads as a textbook section, in the palette shown now."""
    info = page.evaluate(CHAPTER_JS)
    checks = {
        "a section is missing": all(
            h in info["headings"] for h in ("The forward pass", "The derivation", "Exercises")
        ),
        "no figure": info["figures"] >= 1,
        f"figure text {info['smallestText']:.1f} px": info["smallestText"] >= 10,
        # figure text follows the page's text colour: readable in both schemes
        "figure text not in the page's colour": (
            info["figureTextLightness"] is not None
            and abs(info["figureTextLightness"] - info["pageTextLightness"]) < 0.05
        ),
        f"not in {scheme} mode": (info["pageTextLightness"] > 0.5) == (scheme == "dark"),
        "fewer than two numbered steps": info["stepRows"] >= 2,
        "a statement NOT PROVEN": not info["notProven"],
        "certificates missing or open": bool(info["certificates"])
        and not any(info["certificates"]),
        "fewer than two collapsed solutions": len(info["solutions"]) >= 2
        and not any(info["solutions"]),
        "a code block on a derivation page": info["codeBlocks"] == 0,
    }
    return [f"{rel} ({scheme}): {what}" for what, ok in checks.items() if not ok]


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


def test_docstring_cross_references_read_as_names(site_dir):
    """``:func:`x``` in a docstring is shown as ``x`` in code, linked when the page has it."""
    raw = re.compile(r":(func|meth|class|mod|data|attr|exc|obj):<code>")
    for html in site_dir.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        found = raw.search(text)
        assert not found, f"{html.relative_to(site_dir)}: {text[found.start() : found.end() + 40]}"
    api = (site_dir / "api" / "index.html").read_text(encoding="utf-8")
    # ConvTranspose2D's docstring names cnnref.conv_transpose2d, documented on the same page;
    # gradcheck_layer's names the function gradcheck, not the module of the same name
    for link in (
        '<a href="#cnnref.conv.conv_transpose2d"><code>cnnref.conv_transpose2d</code></a>',
        '<a href="#cnnref.gradcheck.gradcheck"><code>gradcheck</code></a>',
    ):
        assert link in api, link
    # every link into the page lands on an object it documents
    ids = set(re.findall(r'\bid="(cnnref[\w.]*)"', api))
    targets = set(re.findall(r'href="#(cnnref[\w.]*)"', api))
    assert targets and targets <= ids, sorted(targets - ids)


@pytest.fixture(scope="module", autouse=True)
def _clean_artifacts():
    yield
    if not any(ARTIFACTS.glob("*")) and ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS, ignore_errors=True)


def test_pdf_holds_every_chapter(browser, site_dir):
    """`make pdf`'s book: one section per page of the navigation, each title in the text.

    Typesetting and printing the whole site takes minutes: run with CNNREF_PDF=1.
    """
    import re

    if os.environ.get("CNNREF_PDF") != "1":
        pytest.skip("the whole-site PDF takes minutes to print; CNNREF_PDF=1 runs it")
    pypdf = pytest.importorskip("pypdf")
    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    try:
        import book
    finally:
        sys.path.pop(0)
    html = (site_dir / "print.html").read_text(encoding="utf-8")
    titles = re.findall(r'<section class="cnnref-chapter" data-title="([^"]*)"', html)
    assert len(titles) >= 20, titles
    reader = pypdf.PdfReader(book.print_pdf(site_dir, browser))
    assert len(reader.pages) >= len(titles)
    squeeze = functools.partial(re.sub, r"\s+", "")
    text = squeeze("".join(page.extract_text() for page in reader.pages))
    missing = [t for t in titles if squeeze(unescape(t)) not in text]
    assert not missing, f"chapter titles not found in the PDF: {missing}"
