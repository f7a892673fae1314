// The explorer's arithmetic: one convolution layer (cross-correlation, as conv2d computes),
// its gradients, and which entries relate to which. Plain functions of plain arrays, no DOM.
//
// Indices are 0-based and refer to the unpadded arrays: x[r][c] (H x W), w[a][b]
// (kh x kw), y[i][j] and delta[i][j] (Ho x Wo). Window (i, j) reads
// x[sh*i + dh*a - pt][sw*j + dw*b - pl] for every tap (a, b); entries outside x are
// the zero padding.

// ---- configuration ------------------------------------------------------------------

export const DEFAULTS = "input=5x7&kernel=3x2&stride=2x1&padding=1&dilation=1x2";

// "5x7" (or "5×7", as the form's hints write it) -> {text: "5x7", values: [5, 7]};
// "2" -> {text: "2", values: [2]}. The text keeps an ASCII x: it goes into the address.
function parts(text) {
  const ascii = String(text).replaceAll("×", "x");
  const values = ascii.split("x").map((p) => (/^-?\d+$/.test(p.trim()) ? Number(p) : NaN));
  return { text: ascii, values };
}

// How Python prints what the hash means (an int, or a tuple), for error messages that
// match the library's.
function shown(p) {
  return p.values.length === 1 ? String(p.values[0]) : `(${p.values.join(", ")})`;
}

export function parseConfig(hash) {
  const fields = Object.fromEntries(
    DEFAULTS.split("&").map((kv) => kv.split("=")),
  );
  for (const kv of String(hash).replace(/^#/, "").split("&")) {
    const [key, value] = kv.split("=");
    if (key && value !== undefined) fields[key] = decodeURIComponent(value);
  }
  return {
    input: parts(fields.input),
    kernel: parts(fields.kernel),
    stride: parts(fields.stride),
    padding: parts(fields.padding),
    dilation: parts(fields.dilation),
    output_padding: parts(fields.output_padding ?? "0"),
  };
}

export function configHash(cfg) {
  const keys = ["input", "kernel", "stride", "padding", "dilation"];
  const out = keys.map((k) => `${k}=${cfg[k].text}`);
  if (cfg.output_padding.text !== "0") out.push(`output_padding=${cfg.output_padding.text}`);
  return out.join("&");
}

function pair(name, p, minimum) {
  if (!(p.values.length === 1 || p.values.length === 2) || p.values.some(Number.isNaN)) {
    throw new Error(`${name}: expected an int or a pair of ints, got ${p.text}`);
  }
  const v = p.values.length === 1 ? [p.values[0], p.values[0]] : p.values;
  if (Math.min(...v) < minimum) {
    const what = minimum === 1 ? "positive" : `>= ${minimum}`;
    throw new Error(`${name}: expected ints ${what}, got ${shown(p)}`);
  }
  return v;
}

// The layer's geometry, checked in the order cnnref.conv2d checks it, with its messages.
export function geometry(cfg) {
  const stride = pair("stride", cfg.stride, 1);
  const dilation = pair("dilation", cfg.dilation, 1);
  const inp = pair("input", cfg.input, 0);
  const ker = pair("kernel", cfg.kernel, 0);
  if (inp.includes(0) || ker.includes(0)) {
    throw new Error(
      `x, w: expected non-empty channel and spatial axes, got shapes ` +
        `(1, 1, ${inp[0]}, ${inp[1]}) and (1, 1, ${ker[0]}, ${ker[1]})`,
    );
  }
  const p = cfg.padding.values;
  if (![1, 2, 4].includes(p.length) || p.some(Number.isNaN)) {
    throw new Error(`padding: expected an int, a pair or (top, bottom, left, right), got ${cfg.padding.text}`);
  }
  if (Math.min(...p) < 0) {
    throw new Error(`padding: expected non-negative padding, got ${shown(cfg.padding)}`);
  }
  const pads = p.length === 1 ? [p[0], p[0], p[0], p[0]] : p.length === 2 ? [p[0], p[0], p[1], p[1]] : p;
  const [pt, pb, pl, pr] = pads;
  const [H, W] = inp;
  const [kh, kw] = ker;
  const [sh, sw] = stride;
  const [dh, dw] = dilation;
  const Ho = Math.floor((H + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const Wo = Math.floor((W + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  if (Math.min(Ho, Wo) < 1) {
    throw new Error(
      `w: kernel of spatial size (${kh}, ${kw}) (dilated extent (${dh * (kh - 1) + 1}, ` +
        `${dw * (kw - 1) + 1})) is larger than the padded input (${H + pt + pb}, ${W + pl + pr}) of x`,
    );
  }
  const op = pair("output_padding", cfg.output_padding, 0);
  return { H, W, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, Ho, Wo, op };
}

// ---- the numbers ---------------------------------------------------------------------

// A small deterministic generator (32-bit LCG); integers in [lo, hi].
function generator(seed) {
  let state = seed >>> 0;
  return (lo, hi) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return lo + (state % (hi - lo + 1));
  };
}

export function grid(rows, cols, fill) {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => fill(r, c)));
}

// x, w and delta for a geometry: small integers; the kernel is never symmetric under
// rot180 and delta is never uniform, so a missing rotation shows in the numbers.
export function example(g) {
  const next = generator(7 + 31 * g.H + 17 * g.W + 5 * g.kh + 3 * g.kw);
  const x = grid(g.H, g.W, () => next(-3, 3));
  const w = grid(g.kh, g.kw, () => next(-2, 3));
  if (g.kh * g.kw > 1 && w[0][0] === w[g.kh - 1][g.kw - 1]) w[0][0] += 1;
  if (g.kh * g.kw === 1 && w[0][0] === 0) w[0][0] = 2;
  const delta = grid(g.Ho, g.Wo, () => next(-2, 2));
  if (g.Ho * g.Wo > 1 && delta.flat().every((v) => v === delta[0][0])) delta[0][0] += 1;
  return { x, w, delta };
}

// Input row and column that tap (a, b) of window (i, j) reads (may lie in the padding).
export function reads(g, i, j, a, b) {
  return [g.sh * i + g.dh * a - g.pt, g.sw * j + g.dw * b - g.pl];
}

function inside(g, r, c) {
  return r >= 0 && r < g.H && c >= 0 && c < g.W;
}

// Every (i, j, a, b) whose tap reads an input entry (not padding).
export function taps(g) {
  const out = [];
  for (let i = 0; i < g.Ho; i++)
    for (let j = 0; j < g.Wo; j++)
      for (let a = 0; a < g.kh; a++)
        for (let b = 0; b < g.kw; b++) {
          const [r, c] = reads(g, i, j, a, b);
          if (inside(g, r, c)) out.push({ i, j, a, b, r, c });
        }
  return out;
}

export function forward(g, x, w) {
  const y = grid(g.Ho, g.Wo, () => 0);
  for (const t of taps(g)) y[t.i][t.j] += w[t.a][t.b] * x[t.r][t.c];
  return y;
}

// dL/dx and dL/dw by the chain rule, tap by tap (the definition, not the formula).
export function gradients(g, x, w, delta) {
  const dx = grid(g.H, g.W, () => 0);
  const dw = grid(g.kh, g.kw, () => 0);
  for (const t of taps(g)) {
    dx[t.r][t.c] += delta[t.i][t.j] * w[t.a][t.b];
    dw[t.a][t.b] += delta[t.i][t.j] * x[t.r][t.c];
  }
  return { dx, dw };
}

// ---- the input gradient as a transposed convolution -------------------------------------

// D = pad(dilate_s(delta)) with d(k-1) - p at the top/left: D[u][v] = delta[i][j] where
// u = sh*i + Pt, v = sw*j + Pl; H + dh(kh-1) rows, so that a valid correlation with the
// dilated kernel returns H x W. Rows of D below its last delta row are the bottom padding
// d(k-1) - pb plus the stride remainder.
export function dilatedPadded(g, delta) {
  const Pt = g.dh * (g.kh - 1) - g.pt;
  const Pl = g.dw * (g.kw - 1) - g.pl;
  const rows = g.H + g.dh * (g.kh - 1);
  const cols = g.W + g.dw * (g.kw - 1);
  const D = grid(rows, cols, () => 0);
  const source = grid(rows, cols, () => null);
  for (let i = 0; i < g.Ho; i++)
    for (let j = 0; j < g.Wo; j++) {
      const u = g.sh * i + Pt;
      const v = g.sw * j + Pl;
      if (u >= 0 && u < rows && v >= 0 && v < cols) {
        D[u][v] = delta[i][j];
        source[u][v] = [i, j];
      }
    }
  return { D, source, Pt, Pl, rows, cols };
}

export function rot180(w) {
  return w.map((row) => row.slice().reverse()).reverse();
}

// One step of the sliding window: entry (r, c) of dL/dx = sum over (a', b') of
// D[r + dh a'][c + dw b'] * rot180(w)[a'][b'].
export function slide(g, Dp, w, r, c) {
  const k = rot180(w);
  const terms = [];
  let total = 0;
  for (let a = 0; a < g.kh; a++)
    for (let b = 0; b < g.kw; b++) {
      const u = r + g.dh * a;
      const v = c + g.dw * b;
      const value = Dp.D[u][v] * k[a][b];
      total += value;
      terms.push({ a, b, u, v, d: Dp.D[u][v], k: k[a][b], from: Dp.source[u][v] });
    }
  return { total, terms };
}

// Rows (and columns) of x that no window reads: their gradient is zero for every delta.
export function unread(g) {
  const rows = new Set();
  const cols = new Set();
  for (let i = 0; i < g.Ho; i++) for (let a = 0; a < g.kh; a++) rows.add(g.sh * i + g.dh * a - g.pt);
  for (let j = 0; j < g.Wo; j++) for (let b = 0; b < g.kw; b++) cols.add(g.sw * j + g.dw * b - g.pl);
  return {
    rows: [...Array(g.H).keys()].filter((r) => !rows.has(r)),
    cols: [...Array(g.W).keys()].filter((c) => !cols.has(c)),
  };
}

// Why a row gets no gradient: after the last window (a stride remainder), before the first,
// or in a gap between windows (stride larger than the dilated kernel).
export function unreadReason(g, r, axis = "row") {
  const [s, d, k, p, n] = axis === "row" ? [g.sh, g.dh, g.kh, g.pt, g.Ho] : [g.sw, g.dw, g.kw, g.pl, g.Wo];
  const last = s * (n - 1) + d * (k - 1) - p;
  if (r > last) return `after the last window (it ends at ${axis} ${last}): a stride remainder`;
  return `between the taps of the windows (stride ${s}, dilation ${d}): no s·i + d·a equals ${r} + ${p}`;
}

// ---- relations, for the selection ---------------------------------------------------------

// Cells related to a selected cell, as names like the page's gridcells: "x[r,c]", "w[a,b]",
// "y[i,j]", "δ[i,j]", "∂L/∂x[r,c]", "∂L/∂w[a,b]".
export function related(g, name) {
  const m = /^(x|w|y|δ|∂L\/∂x|∂L\/∂w)\[(\d+),(\d+)\]$/.exec(name);
  if (!m) return new Set();
  const [kind, p, q] = [m[1], Number(m[2]), Number(m[3])];
  const out = new Set([name]);
  for (const t of taps(g)) {
    if ((kind === "x" || kind === "∂L/∂x") && t.r === p && t.c === q) {
      out.add(`y[${t.i},${t.j}]`).add(`δ[${t.i},${t.j}]`).add(`w[${t.a},${t.b}]`);
      out.add(`x[${p},${q}]`).add(`∂L/∂x[${p},${q}]`);
    }
    if ((kind === "w" || kind === "∂L/∂w") && t.a === p && t.b === q) {
      out.add(`x[${t.r},${t.c}]`).add(`δ[${t.i},${t.j}]`);
      out.add(`w[${p},${q}]`).add(`∂L/∂w[${p},${q}]`);
    }
    if ((kind === "y" || kind === "δ") && t.i === p && t.j === q) {
      out.add(`x[${t.r},${t.c}]`).add(`w[${t.a},${t.b}]`);
      out.add(`y[${p},${q}]`).add(`δ[${p},${q}]`);
    }
  }
  if (kind === "x" || kind === "∂L/∂x") out.add(`x[${p},${q}]`).add(`∂L/∂x[${p},${q}]`);
  if (kind === "w" || kind === "∂L/∂w") out.add(`w[${p},${q}]`).add(`∂L/∂w[${p},${q}]`);
  if (kind === "y" || kind === "δ") out.add(`y[${p},${q}]`).add(`δ[${p},${q}]`);
  return out;
}

// The gradient of a selected x or w entry written as its sum of products.
export function gradientTerms(g, name, x, w, delta) {
  const m = /^(x|w|∂L\/∂x|∂L\/∂w)\[(\d+),(\d+)\]$/.exec(name);
  if (!m) return null;
  const [kind, p, q] = [m[1].replace("∂L/∂", ""), Number(m[2]), Number(m[3])];
  const terms = [];
  for (const t of taps(g)) {
    if (kind === "x" && t.r === p && t.c === q) {
      terms.push({ label: `δ[${t.i},${t.j}]·w[${t.a},${t.b}]`, a: delta[t.i][t.j], b: w[t.a][t.b] });
    }
    if (kind === "w" && t.a === p && t.b === q) {
      terms.push({ label: `δ[${t.i},${t.j}]·x[${t.r},${t.c}]`, a: delta[t.i][t.j], b: x[t.r][t.c] });
    }
  }
  const total = terms.reduce((s, t) => s + t.a * t.b, 0);
  return { kind, p, q, terms, total };
}
