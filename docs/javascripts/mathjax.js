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
      document.body.dataset.mathTypeset = "done";
    })
    .catch((err) => console.error("MathJax typesetting failed:", err));
}

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
