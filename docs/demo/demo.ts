// The demo page's script: reads the controls, trains the flow with `fit` in the page, and redraws while it learns.
// fit yields to the event loop after every step, so the page stays live without a Web Worker;
// the redraws below also yield between chunks of work, so no single task blocks the page for long.
import { NonFiniteLossError, tensor, zeros, type Distribution, type Logs } from '../../lib/index.js';
import { DATA_SET_LABELS, DRAWN_BOX, fromStrokes, makeDataSet, type DataSet, type DataSetName } from './data-sets.js';
import { clear, drawAxes, drawHeatMap, drawLossCurve, drawMask, drawPoints, setupCanvas, toData, type LossCurve } from './draw.js';
import { buildFlow, densityGrid, distributionOf, masksOf, samplesOf, type Flow, type FlowSettings } from './model.js';

const POINTS = 1000; // rows per data set
const BATCH_SIZE = 100; // so one epoch is 10 optimizer steps
const PANEL = 300; // side of the three square panels, in CSS pixels
const GRID = 60; // the density is evaluated on a GRID × GRID grid of cell centres
const SAMPLES = 500;
const REDRAW_MS = 200; // at most about five density redraws a second while training

// ---- the page's elements -------------------------------------------------------------------
function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`demo: the page has no element #${id}`);
  return el as T;
}

const ui = {
  dataSet: byId<HTMLSelectElement>('data-set'),
  hidden: byId<HTMLSelectElement>('hidden-units'),
  layers: byId<HTMLInputElement>('flow-layers'),
  layersValue: byId<HTMLOutputElement>('flow-layers-value'),
  learningRate: byId<HTMLSelectElement>('learning-rate'),
  epochs: byId<HTMLInputElement>('epochs'),
  train: byId<HTMLButtonElement>('train'),
  stop: byId<HTMLButtonElement>('stop'),
  clearDrawing: byId<HTMLButtonElement>('clear-drawing'),
  status: byId<HTMLOutputElement>('status'),
  dataCanvas: byId<HTMLCanvasElement>('data'),
  densityCanvas: byId<HTMLCanvasElement>('density'),
  samplesCanvas: byId<HTMLCanvasElement>('samples'),
  lossCanvas: byId<HTMLCanvasElement>('loss'),
  masks: byId<HTMLDivElement>('masks'),
  boxNote: byId<HTMLElement>('box-note'),
};

const ctx = {
  data: setupCanvas(ui.dataCanvas, PANEL, PANEL),
  density: setupCanvas(ui.densityCanvas, PANEL, PANEL),
  samples: setupCanvas(ui.samplesCanvas, PANEL, PANEL),
  loss: setupCanvas(ui.lossCanvas, 2 * PANEL, 200),
};

// ---- state -----------------------------------------------------------------------------------
let dataSet: DataSet = makeDataSet('banana', POINTS);
let flow: Flow = buildFlow(readSettings());
let stroke: number[] = []; // the user's drawing, row-major [m, 2] in DRAWN_BOX coordinates
let training = false;
let curve: LossCurve = { stepLosses: [], epochLosses: [], steps: POINTS / BATCH_SIZE, epochs: readEpochs() };

function readSettings(): FlowSettings {
  return {
    hiddenUnits: ui.hidden.value.split(',').map(Number),
    flowLayers: Number(ui.layers.value),
    learningRate: Number(ui.learningRate.value),
  };
}

function readEpochs(): number {
  const e = Math.round(Number(ui.epochs.value));
  return Number.isFinite(e) ? Math.min(500, Math.max(1, e)) : 50;
}

function setStatus(text: string, state: 'idle' | 'training' | 'done' | 'error', epoch = 0): void {
  ui.status.textContent = text;
  ui.status.dataset.state = state;
  ui.status.dataset.epoch = String(epoch);
  ui.lossCanvas.dataset.epochLosses = JSON.stringify(curve.epochLosses);
}

// ---- drawing ---------------------------------------------------------------------------------
function drawData(): void {
  clear(ctx.data);
  drawAxes(ctx.data, dataSet.box);
  drawPoints(ctx.data, dataSet.points, dataSet.box, '#1d4e89');
  if (dataSet.name === 'drawn' && stroke.length === 0) {
    ctx.data.fillStyle = '#555';
    ctx.data.font = '14px system-ui, sans-serif';
    ctx.data.textAlign = 'center';
    ctx.data.fillText('drag here to draw points', PANEL / 2, PANEL / 2);
    ctx.data.textAlign = 'left';
  }
  const b = dataSet.box;
  ui.boxNote.textContent = `Each panel shows x₁ ∈ [${b.xMin}, ${b.xMax}] across and x₂ ∈ [${b.yMin}, ${b.yMax}] upwards; grid lines every ${b.xMax - b.xMin > 10 ? 2 : 1}.`;
}

/** Redraws the learned density and the samples from the model as it is now. */
async function drawModel(): Promise<void> {
  const distribution: Distribution = distributionOf(flow);
  const values = await densityGrid(distribution, dataSet.box, GRID, GRID);
  drawHeatMap(ctx.density, values, GRID, GRID);
  drawAxes(ctx.density, dataSet.box, '#fff');
  clear(ctx.samples);
  drawAxes(ctx.samples, dataSet.box);
  drawPoints(ctx.samples, dataSet.points, dataSet.box, '#999', 1.2, 0.35);
  drawPoints(ctx.samples, samplesOf(distribution, SAMPLES), dataSet.box, '#e76f51', 1.8, 0.8);
}

/**
 * One group of small grids per MAF layer: the masks of its MADE, `[fanIn, fanOut]` each. The last
 * layer (next to the data) reads (x₁, x₂) in that order; every PermuteTransform before it reverses it.
 */
function drawMasks(): void {
  ui.masks.replaceChildren();
  const K = flow.mades.length;
  const name = (d: number): string => ['x₁', 'x₂'][d];
  const sub = (d: number): string => ['₁', '₂'][d];
  flow.mades.forEach((made, k) => {
    const inputs = (K - 1 - k) % 2 === 1 ? [1, 0] : [0, 1]; // the data dimension behind each MADE input
    const row = document.createElement('figure');
    row.className = 'mask-row';
    const title = document.createElement('figcaption');
    title.textContent = `Layer ${k + 1}${k === K - 1 ? ' (next to the data)' : ''} reads (${inputs.map(name).join(', ')})`;
    const grids = document.createElement('div');
    grids.className = 'mask-grids';
    row.append(title, grids);
    const masks = masksOf(made);
    masks.forEach((rows, l) => {
      const fanIn = rows.length;
      const fanOut = rows[0].length;
      const last = l === masks.length - 1;
      const cell = Math.max(3, Math.min(12, Math.floor(160 / Math.max(fanIn, fanOut))));
      const item = document.createElement('div');
      item.className = 'mask';
      const canvas = document.createElement('canvas');
      // Output column d·2 + p holds parameter p (0 shift μ, 1 log-scale α) of the MADE's input d.
      drawMask(canvas, rows, cell, {
        rows: l === 0 ? inputs.map(name) : undefined,
        cols: last ? inputs.flatMap((d) => [`μ${sub(d)}`, `α${sub(d)}`]) : undefined,
      });
      const note = document.createElement('div');
      note.className = 'mask-note';
      note.textContent = l === 0
        ? `inputs → ${fanOut} hidden units`
        : last
          ? `${fanIn} units → shift μ and log-scale α`
          : `${fanIn} units → ${fanOut} units`;
      item.append(canvas, note);
      grids.append(item);
    });
    ui.masks.append(row);
  });
}

/** A new, untrained model from the controls, drawn at once: its masks, its initial density, no loss yet. */
async function rebuild(): Promise<void> {
  flow = buildFlow(readSettings());
  curve = { stepLosses: [], epochLosses: [], steps: POINTS / BATCH_SIZE, epochs: readEpochs() };
  drawMasks();
  drawLossCurve(ctx.loss, curve);
  await drawModel();
  setStatus(`Untrained model: ${flow.model.countParams()} weights. Press Train.`, 'idle');
}

function chooseDataSet(): void {
  const name = ui.dataSet.value as DataSetName;
  dataSet = name === 'drawn' ? fromStrokes(stroke) : makeDataSet(name, POINTS);
  ui.clearDrawing.hidden = name !== 'drawn';
  ui.dataCanvas.classList.toggle('drawable', name === 'drawn');
  drawData();
}

// ---- training --------------------------------------------------------------------------------
async function train(): Promise<void> {
  if (dataSet.points.length < 2 * 20) {
    setStatus('Draw a few more points first (at least a short stroke).', 'idle');
    return;
  }
  training = true;
  setControlsEnabled(false);
  await rebuild();
  const n = dataSet.points.length / 2;
  const steps = Math.ceil(n / BATCH_SIZE);
  const epochs = readEpochs();
  curve = { stepLosses: [], epochLosses: [], steps, epochs, floor: dataSet.trueNll };
  let lastDraw = performance.now();
  let stepTime = 0;
  let stepStart = performance.now();
  try {
    await flow.model.fit(zeros([n, 0]), tensor(dataSet.points, [n, 2]), {
      batchSize: BATCH_SIZE,
      epochs,
      verbose: 0,
      seed: 0,
      callbacks: [{
        onBatchBegin: () => {
          stepStart = performance.now();
        },
        onBatchEnd: async (_batch: number, logs: Logs) => {
          stepTime = 0.9 * stepTime + 0.1 * (performance.now() - stepStart);
          curve.stepLosses.push(logs.loss);
          // fit awaits this hook, so the weights hold still while they are drawn.
          if (performance.now() - lastDraw > REDRAW_MS) {
            drawLossCurve(ctx.loss, curve);
            await drawModel();
            lastDraw = performance.now();
          }
        },
        onEpochEnd: (epoch: number, logs: Logs) => {
          curve.epochLosses.push(logs.loss);
          drawLossCurve(ctx.loss, curve);
          setStatus(`Epoch ${epoch + 1} of ${epochs}: loss ${logs.loss.toFixed(3)} nats` +
            `${dataSet.trueNll === undefined ? '' : ` (true density: ${dataSet.trueNll.toFixed(3)})`} · ${stepTime.toFixed(1)} ms per step`, 'training', epoch + 1);
        },
      }],
    });
    await drawModel();
    drawLossCurve(ctx.loss, curve);
    const done = curve.epochLosses.length;
    setStatus(`Done after ${done} epoch${done === 1 ? '' : 's'}: loss ${curve.epochLosses[done - 1].toFixed(3)} nats.`, 'done', done);
  } catch (e) {
    // A diverging run is something to show, not a crash: fit keeps the last finite weights.
    const message = e instanceof NonFiniteLossError ? `${e.message}` : `Training failed: ${(e as Error).message}`;
    await drawModel();
    setStatus(message, 'error', curve.epochLosses.length);
  } finally {
    training = false;
    setControlsEnabled(true);
  }
}

function setControlsEnabled(enabled: boolean): void {
  for (const el of [ui.dataSet, ui.hidden, ui.layers, ui.learningRate, ui.epochs, ui.train, ui.clearDrawing]) el.disabled = !enabled;
  ui.stop.disabled = enabled;
}

// ---- drawing your own data -------------------------------------------------------------------
function addStrokePoint(event: PointerEvent): void {
  const rect = ui.dataCanvas.getBoundingClientRect();
  const [x, y] = toData(DRAWN_BOX, rect.width, rect.height, event.clientX - rect.left, event.clientY - rect.top);
  const m = stroke.length;
  // Skip points closer than 0.06 to the previous one: a slow drag would pile thousands on one spot.
  if (m >= 2 && Math.hypot(x - stroke[m - 2], y - stroke[m - 1]) < 0.06) return;
  stroke.push(x, y);
  dataSet = fromStrokes(stroke);
  drawData();
}

ui.dataCanvas.addEventListener('pointerdown', (event) => {
  if (training || ui.dataSet.value !== 'drawn') return;
  ui.dataCanvas.setPointerCapture(event.pointerId);
  addStrokePoint(event);
});
ui.dataCanvas.addEventListener('pointermove', (event) => {
  if (training || ui.dataSet.value !== 'drawn' || !ui.dataCanvas.hasPointerCapture(event.pointerId)) return;
  addStrokePoint(event);
});
ui.dataCanvas.addEventListener('pointerup', () => {
  if (ui.dataSet.value === 'drawn' && !training) void rebuild();
});

// ---- wiring ----------------------------------------------------------------------------------
for (const [value, label] of Object.entries(DATA_SET_LABELS)) ui.dataSet.add(new Option(label, value));
ui.dataSet.value = 'banana';
ui.dataSet.addEventListener('change', () => {
  chooseDataSet();
  void rebuild();
});
for (const el of [ui.hidden, ui.learningRate, ui.epochs]) el.addEventListener('change', () => void rebuild());
ui.layers.addEventListener('input', () => {
  ui.layersValue.value = ui.layers.value;
});
ui.layers.addEventListener('change', () => void rebuild());
ui.train.addEventListener('click', () => void train());
ui.stop.addEventListener('click', () => {
  // Keras's model.stop_training: fit finishes the current epoch, then returns.
  flow.model.stopTraining = true;
  setStatus('Stopping after this epoch…', 'training', curve.epochLosses.length);
});
ui.clearDrawing.addEventListener('click', () => {
  stroke = [];
  chooseDataSet();
  void rebuild();
});

setControlsEnabled(true);
ui.layersValue.value = ui.layers.value;
chooseDataSet();
void rebuild().then(() => {
  document.body.dataset.ready = 'true';
});
