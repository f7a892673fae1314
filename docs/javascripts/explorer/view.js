// The explorer page: controls, the six grids, selection, and the step-through of the
// input gradient as a transposed convolution. The arithmetic is in model.js.

import {
  configHash,
  dilatedPadded,
  example,
  forward,
  geometry,
  gradients,
  gradientTerms,
  parseConfig,
  related,
  rot180,
  slide,
  unread,
  unreadReason,
} from "./model.js";

const root = document.getElementById("cnnref-explorer");
const FIELDS = ["input", "kernel", "stride", "padding", "dilation", "output_padding"];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

// A grid of gridcells named `${name}[r,c]`, optionally framed by padding cells.
function gridView(title, name, values, pads = [0, 0, 0, 0], marks = {}) {
  const [pt, pb, pl, pr] = pads;
  const rows = values.length;
  const cols = rows ? values[0].length : 0;
  const grid = el("div", { role: "grid", class: "cx-grid", "aria-label": title });
  grid.style.gridTemplateColumns = `repeat(${cols + pl + pr}, 2.6em)`;
  for (let r = -pt; r < rows + pb; r++) {
    const row = el("div", { role: "row", class: "cx-row" });
    for (let c = -pl; c < cols + pr; c++) {
      if (r < 0 || r >= rows || c < 0 || c >= cols) {
        row.append(el("div", { class: "cx-cell cx-pad", "aria-hidden": "true", text: "0" }));
        continue;
      }
      const label = `${name}[${r},${c}]`;
      const cell = el("div", {
        role: "gridcell",
        tabindex: "0",
        class: "cx-cell",
        "aria-label": label,
        "aria-selected": "false",
        "data-name": label,
        text: String(values[r][c]),
      });
      if (marks.rows?.includes(r) || marks.cols?.includes(c)) cell.classList.add("cx-zero");
      row.append(cell);
    }
    grid.append(row);
  }
  return el("figure", { class: "cx-figure" }, grid, el("figcaption", { text: title }));
}

function controls(cfg) {
  const form = el("form", { class: "cx-controls", "aria-label": "Configuration" });
  const help = {
    input: "H×W",
    kernel: "kh×kw",
    stride: "N or H×W",
    padding: "N, H×W or T×B×L×R",
    dilation: "N or H×W",
    output_padding: "N or H×W",
  };
  for (const key of FIELDS) {
    const id = `cx-${key}`;
    const input = el("input", { id, name: key, value: cfg[key].text, size: "8" });
    form.append(el("label", { for: id, text: `${key.replace("_", " ")} (${help[key]})` }), input);
  }
  form.append(el("button", { type: "submit", text: "Show" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = parseConfig(FIELDS.map((k) => `${k}=${data.get(k).trim()}`).join("&"));
    window.location.hash = configHash(next);
  });
  return form;
}

function select(name, g, numbers) {
  const chosen = related(g, name);
  for (const cell of root.querySelectorAll(".cx-main [role=gridcell]")) {
    cell.setAttribute("aria-selected", chosen.has(cell.dataset.name) ? "true" : "false");
  }
  const info = root.querySelector("#cx-info");
  const sum = gradientTerms(g, name, numbers.x, numbers.w, numbers.delta);
  if (sum) {
    const lhs = `∂L/∂${sum.kind}[${sum.p},${sum.q}]`;
    const rhs = sum.terms.length
      ? sum.terms.map((t) => `${t.label} = ${t.a}·${t.b}`).join(" + ")
      : "no term: no window reads it";
    info.textContent = `${lhs} = ${rhs} = ${sum.total}`;
  } else {
    info.textContent = `${name}: its window is marked in x and the taps in w.`;
  }
}

function stepper(g, numbers, dx) {
  const Dp = dilatedPadded(g, numbers.delta);
  const k = rot180(numbers.w);
  const none = unread(g);
  const box = el("section", { class: "cx-steps", "aria-label": "The input gradient, step by step" });
  const status = el("p", { id: "cx-step-status", "aria-live": "polite" });
  const filled = dx.map((row) => row.map(() => "·"));
  const dView = () =>
    gridView(
      `D = δ dilated by the stride (${g.sh}, ${g.sw}), padded by d(k−1)−p = (${Dp.Pt}, ${Dp.Pl}) at the top and left`,
      "D",
      Dp.D,
    );
  const kView = gridView("rot180(w): the kernel read backwards", "rot180(w)", k);
  const outView = () => gridView("D ⋆ rot180(w), filled one entry per step", "(D ⋆ rot180 w)", filled, [0, 0, 0, 0], none);
  let step = 0;
  let timer = null;
  const holder = el("div", { class: "cx-row-of-grids" }, dView(), kView, outView());
  const draw = () => {
    holder.replaceChildren(dView(), kView, outView());
    if (step === 0) {
      status.textContent = "Press Step: each step slides rot180(w) over D and fills one entry.";
      return;
    }
    const r = Math.floor((step - 1) / g.W);
    const c = (step - 1) % g.W;
    const s = slide(g, Dp, numbers.w, r, c);
    for (const t of s.terms) {
      holder.querySelector(`[data-name="D[${t.u},${t.v}]"]`)?.classList.add("cx-window");
    }
    const parts = s.terms.filter((t) => t.d !== 0).map((t) => `${t.d}·${t.k}`);
    let text = `∂L/∂x[${r},${c}] = ${parts.length ? parts.join(" + ") : "0"} = ${s.total}`;
    if (none.rows.includes(r)) text += ` — row ${r} is read by no window, ${unreadReason(g, r, "row")}`;
    else if (none.cols.includes(c)) text += ` — column ${c} is read by no window, ${unreadReason(g, c, "column")}`;
    status.textContent = text;
  };
  const advance = () => {
    if (step >= g.H * g.W) return false;
    step += 1;
    const r = Math.floor((step - 1) / g.W);
    const c = (step - 1) % g.W;
    filled[r][c] = String(slide(g, Dp, numbers.w, r, c).total);
    draw();
    return true;
  };
  const buttons = el(
    "div",
    { class: "cx-buttons" },
    el("button", { type: "button", id: "cx-step", text: "Step" }),
    el("button", { type: "button", id: "cx-play", text: "Play" }),
    el("button", { type: "button", id: "cx-reset", text: "Reset" }),
  );
  buttons.querySelector("#cx-step").addEventListener("click", advance);
  buttons.querySelector("#cx-play").addEventListener("click", () => {
    if (timer) return;
    timer = setInterval(() => advance() || (clearInterval(timer), (timer = null)), 600);
  });
  buttons.querySelector("#cx-reset").addEventListener("click", () => {
    clearInterval(timer);
    timer = null;
    step = 0;
    for (const row of filled) row.fill("·");
    draw();
  });
  draw();
  box.append(buttons, status, holder);
  return box;
}

function render() {
  const cfg = parseConfig(window.location.hash || "");
  const error = el("p", { id: "cx-error", role: "alert" });
  root.replaceChildren(controls(cfg), error);
  let g;
  try {
    g = geometry(cfg);
  } catch (err) {
    error.textContent = err.message;
    root.dataset.ready = "error";
    return;
  }
  const numbers = example(g);
  const y = forward(g, numbers.x, numbers.w);
  const { dx, dw } = gradients(g, numbers.x, numbers.w, numbers.delta);
  const none = unread(g);
  const Hp = g.sh * (g.Ho - 1) - g.pt - g.pb + g.dh * (g.kh - 1) + g.op[0] + 1;
  const Wp = g.sw * (g.Wo - 1) - g.pl - g.pr + g.dw * (g.kw - 1) + g.op[1] + 1;
  const summary = el("p", {
    id: "cx-summary",
    text:
      `y has ${g.Ho}×${g.Wo} windows. conv_transpose2d(δ, w) with output_padding ` +
      `(${g.op.join(", ")}) returns ${Hp}×${Wp}; the input gradient is the case whose size is ` +
      `the input's, ${g.H}×${g.W}. Rows with no gradient: ${none.rows.join(", ") || "none"}; ` +
      `columns: ${none.cols.join(", ") || "none"}.`,
  });
  const main = el(
    "div",
    { class: "cx-main cx-row-of-grids" },
    gridView(`x (${g.H}×${g.W}), zero padding shown around it`, "x", numbers.x, [g.pt, g.pb, g.pl, g.pr]),
    gridView(`w (${g.kh}×${g.kw})`, "w", numbers.w),
    gridView(`y = x ⋆ w (${g.Ho}×${g.Wo})`, "y", y),
    gridView("δ = ∂L/∂y", "δ", numbers.delta),
    gridView("∂L/∂x (struck through: read by no window)", "∂L/∂x", dx, [0, 0, 0, 0], none),
    gridView("∂L/∂w", "∂L/∂w", dw),
  );
  const info = el("p", { id: "cx-info", "aria-live": "polite", text: "Select a cell (click, or Enter)." });
  root.append(summary, main, info, stepper(g, numbers, dx));
  main.addEventListener("click", (event) => {
    const cell = event.target.closest("[role=gridcell]");
    if (cell) select(cell.dataset.name, g, numbers);
  });
  main.addEventListener("keydown", (event) => {
    const cell = event.target.closest("[role=gridcell]");
    if (cell && event.key === "Enter") select(cell.dataset.name, g, numbers);
  });
  root.dataset.ready = "yes";
}

window.addEventListener("hashchange", render);
render();
