// Canvas drawing for the demo page: density heat maps, point clouds, the loss curve and MADE mask grids.
import type { Box } from './data-sets.js';

/**
 * Sizes a canvas for the screen's pixel density and returns its 2-D context, scaled so that
 * drawing code works in CSS pixels (`width × height`) and stays sharp on a high-DPI screen.
 */
export function setupCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const dpr = Math.max(1, Math.round(window.devicePixelRatio || 1));
  canvas.width = width * dpr;
  canvas.height = height * dpr;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error('setupCanvas: this browser gives no 2-D canvas context');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** The CSS-pixel size a canvas was set up with. */
function cssSize(ctx: CanvasRenderingContext2D): { w: number; h: number } {
  const t = ctx.getTransform();
  return { w: ctx.canvas.width / t.a, h: ctx.canvas.height / t.d };
}

/** Data coordinates to CSS pixels: x grows to the right, y upwards (so the canvas's y is flipped). */
export function toPixel(box: Box, w: number, h: number, x: number, y: number): [number, number] {
  return [((x - box.xMin) / (box.xMax - box.xMin)) * w, h - ((y - box.yMin) / (box.yMax - box.yMin)) * h];
}

/** CSS pixels to data coordinates, the inverse of {@link toPixel}. */
export function toData(box: Box, w: number, h: number, px: number, py: number): [number, number] {
  return [box.xMin + (px / w) * (box.xMax - box.xMin), box.yMin + ((h - py) / h) * (box.yMax - box.yMin)];
}

// Viridis at 0, ¼, ½, ¾, 1: dark blue for low density through green to yellow for high, readable in grey too.
const VIRIDIS: ReadonlyArray<readonly [number, number, number]> = [
  [68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37],
];

/** The colour of `v` in [0, 1], by linear interpolation between the viridis anchors. */
export function viridis(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, v)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  const f = t - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

/**
 * A density on an `nx × ny` grid of cell centres (`values[j·nx + i]`, row j counted from the bottom)
 * as a heat map filling the canvas, coloured by `p / max p`. The grid is painted at its own
 * resolution and scaled up with smoothing, which is cheaper than a finer grid and looks the same.
 */
export function drawHeatMap(ctx: CanvasRenderingContext2D, values: ArrayLike<number>, nx: number, ny: number): void {
  const { w, h } = cssSize(ctx);
  let peak = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) peak = Math.max(peak, values[i]);
  const image = new ImageData(nx, ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const v = peak > 0 ? values[j * nx + i] / peak : 0;
      const [r, g, b] = viridis(Number.isFinite(v) ? v : 0);
      const at = 4 * ((ny - 1 - j) * nx + i); // image rows run top-down, grid rows bottom-up
      image.data[at] = r;
      image.data[at + 1] = g;
      image.data[at + 2] = b;
      image.data[at + 3] = 255;
    }
  }
  const small = document.createElement('canvas');
  small.width = nx;
  small.height = ny;
  (small.getContext('2d') as CanvasRenderingContext2D).putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, w, h);
}

/** Fills the canvas with one colour. */
export function clear(ctx: CanvasRenderingContext2D, color = '#fff'): void {
  const { w, h } = cssSize(ctx);
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, w, h);
}

/** Points `xy` (row-major `[n, 2]`, data coordinates) as small translucent dots. */
export function drawPoints(ctx: CanvasRenderingContext2D, xy: ArrayLike<number>, box: Box, color: string, radius = 1.6, alpha = 0.55): void {
  const { w, h } = cssSize(ctx);
  ctx.fillStyle = color;
  ctx.globalAlpha = alpha;
  for (let b = 0; 2 * b + 1 < xy.length; b++) {
    const [px, py] = toPixel(box, w, h, xy[2 * b], xy[2 * b + 1]);
    if (px < 0 || px > w || py < 0 || py > h) continue;
    ctx.beginPath();
    ctx.arc(px, py, radius, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}

/** Light grid lines at the integers, and the axes through 0 a little darker, so scales can be read. */
export function drawAxes(ctx: CanvasRenderingContext2D, box: Box, color = '#000'): void {
  const { w, h } = cssSize(ctx);
  const step = box.xMax - box.xMin > 10 ? 2 : 1;
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  for (let x = Math.ceil(box.xMin / step) * step; x <= box.xMax; x += step) {
    ctx.globalAlpha = x === 0 ? 0.35 : 0.08;
    const [px] = toPixel(box, w, h, x, 0);
    ctx.beginPath();
    ctx.moveTo(px, 0);
    ctx.lineTo(px, h);
    ctx.stroke();
  }
  for (let y = Math.ceil(box.yMin / step) * step; y <= box.yMax; y += step) {
    ctx.globalAlpha = y === 0 ? 0.35 : 0.08;
    const [, py] = toPixel(box, w, h, 0, y);
    ctx.beginPath();
    ctx.moveTo(0, py);
    ctx.lineTo(w, py);
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
}

/** What the loss chart shows: per-step losses, per-epoch means, and an optional floor. */
export interface LossCurve {
  /** The loss of every step, in order; step s of epoch e is drawn at x = e + (s + 1)/steps. */
  stepLosses: number[];
  /** Mean loss of each finished epoch, drawn at x = e + 1. */
  epochLosses: number[];
  /** Optimizer steps per epoch. */
  steps: number;
  /** Epochs planned, the x axis's extent. */
  epochs: number;
  /** The true density's NLL on the data (a dashed line), when known. */
  floor?: number;
}

/**
 * The loss curve: faint per-step losses, the per-epoch means as a line with dots, and the floor
 * dashed. The y range covers the epoch means and the floor, plus the steps' spread once training
 * has settled (the first steps' losses are often far higher and would flatten everything else).
 */
export function drawLossCurve(ctx: CanvasRenderingContext2D, c: LossCurve): void {
  const { w, h } = cssSize(ctx);
  const left = 44;
  const bottom = 22;
  const top = 8;
  const right = 8;
  clear(ctx);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#555';
  if (c.stepLosses.length === 0) {
    ctx.fillText('the loss −log p(x) (nats, mean per point) appears here while training', left, h / 2);
    return;
  }
  const settled = c.stepLosses.slice(Math.min(c.stepLosses.length - 1, c.steps));
  const shown = [...c.epochLosses, ...settled, ...(c.floor === undefined ? [] : [c.floor])].filter(Number.isFinite);
  let lo = Math.min(...shown);
  let hi = Math.max(...shown);
  if (hi - lo < 1e-6) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = 0.05 * (hi - lo);
  [lo, hi] = [lo - pad, hi + pad];
  const X = (epochs: number): number => left + (epochs / Math.max(1, c.epochs)) * (w - left - right);
  const Y = (loss: number): number => top + ((hi - Math.min(hi, Math.max(lo, loss))) / (hi - lo)) * (h - top - bottom);

  // Axes with a few ticks.
  ctx.strokeStyle = '#999';
  ctx.beginPath();
  ctx.moveTo(left, top);
  ctx.lineTo(left, h - bottom);
  ctx.lineTo(w - right, h - bottom);
  ctx.stroke();
  ctx.textAlign = 'right';
  for (let k = 0; k <= 4; k++) {
    const v = lo + (k / 4) * (hi - lo);
    ctx.fillText(v.toFixed(2), left - 4, Y(v) + 4);
  }
  ctx.textAlign = 'center';
  // Epoch ticks at a round step (1, 2, 5, 10, 20, 50, …) giving at most 6 of them.
  const step = [1, 2, 5, 10, 20, 50, 100, 200].find((s) => c.epochs / s <= 5) ?? 500;
  for (let e = 0; e <= c.epochs; e += step) ctx.fillText(String(e), X(e), h - 6);
  ctx.textAlign = 'left';
  ctx.fillText('epoch', w - right - 34, h - bottom - 4);

  if (c.floor !== undefined) {
    ctx.strokeStyle = '#2a9d8f';
    ctx.setLineDash([5, 4]);
    ctx.beginPath();
    ctx.moveTo(left, Y(c.floor));
    ctx.lineTo(w - right, Y(c.floor));
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#2a9d8f';
    ctx.fillText('the true density\'s loss', left + 4, Y(c.floor) + 13);
  }

  ctx.strokeStyle = '#9bb7d4';
  ctx.beginPath();
  c.stepLosses.forEach((loss, s) => {
    const x = X(s / c.steps + 1 / c.steps);
    if (s === 0) ctx.moveTo(x, Y(loss));
    else ctx.lineTo(x, Y(loss));
  });
  ctx.stroke();

  ctx.strokeStyle = '#1d4e89';
  ctx.fillStyle = '#1d4e89';
  ctx.lineWidth = 2;
  ctx.beginPath();
  c.epochLosses.forEach((loss, e) => {
    if (e === 0) ctx.moveTo(X(e + 1), Y(loss));
    else ctx.lineTo(X(e + 1), Y(loss));
  });
  ctx.stroke();
  ctx.lineWidth = 1;
  c.epochLosses.forEach((loss, e) => {
    ctx.beginPath();
    ctx.arc(X(e + 1), Y(loss), 2.5, 0, 2 * Math.PI);
    ctx.fill();
  });
}

/** Optional labels of a mask grid's rows and columns (drawn only where given). */
export interface MaskLabels {
  rows?: readonly string[];
  cols?: readonly string[];
}

/**
 * One MADE mask `[fanIn, fanOut]` as a grid: row i, column k dark when input (or unit) i feeds
 * unit (or output) k. Drawn as stored, so `x · (W ⊙ M)` reads left to right. A side with few
 * entries (the inputs, the outputs) gets wider cells, so that it can carry labels.
 * @param cell - side of one cell in CSS pixels along a side with many entries
 */
export function drawMask(canvas: HTMLCanvasElement, rows: readonly (readonly number[])[], cell: number, labels: MaskLabels = {}): void {
  const fanIn = rows.length;
  const fanOut = fanIn > 0 ? rows[0].length : 0;
  const LABELLED = 16;
  const ch = labels.rows !== undefined ? LABELLED : cell;
  const cw = labels.cols !== undefined ? LABELLED : cell;
  const left = labels.rows !== undefined ? 22 : 0;
  const top = labels.cols !== undefined ? 14 : 0;
  const ctx = setupCanvas(canvas, left + fanOut * cw + 1, top + fanIn * ch + 1);
  clear(ctx, '#fbfaf7');
  for (let i = 0; i < fanIn; i++) {
    for (let k = 0; k < fanOut; k++) {
      ctx.fillStyle = rows[i][k] !== 0 ? '#1d4e89' : '#dfe4ea';
      ctx.fillRect(left + k * cw + 1, top + i * ch + 1, cw - 1, ch - 1);
    }
  }
  ctx.fillStyle = '#1f2933';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  labels.rows?.forEach((label, i) => ctx.fillText(label, left / 2, top + i * ch + ch / 2 + 4));
  labels.cols?.forEach((label, k) => ctx.fillText(label, left + k * cw + cw / 2 + 0.5, top - 3));
  ctx.textAlign = 'left';
}
