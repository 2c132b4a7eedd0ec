// A tiny SVG writer for the examples: scatter plots, density heat maps with contour lines, image grids.
// Plain strings, no dependencies, so a reader sees exactly what is drawn.

/** The data-space rectangle a panel shows. */
export interface Box {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** One square panel of a figure: a title and SVG elements drawn in a size×size pixel frame. */
export interface Panel {
  title: string;
  body: string;
  /** The data rectangle the frame shows and the names of its two axes; drawn with ticks when present. */
  axes?: { box: Box; xLabel: string; yLabel: string };
}

const SIZE = 320;

function px(box: Box, x: number, y: number): [number, number] {
  return [((x - box.xMin) / (box.xMax - box.xMin)) * SIZE, SIZE - ((y - box.yMin) / (box.yMax - box.yMin)) * SIZE];
}

/**
 * The cell centres of an `nx × ny` grid over `box`, as [nx·ny, 2] row-major points: point j·nx + i is
 * column i, row j from the bottom, which is the layout {@link densityPanel} reads.
 */
export function gridOver(box: Box, nx: number, ny: number): Float64Array {
  const grid = new Float64Array(nx * ny * 2);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      grid[2 * (j * nx + i)] = box.xMin + ((i + 0.5) / nx) * (box.xMax - box.xMin);
      grid[2 * (j * nx + i) + 1] = box.yMin + ((j + 0.5) / ny) * (box.yMax - box.yMin);
    }
  }
  return grid;
}

/** Points `xy` ([n, 2] row-major) as small dots, with axes named `labels`. */
export function scatterPanel(title: string, xy: ArrayLike<number>, box: Box, color = '#1f77b4', labels: [string, string] = ['x₁', 'x₂']): Panel {
  const dots: string[] = [];
  for (let i = 0; i + 1 < xy.length; i += 2) {
    const [cx, cy] = px(box, xy[i], xy[i + 1]);
    if (cx < 0 || cx > SIZE || cy < 0 || cy > SIZE) continue;
    dots.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="1.3"/>`);
  }
  return { title, body: `<g fill="${color}" fill-opacity="0.45">${dots.join('')}</g>`, axes: { box, xLabel: labels[0], yLabel: labels[1] } };
}

/** `panel` with axes for the data rectangle `box` (e.g. a density panel, whose grid covers `box`). */
export function withAxes(panel: Panel, box: Box, labels: [string, string] = ['x₁', 'x₂']): Panel {
  return { ...panel, axes: { box, xLabel: labels[0], yLabel: labels[1] } };
}

/** About five round tick values (1, 2 or 5 × 10^k apart) within [lo, hi]. */
export function ticks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < 1e-9 * step ? 0 : Number(v.toPrecision(12)));
  return out;
}

/** Tick marks and numbers below and left of the frame, and the axis names. */
function axesSvg(axes: NonNullable<Panel['axes']>): string {
  const { box, xLabel, yLabel } = axes;
  const parts: string[] = [];
  for (const v of ticks(box.xMin, box.xMax)) {
    const [x] = px(box, v, box.yMin);
    parts.push(`<line x1="${x.toFixed(1)}" y1="${SIZE}" x2="${x.toFixed(1)}" y2="${SIZE + 5}" stroke="#666"/>`,
      `<text x="${x.toFixed(1)}" y="${SIZE + 17}" text-anchor="middle" font-size="11" fill="#444">${v}</text>`);
  }
  for (const v of ticks(box.yMin, box.yMax)) {
    const [, y] = px(box, box.xMin, v);
    parts.push(`<line x1="-5" y1="${y.toFixed(1)}" x2="0" y2="${y.toFixed(1)}" stroke="#666"/>`,
      `<text x="-8" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#444">${v}</text>`);
  }
  parts.push(`<text x="${SIZE / 2}" y="${SIZE + 32}" text-anchor="middle" font-size="12">${escape(xLabel)}</text>`,
    `<text transform="translate(-30,${SIZE / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escape(yLabel)}</text>`);
  return `<g class="axes">${parts.join('')}</g>`;
}

/**
 * A density on an `nx × ny` grid of cell centres filling the panel (values[j·nx + i] at column i,
 * row j from the bottom) as a blue heat map with contour lines at the given fractions of its
 * maximum (marching squares). The grid must cover the same box as the panel's other plots.
 */
export function densityPanel(title: string, values: ArrayLike<number>, nx: number, ny: number, levels = [0.05, 0.2, 0.4, 0.6, 0.8]): Panel {
  let peak = 0;
  for (let i = 0; i < values.length; i++) peak = Math.max(peak, values[i]);
  const cw = SIZE / nx;
  const ch = SIZE / ny;
  const cells: string[] = [];
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const v = peak > 0 ? values[j * nx + i] / peak : 0;
      if (v < 0.01) continue;
      const shade = Math.round(255 - 200 * v);
      cells.push(`<rect x="${(i * cw).toFixed(1)}" y="${(SIZE - (j + 1) * ch).toFixed(1)}" width="${(cw + 0.3).toFixed(1)}" height="${(ch + 0.3).toFixed(1)}" fill="rgb(${shade},${shade},255)"/>`);
    }
  }
  const lines: string[] = [];
  for (const level of levels) {
    const t = level * peak;
    for (const [x1, y1, x2, y2] of marchingSquares(values, nx, ny, t)) {
      // Grid coordinates (cell centres at i + 0.5) to pixels.
      lines.push(`M${((x1 + 0.5) * cw).toFixed(1)},${(SIZE - (y1 + 0.5) * ch).toFixed(1)}L${((x2 + 0.5) * cw).toFixed(1)},${(SIZE - (y2 + 0.5) * ch).toFixed(1)}`);
    }
  }
  return { title, body: `${cells.join('')}<path d="${lines.join('')}" stroke="#d62728" stroke-width="1" fill="none"/>` };
}

/** Line segments (in grid coordinates) where the grid crosses `t`, by linear interpolation on cell edges. */
function marchingSquares(v: ArrayLike<number>, nx: number, ny: number, t: number): Array<[number, number, number, number]> {
  const segs: Array<[number, number, number, number]> = [];
  const at = (i: number, j: number): number => v[j * nx + i];
  const lerp = (a: number, b: number): number => (t - a) / (b - a);
  for (let j = 0; j + 1 < ny; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      const a = at(i, j), b = at(i + 1, j), c = at(i + 1, j + 1), d = at(i, j + 1);
      const pts: Array<[number, number]> = [];
      if ((a > t) !== (b > t)) pts.push([i + lerp(a, b), j]);
      if ((b > t) !== (c > t)) pts.push([i + 1, j + lerp(b, c)]);
      if ((c > t) !== (d > t)) pts.push([i + 1 - lerp(c, d), j + 1]);
      if ((d > t) !== (a > t)) pts.push([i, j + 1 - lerp(d, a)]);
      for (let k = 0; k + 1 < pts.length; k += 2) segs.push([pts[k][0], pts[k][1], pts[k + 1][0], pts[k + 1][1]]);
    }
  }
  return segs;
}

/** Grey-scale images (`images[k]` has `h·w` values in [0, 1], row-major) in a grid of `cols` columns. */
export function imageGridPanel(title: string, images: ArrayLike<number>[], h: number, w: number, cols: number): Panel {
  const rows = Math.ceil(images.length / cols);
  const cell = SIZE / Math.max(cols, rows);
  const p = cell / Math.max(h, w);
  const rects: string[] = [];
  images.forEach((img, k) => {
    const ox = (k % cols) * cell;
    const oy = Math.floor(k / cols) * cell;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const g = Math.round(255 * (1 - Math.min(1, Math.max(0, img[r * w + c]))));
        rects.push(`<rect x="${(ox + c * p).toFixed(1)}" y="${(oy + r * p).toFixed(1)}" width="${(p + 0.2).toFixed(1)}" height="${(p + 0.2).toFixed(1)}" fill="rgb(${g},${g},${g})"/>`);
      }
    }
  });
  return { title, body: rects.join('') };
}

/** Panels side by side, each with its title above (and its axes, when it has them), as a complete SVG document. */
export function figure(panels: Panel[], caption = ''): string {
  const pad = 30;
  const left = panels.some((p) => p.axes) ? 45 : pad; // room for the y tick numbers and axis name
  const below = panels.some((p) => p.axes) ? 40 : 0; // room for the x tick numbers and axis name
  const width = panels.length * (SIZE + left) + pad;
  const height = SIZE + 2 * pad + below + (caption ? 20 : 0);
  const parts = panels.map((p, k) => {
    const x = left + k * (SIZE + left);
    return `<g transform="translate(${x},${pad})"><rect width="${SIZE}" height="${SIZE}" fill="white" stroke="#999"/>` +
      `<text x="${SIZE / 2}" y="-10" text-anchor="middle" font-size="14">${escape(p.title)}</text>` +
      `<svg width="${SIZE}" height="${SIZE}" overflow="hidden">${p.body}</svg>${p.axes ? axesSvg(p.axes) : ''}</g>`;
  });
  const cap = caption ? `<text x="${pad}" y="${height - 10}" font-size="12" fill="#444">${escape(caption)}</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="#fafafa"/>${parts.join('')}${cap}</svg>\n`;
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
