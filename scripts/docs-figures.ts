// Draws the figures of docs/ from the library's own objects (masks, degrees, autodiff Jacobians) into docs/figures/*.svg.
// Run: node scripts/run-ts.mjs scripts/docs-figures.ts            (writes the files)
//      node scripts/run-ts.mjs scripts/docs-figures.ts --check    (exit 1 if a committed figure is stale)
// Every number drawn comes from a seeded AutoregressiveNetwork, so the output is byte-for-byte reproducible.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import {
  Adam, affineFamily, AutoregressiveNetwork, MaskedAutoregressiveFlow, MultivariateNormalDiag, noGrad, Random, splineFamily,
  Standardize, tensor, TransformedDistribution, Chain, Invert, type Bijector, type Tensor, type TransformFamily,
} from '../lib/index.js';
import { gather, reshape } from '../lib/entries/ops.js';
import { splineParametersOf } from '../lib/entries/transforms.js';
import { readCsv } from '../lib/node/files.js';
import { densityPanel, figure, gridOver, scatterPanel, withAxes, type Box } from '../examples/svg.js';

const OUT_DIR = 'docs/figures';

// One colour per degree (0 = grey: a unit that sees no input), reused by every figure so that
// "degree 2" looks the same on every page.
const DEGREE_COLOURS = ['#9e9e9e', '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];
const colour = (m: number): string => DEGREE_COLOURS[m % DEGREE_COLOURS.length];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Rounds coordinates so the files stay small and identical across platforms. */
const r = (v: number): string => String(Math.round(v * 10) / 10);

function text(x: number, y: number, s: string, cls = ''): string {
  return `<text x="${r(x)}" y="${r(y)}"${cls ? ` class="${cls}"` : ''}>${esc(s)}</text>`;
}

// Shared styles keep the files small: c = centred, e = right-aligned, n = a note, t = a title,
// s = a subtitle, z = an exactly-zero cell, and the node states of the walk (done, now, later).
const STYLE = '<style>.c{text-anchor:middle}.e{text-anchor:end}.n{fill:#444}.s{fill:#555}.t{font-size:12px;font-weight:bold}.k{font-size:9px}' +
  '.z{fill:white;stroke:#ddd}.zt{fill:#bbb;text-anchor:middle}.w{fill:white;text-anchor:middle}' +
  '.gd{fill:#d9d9d9;stroke:#999}.gt{fill:#555;text-anchor:middle}.ld{fill:white;stroke:#bbb}.lt{fill:#bbb;text-anchor:middle}</style>';

// Shapes drawn many times, placed with <use>: a node box (narrow, wide) and a Jacobian cell.
const DEFS = '<defs><rect id="b" x="-11" y="-10" width="22" height="20" rx="10"/><rect id="B" x="-23" y="-10" width="46" height="20" rx="10"/>' +
  '<rect id="q" width="26" height="26"/></defs>';

function document(width: number, height: number, body: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="11">\n${STYLE}${DEFS}\n<rect width="100%" height="100%" fill="white"/>\n${body.join('\n')}\n</svg>\n`;
}

// ---- the network every MADE figure shows ------------------------------------------------------
// E = 4 and two hidden layers of 6: 'equal' degrees ⌈k·3/7⌉ = [1, 1, 2, 2, 3, 3], small enough to
// read every mask entry, large enough that each degree 1 … E − 1 appears twice.
const E = 4;
const made = new AutoregressiveNetwork({ params: 2, eventShape: E, hiddenUnits: [6, 6], activation: 'relu', seed: 0 });
const inputDegrees = made.inputOrder;
const hiddenDegrees = made.hiddenDegrees;
const masks = made.masks.map((m) => ({ rows: m.shape[0], cols: m.shape[1], data: m.data }));

/** Subscripted labels: x₁, μ₂, … */
const SUB = '₀₁₂₃₄₅₆₇₈₉';
const sub = (n: number): string => String(n).split('').map((c) => SUB[Number(c)]).join('');

// ---- figure 1: the masks as grids -------------------------------------------------------------
function masksFigure(): string {
  const cell = 18;
  const rowLabels = [
    inputDegrees.map((m, j) => `x${sub(j + 1)}  m=${m}`),
    hiddenDegrees[0].map((m, k) => `h${sub(k + 1)}  m=${m}`),
    hiddenDegrees[1].map((m, k) => `h${sub(k + 1)}  m=${m}`),
  ];
  const colLabels = [
    hiddenDegrees[0].map((m) => String(m)),
    hiddenDegrees[1].map((m) => String(m)),
    Array.from({ length: 2 * E }, (_, c) => `${c % 2 === 0 ? 'μ' : 'α'}${sub(Math.floor(c / 2) + 1)}`),
  ];
  const titles = ['input → hidden 1', 'hidden 1 → hidden 2', 'hidden 2 → output'];
  const rules = ['1 iff m(i) ≤ m(k)', '1 iff m(i) ≤ m(k)', '1 iff m(k) < m(d)'];
  const body: string[] = [];
  let x0 = 70;
  const y0 = 62;
  masks.forEach((mask, l) => {
    body.push(text(x0, 18, titles[l], 't'));
    body.push(text(x0, 32, `M ${mask.rows}×${mask.cols}: ${rules[l]}`, 's'));
    colLabels[l].forEach((label, c) => body.push(text(x0 + c * cell + cell / 2, y0 - 6, label, 'c')));
    const cells: string[] = [];
    for (let i = 0; i < mask.rows; i++) {
      body.push(text(x0 - 4, y0 + i * cell + cell / 2 + 4, rowLabels[l][i], 'e'));
      for (let c = 0; c < mask.cols; c++) {
        if (mask.data[i * mask.cols + c] === 1) cells.push(`<rect x="${r(x0 + c * cell)}" y="${r(y0 + i * cell)}" width="${cell}" height="${cell}"/>`);
      }
    }
    body.push(`<g fill="#1f77b4" fill-opacity="0.8">${cells.join('')}</g>`);
    let grid = '';
    for (let c = 1; c < mask.cols; c++) grid += `M${x0 + c * cell},${y0}v${mask.rows * cell}`;
    for (let i = 1; i < mask.rows; i++) grid += `M${x0},${y0 + i * cell}h${mask.cols * cell}`;
    body.push(`<path d="${grid}" stroke="#ccc" fill="none"/><rect x="${x0}" y="${y0}" width="${mask.cols * cell}" height="${mask.rows * cell}" fill="none" stroke="#444"/>`);
    x0 += mask.cols * cell + 95;
  });
  const width = x0 - 40;
  body.push(text(10, 62 + 6 * cell + 22, `made.masks of new AutoregressiveNetwork({ params: 2, eventShape: ${E}, hiddenUnits: [6, 6] }): filled = 1.`, 'n'));
  body.push(text(10, 62 + 6 * cell + 37, 'Column labels are the degrees m(k); output column d·2 + p is parameter p (μ = shift, α = log-scale) of dimension d.', 'n'));
  return document(width, 62 + 6 * cell + 47, body);
}

// ---- network layout shared by figures 2 and 4 --------------------------------------------------
interface Node { x: number; y: number; m: number; label: string }

/** Rows bottom to top: inputs, hidden 1, hidden 2, outputs (one node per dimension: μ_d and α_d share a mask column). */
function layout(width: number, top: number, rowGap: number): Node[][] {
  const rows: Array<Array<{ m: number; label: string }>> = [
    inputDegrees.map((m, j) => ({ m, label: `x${sub(j + 1)}` })),
    ...hiddenDegrees.map((layer) => layer.map((m) => ({ m, label: String(m) }))),
    inputDegrees.map((m, d) => ({ m, label: `μ${sub(d + 1)},α${sub(d + 1)}` })),
  ];
  const n = rows.length;
  return rows.map((row, l) => row.map((node, k) => ({
    ...node,
    x: (width * (k + 1)) / (row.length + 1),
    y: top + (n - 1 - l) * rowGap,
  })));
}

/** The edges of layer l (from row l to row l + 1) that the masks keep. */
function edges(l: number): Array<[number, number]> {
  const mask = masks[l];
  const out: Array<[number, number]> = [];
  for (let i = 0; i < mask.rows; i++) {
    if (l < masks.length - 1) {
      for (let k = 0; k < mask.cols; k++) if (mask.data[i * mask.cols + k] === 1) out.push([i, k]);
    } else {
      // One node per output dimension: read the mask column of its shift (d·2 + 0).
      for (let d = 0; d < E; d++) if (mask.data[i * mask.cols + 2 * d] === 1) out.push([i, d]);
    }
  }
  return out;
}

/** A node as a rounded box: coloured by degree (`m`), or in one of the walk's states ('gd' earlier, 'ld' later). */
function drawNode(n: Node, state: number | 'gd' | 'ld'): string {
  const box = `<use xlink:href="#${n.label.length > 3 ? 'B' : 'b'}" x="${r(n.x)}" y="${r(n.y)}" `;
  if (typeof state === 'number') return `${box}fill="${colour(state)}" stroke="#333"/>${text(n.x, n.y + 4, n.label, 'w')}`;
  return `${box}class="${state}"/>${text(n.x, n.y + 4, n.label, state === 'gd' ? 'gt' : 'lt')}`;
}

// ---- figure 2: the connections the masks keep -------------------------------------------------
function networkFigure(): string {
  const width = 420;
  const nodes = layout(width, 40, 70);
  const body: string[] = [];
  const rowNames = ['inputs (degree = position in inputOrder)', 'hidden 1 (degree shown)', 'hidden 2 (degree shown)', 'outputs of dimension d'];
  for (let l = 0; l < masks.length; l++) {
    const lines = edges(l).map(([i, k]) => {
      const a = nodes[l][i];
      const b = nodes[l + 1][k];
      return `<line x1="${r(a.x)}" y1="${r(a.y - 10)}" x2="${r(b.x)}" y2="${r(b.y + 10)}" stroke="${colour(a.m)}"/>`;
    });
    body.push(`<g stroke-opacity="0.55">${lines.join('')}</g>`);
  }
  nodes.forEach((row, l) => {
    row.forEach((n) => body.push(drawNode(n, n.m)));
    body.push(text(width + 10, row[0].y + 4, rowNames[l], 'n'));
  });
  body.push(text(10, 290, 'An edge is a 1 in made.masks; its colour is the degree of the unit it leaves. Output d sees input j only', 'n'));
  body.push(text(10, 305, 'through paths whose degrees rise from m(j) and stay below m(d): no path from x_d or any later input.', 'n'));
  return document(width + 270, 315, body);
}

// ---- figure 3: the Jacobian ∂shift_d/∂x_j, computed with backward() -----------------------------
/** J[d][j] = ∂shift_d/∂x_j at `x`, one backward() per output dimension. */
function shiftJacobian(net: AutoregressiveNetwork, x: number[]): number[][] {
  const n = x.length;
  const J: number[][] = [];
  for (let d = 0; d < n; d++) {
    const xt = tensor([x], undefined, { requiresGrad: true });
    const flat = reshape(net.call(xt), [2 * n]); // [1, n, 2] → column d·2 + p
    gather(flat, [2 * d]).sum().backward();
    J.push(Array.from((xt.grad as Tensor).data));
  }
  return J;
}

function jacobianFigure(): string {
  const n = 6;
  const x = [0.3, -1.2, 0.8, 1.5, -0.4, 0.9];
  const panels: Array<{ title: string; sub: string; J: number[][]; rows: number[]; cols: number[]; degrees: number[] }> = [];
  const ltr = new AutoregressiveNetwork({ params: 2, eventShape: n, hiddenUnits: [16, 16], activation: 'tanh', seed: 1 });
  const natural = Array.from({ length: n }, (_, i) => i);
  panels.push({ title: "inputOrder 'left-to-right'", sub: 'rows d, columns j, in index order', J: shiftJacobian(ltr, x), rows: natural, cols: natural, degrees: ltr.inputOrder });
  const rnd = new AutoregressiveNetwork({ params: 2, eventShape: n, hiddenUnits: [16, 16], activation: 'tanh', inputOrder: 'random', seed: 3 });
  const Jr = shiftJacobian(rnd, x);
  const m = rnd.inputOrder;
  panels.push({ title: "inputOrder 'random'", sub: 'the same rows and columns, index order', J: Jr, rows: natural, cols: natural, degrees: m });
  const byDegree = natural.slice().sort((a, b) => m[a] - m[b]);
  panels.push({ title: "'random', sorted by degree", sub: 'rows and columns sorted by m', J: Jr, rows: byDegree, cols: byDegree, degrees: m });

  const cell = 26;
  const body: string[] = [];
  let x0 = 50;
  const y0 = 70;
  for (const p of panels) {
    let peak = 0;
    for (const row of p.J) for (const v of row) peak = Math.max(peak, Math.abs(v));
    body.push(text(x0 - 40, 18, p.title, 't'));
    body.push(text(x0 - 40, 32, p.sub, 's'));
    p.cols.forEach((j, c) => body.push(text(x0 + c * cell + cell / 2, y0 - 20, `x${sub(j + 1)}`, 'c'),
      text(x0 + c * cell + cell / 2, y0 - 7, `m=${p.degrees[j]}`, 'c s k')));
    p.rows.forEach((d, i) => {
      body.push(text(x0 - 4, y0 + i * cell + cell / 2 + 4, `μ${sub(d + 1)}`, 'e'));
      p.cols.forEach((j, c) => {
        const v = p.J[d][j];
        const cx = x0 + c * cell;
        const cy = y0 + i * cell;
        if (v === 0) {
          body.push(text(cx + cell / 2, cy + cell / 2 + 4, '0', 'zt'));
        } else {
          // Shade by |J| relative to the panel's largest entry; the faintest still shows as non-zero.
          const shade = Math.round(205 - 160 * Math.sqrt(Math.abs(v) / peak));
          body.push(`<use xlink:href="#q" x="${cx}" y="${cy}" fill="rgb(${shade},${shade + 15},255)"/>`);
        }
      });
    });
    // The cell borders, drawn once over the filled cells.
    let grid = '';
    for (let i = 1; i < n; i++) grid += `M${x0 + i * cell},${y0}v${n * cell}M${x0},${y0 + i * cell}h${n * cell}`;
    body.push(`<path d="${grid}" stroke="#ddd" fill="none"/><rect x="${x0}" y="${y0}" width="${n * cell}" height="${n * cell}" fill="none" stroke="#444"/>`);
    x0 += n * cell + 90;
  }
  body.push(text(10, y0 + n * cell + 22, '∂μ_d/∂x_j of a MADE (E = 6, hidden [16, 16], tanh) at one point x, each row from one backward(). ' +
    'Blue: non-zero; "0": exactly zero.', 'n'));
  body.push(text(10, y0 + n * cell + 37, 'The zeros are where m(j) ≥ m(d): sorted by degree the Jacobian is strictly lower triangular (α_d has the same pattern).', 'n'));
  return document(x0 - 40, y0 + n * cell + 47, body);
}

// ---- figure 4: the one-pass sampler's walk over the degrees -----------------------------------
// The schedule of flows/made/one-pass-sampler.ts, derived from the same degrees: at step t the output
// of the dimension of degree t is complete (every unit it sees has degree < t), so x of degree t is
// known; then, layer by layer, the hidden units of degree t are complete. Each unit is computed at
// exactly one step, and each kept edge is used at exactly one step (when its lower end completes).
function walkFigure(): string {
  const panelW = 230;
  const gap = 12;
  const body: string[] = [];
  const rowGap = 62;
  const top = 78;
  // Every node is complete at the step equal to its degree: an output of degree t and the input it
  // yields at step t, a hidden unit of degree t right after them (degree-0 units, which see no
  // input, before step 1).
  for (let t = 1; t <= E; t++) {
    const ox = (t - 1) * (panelW + gap);
    const nodes = layout(panelW, top, rowGap).map((row) => row.map((n) => ({ ...n, x: n.x + ox })));
    const d = inputDegrees.indexOf(t);
    body.push(`<rect x="${ox + 2}" y="4" width="${panelW - 4}" height="${top + 3 * rowGap + 24}" fill="#fcfcfc" stroke="#ccc" rx="6"/>`);
    body.push(text(ox + 12, 22, `step t = ${t}`, 't'));
    body.push(text(ox + 12, 37, `x${sub(d + 1)} = u${sub(d + 1)}·exp(α${sub(d + 1)}) + μ${sub(d + 1)}`, 'n'));
    body.push(text(ox + 12, 51, t < E ? `then the units of degree ${t}` : 'done: every unit used once', 's'));
    // Edges used at this step: those leaving a node completed now (an input of degree t, or a hidden unit of degree t).
    for (let l = 0; l < masks.length; l++) {
      const lines = edges(l).filter(([i]) => nodes[l][i].m === t).map(([i, k]) => {
        const a = nodes[l][i];
        const b = nodes[l + 1][k];
        return `<line x1="${r(a.x)}" y1="${r(a.y - 10)}" x2="${r(b.x)}" y2="${r(b.y + 10)}"/>`;
      });
      if (lines.length > 0) body.push(`<g stroke="${colour(t)}" stroke-width="1.4">${lines.join('')}</g>`);
    }
    // Complete at an earlier step: grey; now: the step's colour; later: empty.
    nodes.forEach((row) => row.forEach((n) => body.push(drawNode(n, n.m < t ? 'gd' : n.m === t ? t : 'ld'))));
  }
  const width = E * (panelW + gap) - gap;
  const y = top + 3 * rowGap + 46;
  body.push(text(8, y, `The same network as above (E = ${E}, hidden [6, 6]) sampled in one walk: at step t the dimension of degree t is finished, ` +
    'then the hidden units of degree t, layer by layer.', 'n'));
  body.push(text(8, y + 15, 'Grey: finished earlier; coloured: finished at this step, with the edges it feeds; white: later. ' +
    `The E-pass recursion would recompute all ${hiddenDegrees.flat().length} hidden units ${E} times.`, 'n'));
  return document(width, y + 25, body);
}

// ---- figure 5: one dimension's rational-quadratic spline ---------------------------------------
// A fixed θ (not a trained one, so the figure never moves): K = 5 bins on [−3, 3], read by
// splineFamily exactly as a MAF layer reads a MADE's output for one dimension.
const SPLINE_THETA = [0.4, -0.6, 0.9, -0.2, 0.1, -0.8, 0.7, 0.3, -0.5, 0.6, 0.8, -1.2, 0.5, -0.4];

function splineFigure(): string {
  const family = splineFamily({ bins: 5, bound: 3 });
  const theta = Float64Array.from(SPLINE_THETA);
  const { binWidths, binHeights, knotSlopes } = splineParametersOf(family, theta);
  const xk = [-3];
  const yk = [-3];
  binWidths.forEach((w, k) => xk.push(xk[k] + w));
  binHeights.forEach((h, k) => yk.push(yk[k] + h));
  const slopes = [1, ...knotSlopes, 1];
  const out = new Float64Array(2);
  const lo = -4.5;
  const hi = 4.5;
  const n = 360;
  const us = Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
  const xs: number[] = [];
  const ds: number[] = [];
  for (const u of us) {
    family.forward(u, theta, 0, out);
    xs.push(out[0]);
    ds.push(Math.exp(out[1]));
  }
  const size = 250;
  const top = 48;
  const body: string[] = [];
  const panel = (x0: number, title: string, sub: string, ys: number[], yLo: number, yHi: number, yTicks: number[],
    knots: Array<[number, number]>, guide: (px: (u: number) => number, py: (v: number) => number) => string): void => {
    const px = (u: number): number => x0 + ((u - lo) / (hi - lo)) * size;
    const py = (v: number): number => top + size - ((v - yLo) / (yHi - yLo)) * size;
    body.push(text(x0, 18, title, 't'), text(x0, 33, sub, 's'));
    // The range [−B, B] shaded; outside it the spline is the identity (slope 1).
    body.push(`<rect x="${r(px(-3))}" y="${top}" width="${r(px(3) - px(-3))}" height="${size}" fill="#f3f6fb"/>`);
    let grid = '';
    for (const k of xk) grid += `M${r(px(k))},${top}v${size}`;
    body.push(`<path d="${grid}" stroke="#d5dbe5" stroke-dasharray="3 3" fill="none"/>`);
    body.push(guide(px, py));
    body.push(`<path d="M${us.map((u, i) => `${r(px(u))},${r(py(ys[i]))}`).join('L')}" stroke="#1f77b4" stroke-width="2" fill="none"/>`);
    body.push(knots.map(([u, v]) => `<circle cx="${r(px(u))}" cy="${r(py(v))}" r="3.5" fill="#ff7f0e" stroke="#333"/>`).join(''));
    body.push(`<rect x="${x0}" y="${top}" width="${size}" height="${size}" fill="none" stroke="#444"/>`);
    for (const u of [-4, -3, 0, 3, 4]) body.push(text(px(u), top + size + 14, String(u), 'c'));
    for (const v of yTicks) body.push(text(x0 - 5, py(v) + 4, String(v), 'e'));
    body.push(text(x0 + size / 2, top + size + 30, 'u', 'c'));
  };
  panel(40, 'x = f(u; θ)', 'dots: the knots (x_k, y_k); dashed: the identity', xs, lo, hi, [-4, -3, 0, 3, 4],
    xk.map((u, k) => [u, yk[k]]),
    (px, py) => `<path d="M${r(px(lo))},${r(py(lo))}L${r(px(hi))},${r(py(hi))}" stroke="#999" stroke-dasharray="5 4" fill="none"/>`);
  const dMax = Math.ceil(Math.max(...ds) + 0.5);
  panel(40 + size + 70, 'f′(u; θ) = exp(L)', 'dots: the knot slopes d_k (d_0 = d_K = 1)', ds, 0, dMax,
    Array.from({ length: dMax + 1 }, (_, i) => i), xk.map((u, k) => [u, slopes[k]]),
    (px, py) => `<path d="M${r(px(lo))},${r(py(1))}H${r(px(hi))}" stroke="#999" stroke-dasharray="5 4" fill="none"/>`);
  const y = top + size + 52;
  body.push(text(10, y, `splineFamily({ bins: 5, bound: 3 }) at θ = [${SPLINE_THETA.join(', ')}]: the shaded band is [−B, B];`, 'n'));
  body.push(text(10, y + 15, 'outside it f is the identity. Between knots f is a ratio of quadratics; f and f′ are continuous at every knot.', 'n'));
  return document(40 + 2 * size + 90, y + 25, body);
}

const figures: Record<string, string> = {
  'made-masks.svg': masksFigure(),
  'made-network.svg': networkFigure(),
  'made-jacobian.svg': jacobianFigure(),
  'one-pass-walk.svg': walkFigure(),
  'spline.svg': splineFigure(),
  'banana-before-after.svg': await bananaFigure(),
};

/**
 * The banana before and after: one affine layer (TFP's example) and one spline layer, each driven
 * by a MADE [10] and trained by the same 800 seeded Adam steps of 25 rows, drawn as densities.
 */
async function bananaFigure(): Promise<string> {
  const data = (await readCsv('data/banana_train.csv')).values;
  const test = (await readCsv('data/banana_test.csv')).values;
  const fit = (family: TransformFamily, standardize: boolean, zeroInitOutput: boolean): { flow: TransformedDistribution; nll: number } => {
    const made = new AutoregressiveNetwork({ params: family.params, eventShape: 2, hiddenUnits: [10], activation: 'relu', zeroInitOutput, seed: 42 });
    const members: Bijector[] = standardize ? [new Invert(Standardize.fromData(data)), new MaskedAutoregressiveFlow({ network: made, transform: family })]
      : [new MaskedAutoregressiveFlow({ network: made, transform: family })];
    const flow = new TransformedDistribution({ distribution: new MultivariateNormalDiag({ loc: [0, 0] }), bijector: new Chain(members) });
    const optimizer = new Adam();
    const rng = new Random('banana-figure');
    let order: number[] = [];
    for (let step = 0; step < 800; step++) {
      if (step % 80 === 0) order = rng.permutation(2000); // a fresh pass, as fit shuffles
      const batch = gather(data, order.slice((step % 80) * 25, (step % 80 + 1) * 25));
      const loss = flow.logProb(batch).mean().neg();
      optimizer.zeroGrad(flow.trainableWeights);
      loss.backward();
      optimizer.step(flow.trainableWeights);
    }
    return { flow, nll: noGrad(() => -flow.logProb(test).mean().item()) };
  };
  const affine = fit(affineFamily(), false, false); // TFP's example: glorot output layer, raw data
  const spline = fit(splineFamily({ bins: 10, bound: 6 }), true, true);
  const box: Box = { xMin: -4, xMax: 12, yMin: -8, yMax: 8 };
  const nx = 60;
  const grid = gridOver(box, nx, nx);
  const density = (d: TransformedDistribution): Float64Array => noGrad(() => d.prob(tensor(grid, [nx * nx, 2]))).data;
  // Rounded, so the file is the same on every platform.
  const round = (v: Float64Array): Float64Array => v.map((p) => Number(p.toPrecision(6)));
  return figure([
    scatterPanel('500 training points', data.data.filter((_, k) => k < 1000), box),
    withAxes(densityPanel(`one affine layer: ${affine.nll.toFixed(3)} nats`, round(density(affine.flow)), nx, nx), box),
    withAxes(densityPanel(`one spline layer: ${spline.nll.toFixed(3)} nats`, round(density(spline.flow)), nx, nx), box),
  ], 'MADE [10] each, 800 Adam steps of 25 rows; test NLL (true density: 3.528 nats)');
}

const check = process.argv.includes('--check');
let stale = 0;
await mkdir(OUT_DIR, { recursive: true });
for (const [name, svg] of Object.entries(figures)) {
  const path = `${OUT_DIR}/${name}`;
  if (check) {
    const old = await readFile(path, 'utf8').catch(() => '');
    if (old !== svg) {
      console.error(`${path} is out of date; run npm run docs:figures`);
      stale++;
    }
  } else {
    await writeFile(path, svg);
    console.log(`wrote ${path} (${(svg.length / 1024).toFixed(1)} KB)`);
  }
}
if (stale > 0) process.exit(1);
