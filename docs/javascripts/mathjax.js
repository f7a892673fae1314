// MathJax 3 configuration. The library itself is served from assets/mathjax/
// (copied at build time from an installed package; nothing is fetched from
// the internet). Only the math of Markdown pages (.arithmatex) and of notebook
// cells (.jp-RenderedMarkdown, .jp-RenderedLatex) is typeset: those elements
// are handed to MathJax explicitly (class filters would skip the untagged
// paragraphs inside notebook cells).
let cnnrefMathReady = false;

function cnnrefTypeset() {
  MathJax.typesetClear();
  MathJax.texReset();
  const math = document.querySelectorAll(".arithmatex, .jp-RenderedMarkdown, .jp-RenderedLatex");
  return MathJax.typesetPromise([...math])
    .then(() => {
      cnnrefMarkWide();
      document.body.dataset.mathTypeset = "done";
    })
    .catch((err) => console.error("MathJax typesetting failed:", err));
}

// MathJax 3 does not break lines. An inline formula wider than its line (the
// certificates of the derivation pages have some thousands of pixels) is
// marked, and the stylesheet lets it scroll sideways in a box of its own
// instead of running off the page. Marked again when the window is resized.
function cnnrefMarkWide() {
  document.querySelectorAll("mjx-container:not([display])").forEach((box) => {
    box.removeAttribute("data-wide");
    const svg = box.querySelector("svg");
    const line = box.parentElement && box.parentElement.closest("p, li, td, th, div, dd");
    if (svg && line && svg.getBoundingClientRect().width > line.clientWidth) {
      box.setAttribute("data-wide", "");
    }
  });
  document.body.dataset.mathWidth = String(window.innerWidth);
}

let cnnrefResize = null;
window.addEventListener("resize", () => {
  clearTimeout(cnnrefResize);
  cnnrefResize = setTimeout(cnnrefMarkWide, 100);
});

window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  startup: {
    typeset: false,
    ready() {
      MathJax.startup.defaultReady();
      MathJax.startup.promise.then(() => {
        cnnrefMathReady = true;
        return cnnrefTypeset();
      });
    },
  },
};

// mkdocs-material's instant navigation swaps pages without reloading:
// typeset each new page once MathJax is up.
if (typeof document$ !== "undefined") {
  document$.subscribe(() => {
    if (cnnrefMathReady) {
      cnnrefTypeset();
    }
  });
}
