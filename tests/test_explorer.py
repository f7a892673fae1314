"""The explorer (docs/javascripts/explorer/) in a real browser, against cnnref.

The explorer's modules are served with a bare page (no site build needed) and
driven over many configurations: every number it shows is compared with
cnnref's conv2d and conv2d_backward on the same x, w and δ; the cells it marks
on selection with the index relations computed here; its step-through with the
input gradient; its error messages with cnnref's. Skipped without chromium or
Playwright, unless CNNREF_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest

import cnnref

from .browser import launched, served

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "docs" / "javascripts" / "explorer"
PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="icon" href="data:,"><link rel="stylesheet" href="explorer.css"></head>
<body><div id="cnnref-explorer"></div>
<script type="module" src="view.js"></script></body></html>"""

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explorer")
    for js in SOURCE.glob("*.js"):
        shutil.copy(js, folder / js.name)
    shutil.copy(ROOT / "docs" / "stylesheets" / "explorer.css", folder / "explorer.css")
    (folder / "index.html").write_text(PAGE, encoding="utf-8")
    with served(folder) as url:
        yield url + "index.html"


@pytest.fixture(scope="module")
def browser():
    with launched() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def page(browser, page_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: m.type == "error" and errors.append(m.text))
    pg.goto(page_url, wait_until="load")
    pg.wait_for_function("document.getElementById('cnnref-explorer').dataset.ready")
    pg.errors = errors
    yield pg
    context.close()


def configurations() -> list[dict]:
    """At least 50 settings: stride remainders, dilation, uneven padding, rectangular shapes."""
    out = []
    for n, (h, w, kh, kw, sh, sw, dh, dw) in enumerate(
        itertools.product((4, 7), (5, 6), (1, 3), (2,), (1, 2, 3), (1, 2), (1, 2), (1,))
    ):
        pads = [(0, 0, 0, 0), (1, 1, 1, 1), (1, 2, 0, 1), (2, 0, 1, 0)][n % 4]
        cfg = dict(input=(h, w), kernel=(kh, kw), stride=(sh, sw), pads=pads, dilation=(dh, dw))
        if _fits(cfg):
            out.append(cfg)
    return out


def _fits(cfg) -> bool:
    (h, w), (kh, kw), (dh, dw), (t, b, left, r) = (
        cfg["input"],
        cfg["kernel"],
        cfg["dilation"],
        cfg["pads"],
    )
    return h + t + b >= dh * (kh - 1) + 1 and w + left + r >= dw * (kw - 1) + 1


def _hash(cfg) -> str:
    pair = "x".join
    return (
        f"input={pair(map(str, cfg['input']))}&kernel={pair(map(str, cfg['kernel']))}"
        f"&stride={pair(map(str, cfg['stride']))}&padding={pair(map(str, cfg['pads']))}"
        f"&dilation={pair(map(str, cfg['dilation']))}"
    )


def show(page, hash_: str) -> str:
    page.evaluate("document.getElementById('cnnref-explorer').dataset.ready = ''")
    page.evaluate(f"window.location.hash = {hash_!r}")
    page.wait_for_function("document.getElementById('cnnref-explorer').dataset.ready")
    return page.evaluate("document.getElementById('cnnref-explorer').dataset.ready")


CELLS_JS = """(selector) => Object.fromEntries([...document.querySelectorAll(selector)]
  .map(c => [c.getAttribute('aria-label'), c.textContent]))"""


def read_grids(page) -> dict[str, np.ndarray]:
    cells = page.evaluate(CELLS_JS, ".cx-main [role=gridcell]")
    out: dict[str, dict] = {}
    for label, text in cells.items():
        name, index = label[: label.index("[")], label[label.index("[") + 1 : -1]
        out.setdefault(name, {})[tuple(map(int, index.split(",")))] = float(text)
    arrays = {}
    for name, entries in out.items():
        shape = tuple(max(k[d] for k in entries) + 1 for d in (0, 1))
        arr = np.zeros(shape)
        for k, v in entries.items():
            arr[k] = v
        arrays[name] = arr
    return arrays


def reference(cfg, x, w, delta):
    kw = {"stride": cfg["stride"], "padding": cfg["pads"], "dilation": cfg["dilation"]}
    y = cnnref.conv2d(x[None, None], w[None, None], **kw)[0, 0]
    gx, gw, _ = cnnref.conv2d_backward(delta[None, None], x[None, None], w[None, None], **kw)
    return y, gx[0, 0], gw[0, 0]


def relation(cfg, name) -> set[str]:
    """The cells the explorer must mark when ``name`` is selected, from the index relation."""
    (h, w), (kh, kw), (sh, sw), (dh, dw) = (
        cfg["input"],
        cfg["kernel"],
        cfg["stride"],
        cfg["dilation"],
    )
    top, bottom, left, right = cfg["pads"]
    ho = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1
    wo = (w + left + right - dw * (kw - 1) - 1) // sw + 1
    kind, index = (
        name[: name.index("[")],
        tuple(map(int, name[name.index("[") + 1 : -1].split(","))),
    )
    pairs = {"x": "∂L/∂x", "w": "∂L/∂w", "y": "δ"}
    out = {f"{kind}{list(index)}".replace(" ", ""), f"{pairs[kind]}{list(index)}".replace(" ", "")}
    for i, j, a, b in itertools.product(range(ho), range(wo), range(kh), range(kw)):
        r, c = sh * i + dh * a - top, sw * j + dw * b - left
        if not (0 <= r < h and 0 <= c < w):
            continue
        if kind == "x" and (r, c) == index:
            out |= {f"y[{i},{j}]", f"δ[{i},{j}]", f"w[{a},{b}]"}
        if kind == "w" and (a, b) == index:
            out |= {f"x[{r},{c}]", f"δ[{i},{j}]"}
        if kind == "y" and (i, j) == index:
            out |= {f"x[{r},{c}]", f"w[{a},{b}]"}
    return out


def test_every_number_shown_matches_cnnref(page):
    configs = configurations()
    assert len(configs) >= 50
    assert any(c["pads"][0] != c["pads"][1] for c in configs), "uneven padding"
    remainders = 0
    for cfg in configs:
        assert show(page, _hash(cfg)) == "yes", cfg
        g = read_grids(page)
        y, gx, gw = reference(cfg, g["x"], g["w"], g["δ"])
        remainders += (
            cfg["input"][0]
            + sum(cfg["pads"][:2])
            - 1
            - cfg["dilation"][0] * (cfg["kernel"][0] - 1)
        ) % cfg["stride"][0] != 0
        assert g["y"].shape == y.shape and np.array_equal(g["y"], y), cfg
        assert np.array_equal(g["∂L/∂x"], gx), cfg
        assert np.array_equal(g["∂L/∂w"], gw), cfg
        assert not np.array_equal(g["w"], g["w"][::-1, ::-1]) or g["w"].size == 1, (
            "symmetric kernel"
        )
    assert remainders >= 10
    assert page.errors == []


def test_selection_marks_exactly_the_related_cells(page):
    for cfg in configurations()[::5]:
        show(page, _hash(cfg))
        g = read_grids(page)
        (h, w), (kh, _) = cfg["input"], cfg["kernel"]
        ho, wo = g["y"].shape
        for name in (f"x[{h - 1},{w // 2}]", f"w[{kh - 1},0]", f"y[{ho - 1},{wo - 1}]", "x[0,0]"):
            page.click(f'[data-name="{name}"]')
            marked = set(
                page.evaluate(
                    "[...document.querySelectorAll('.cx-main [aria-selected=true]')]"
                    ".map(c => c.dataset.name)"
                )
            )
            assert marked == relation(cfg, name), (cfg, name)
    # the keyboard: focus a cell and press Enter
    page.focus('[data-name="w[0,0]"]')
    page.keyboard.press("Enter")
    assert page.get_attribute('[data-name="w[0,0]"]', "aria-selected") == "true"
    info = page.text_content("#cx-info")
    assert info.startswith("∂L/∂w[0,0] = ")
    assert float(info.rsplit("=", 1)[1]) == read_grids(page)["∂L/∂w"][0, 0]


# The step button pressed n times in the page (a browser click each costs tens of ms).
STEP_JS = """(n) => {
  const button = document.getElementById('cx-step');
  for (let i = 0; i < n; i++) button.click();
}"""


def test_the_step_through_fills_the_input_gradient(page):
    for cfg in configurations()[1::9]:
        show(page, _hash(cfg))
        g = read_grids(page)
        h, w = cfg["input"]
        page.click("#cx-step")  # one real click; the other steps through the same handler
        page.evaluate(STEP_JS, h * w - 1)
        cells = page.evaluate(CELLS_JS, ".cx-steps [role=gridcell]")
        filled = np.array(
            [[float(cells[f"(D ⋆ rot180 w)[{r},{c}]"]) for c in range(w)] for r in range(h)]
        )
        _, gx, _ = reference(cfg, g["x"], g["w"], g["δ"])
        assert np.array_equal(filled, gx), cfg
        status = page.text_content("#cx-step-status")
        assert status.startswith(f"∂L/∂x[{h - 1},{w - 1}] = ")


def test_rows_no_window_reads_are_named_with_their_reason(page):
    # 5 rows, kernel 1, stride 2: rows 1 and 3 lie between windows; 6 rows, kernel 2,
    # stride 3: row 2 between windows and row 5 after the last one
    show(page, "input=5x6&kernel=1x2&stride=2x1&padding=0&dilation=1")
    assert "Rows with no gradient: 1, 3;" in page.text_content("#cx-summary")
    show(page, "input=6x6&kernel=2&stride=3x1&padding=0&dilation=1")
    assert "Rows with no gradient: 2, 5;" in page.text_content("#cx-summary")
    for _ in range(6 * 5 + 1):
        page.click("#cx-step")
    assert "after the last window" in page.text_content("#cx-step-status")


@pytest.mark.parametrize(
    "hash_, call",
    [
        ("input=3x3&kernel=2&stride=0&padding=0&dilation=1", {"stride": 0}),
        ("input=3x3&kernel=2&stride=1x0&padding=0&dilation=1", {"stride": (1, 0)}),
        ("input=3x3&kernel=2&stride=1&padding=0&dilation=3", {"dilation": 3}),
        ("input=2x3&kernel=4x2&stride=1&padding=0&dilation=1", {"x": (2, 3), "w": (4, 2)}),
    ],
)
def test_invalid_configurations_show_cnnref_s_message(page, hash_, call):
    x = np.zeros((1, 1, *call.pop("x", (3, 3))))
    w = np.zeros((1, 1, *call.pop("w", (2, 2))))
    with pytest.raises(ValueError) as raised:
        cnnref.conv2d(x, w, **call)
    assert show(page, hash_) == "error"
    assert page.text_content("#cx-error") == str(raised.value)


def test_narrow_window_and_dark_mode(browser, page_url):
    context = browser.new_context(viewport={"width": 420, "height": 800}, color_scheme="dark")
    narrow = context.new_page()
    narrow.goto(page_url + "#input=7x6&kernel=3x2&stride=2&padding=1x2x0x1&dilation=2x1")
    narrow.wait_for_function("document.getElementById('cnnref-explorer').dataset.ready")
    overflow = narrow.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, "the page scrolls sideways at 420 px"
    labels = narrow.evaluate(
        "[...document.querySelectorAll('label')].every(l => l.offsetWidth > 0 && l.textContent)"
    )
    assert labels
    context.close()


def test_sizes_written_with_a_times_sign_mean_what_an_x_means(page):
    """The form's hints write H×W: typed that way, a size means what HxW means."""
    assert show(page, "#input=5×7&kernel=3×2&stride=2×1&padding=1&dilation=1×2") == "yes"
    with_times = read_grids(page)
    assert show(page, "#input=5x7&kernel=3x2&stride=2x1&padding=1&dilation=1x2") == "yes"
    with_x = read_grids(page)
    assert with_times.keys() == with_x.keys()
    for name in with_x:
        assert np.array_equal(with_times[name], with_x[name]), name
    assert page.errors == []
