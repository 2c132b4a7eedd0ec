// The progress output of fit, formatted as Keras's Progbar: `80/80 [======] - 0s 95us/step - loss: 3.9123`.
import { assert } from '../util/errors.js';
import { checkFiniteNumber, checkOptions, checkPositiveInt, describe } from '../util/validate.js';
import { Callback, type Logs } from './callbacks.js';

/**
 * Where progress goes: anything with `write` (Node's `process.stdout`, or a fake in tests).
 * `isTTY` true means the stream is a terminal, where a bar can be redrawn in place with `\r`.
 */
export interface OutputStream {
  /**
   * Writes `chunk` as is: progress text, with `\r` to redraw a bar and `\n` to end a line.
   * @returns ignored (Node's streams return a backpressure flag)
   */
  write(chunk: string): unknown;
  /** True for a terminal, where a bar is redrawn in place; absent or false otherwise. */
  isTTY?: boolean;
  /** The terminal's width in characters (Node's `process.stdout.columns`); a redrawn bar is cut to fit it. */
  columns?: number;
}

/**
 * `process.stdout` in Node; in a browser (no `process`), a stream that hands each
 * complete line to `console.log` and is not a TTY, so bars are printed once per epoch.
 */
export function defaultOutput(): OutputStream {
  const proc = (globalThis as { process?: { stdout?: OutputStream } }).process;
  if (proc?.stdout !== undefined && typeof proc.stdout.write === 'function') return proc.stdout;
  let pending = '';
  return {
    isTTY: false,
    write(chunk: string): void {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) console.log(line);
    },
  };
}

/** A value as Keras prints it: `%.4f`, or `%.4e` when |v| ≤ 1e-3 (so small losses keep their digits). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) > 1e-3) return v.toFixed(4);
  // Python writes the exponent with at least two digits (1.2340e-04); JavaScript writes 1.2340e-4.
  const [mantissa, exponent] = v.toExponential(4).split('e');
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
}

/** Seconds per step as Keras prints it: `2s/step`, `12ms/step` or `95us/step`. */
export function formatTimePerStep(seconds: number, unit = 'step'): string {
  if (seconds >= 1 || seconds === 0) return `${seconds.toFixed(0)}s/${unit}`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(0)}ms/${unit}`;
  return `${(seconds * 1e6).toFixed(0)}us/${unit}`;
}

/** Remaining time as Keras prints it: `ETA: 7s`, `ETA: 1:05` or `ETA: 1:00:05`. */
export function formatEta(seconds: number): string {
  const s = Math.floor(seconds);
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (seconds > 3600) return `ETA: ${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  if (seconds > 60) return `ETA: ${Math.floor(s / 60)}:${pad(s % 60)}`;
  return `ETA: ${s}s`;
}

/** What one progress line shows. */
export interface ProgressState {
  /** Steps done, 0 … target. */
  current: number;
  /** Steps in the epoch. */
  target: number;
  /** Seconds since the epoch started. */
  elapsed: number;
  /** Named values, printed in order as ` - name: value`. */
  values: ReadonlyArray<readonly [string, number]>;
  /** 1: the bar; 2: the count without a bar. */
  verbose: 1 | 2;
  /** Width of the bar between the brackets; Keras uses 30. */
  width?: number;
}

/**
 * One progress line, without a line end, exactly in Keras's layout.
 *
 * The bar has `w = ⌊30 · current/target⌋` filled cells: `w − 1` `=` then `>` while running,
 * `w` `=` when done, the rest `.`. While running the line shows the ETA,
 * `(target − current) · elapsed/current`; when done, the elapsed seconds and time per step.
 *
 * @example
 * progressLine({ current: 80, target: 80, elapsed: 0.0076, values: [['loss', 3.91234]], verbose: 1 })
 * // '80/80 [==============================] - 0s 95us/step - loss: 3.9123'
 */
export function progressLine(state: ProgressState): string {
  const { current, target, elapsed, values, verbose, width = 30 } = state;
  const digits = String(target).length;
  const count = `${String(current).padStart(digits)}/${target}`;
  const perStep = current > 0 ? elapsed / current : 0;
  const done = current >= target;
  let line: string;
  if (verbose === 1) {
    const filled = Math.min(width, Math.floor((width * current) / target));
    let bar = '';
    if (filled > 0) bar += '='.repeat(filled - 1) + (done ? '=' : '>');
    bar += '.'.repeat(width - filled);
    line = `${count} [${bar}]`;
    line += done ? ` - ${elapsed.toFixed(0)}s ${formatTimePerStep(perStep)}` : ` - ${formatEta(perStep * (target - current))}`;
  } else {
    line = `${count} - ${elapsed.toFixed(0)}s ${formatTimePerStep(perStep)}`;
  }
  for (const [name, v] of values) line += ` - ${name}: ${formatValue(v)}`;
  return line;
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Where to write; default `process.stdout` in Node, or a stream of `console.log` lines in a browser. */
  stream?: OutputStream;
  /** 1: a bar (redrawn in place on a TTY, printed once when done otherwise); 2: one line when done. */
  verbose?: 1 | 2;
  /** Minimum seconds between redraws on a TTY; default 0.05, as Keras. */
  interval?: number;
  /** Clock in milliseconds; default `performance.now`. Injected by tests. */
  now?: () => number;
}

/**
 * The bar of one epoch. `update(current, values)` redraws it on a TTY (at most every
 * `interval` seconds); `finish(values)` writes the final line and a line end.
 */
export class ProgressBar {
  /** Steps in the epoch: the count at which the bar is full. */
  readonly target: number;
  private readonly stream: OutputStream;
  private readonly verbose: 1 | 2;
  private readonly interval: number;
  private readonly now: () => number;
  private readonly start: number;
  private lastDraw = -Infinity;
  private lastWidth = 0;

  /**
   * @param target - steps in the epoch, a positive integer
   * @throws RangeError if `target` is not a positive integer, `verbose` not 1 or 2, or `interval` negative;
   *   TypeError for an unknown option or one of the wrong kind
   */
  constructor(target: number, options: ProgressBarOptions = {}) {
    const where = 'ProgressBar';
    this.target = checkPositiveInt(target, 'target', where);
    checkOptions(options, ['stream', 'verbose', 'interval', 'now'], where);
    const { stream, verbose = 1, now } = options;
    assert(stream === undefined || (typeof stream === 'object' && stream !== null && typeof stream.write === 'function'),
      () => `${where}: 'stream' must have a write(text) method, got ${describe(stream)}`, TypeError);
    assert(verbose === 1 || verbose === 2, () => `${where}: 'verbose' must be 1 or 2, got ${describe(verbose)}`, RangeError);
    assert(now === undefined || typeof now === 'function', () => `${where}: 'now' must be a function returning milliseconds, got ${describe(now)}`, TypeError);
    this.stream = stream ?? defaultOutput();
    this.verbose = verbose;
    this.interval = checkFiniteNumber(options.interval, 'interval', where, { ge: 0 }, 0.05);
    this.now = now ?? (() => performance.now());
    this.start = this.now();
  }

  private elapsed(): number {
    return (this.now() - this.start) / 1000;
  }

  /** Redraws the bar at `current` steps (TTY and verbose 1 only; elsewhere nothing is written until `finish`). */
  update(current: number, values: ReadonlyArray<readonly [string, number]>): void {
    if (this.verbose !== 1 || this.stream.isTTY !== true || current >= this.target) return;
    const t = this.now();
    if ((t - this.lastDraw) / 1000 < this.interval) return;
    this.lastDraw = t;
    this.draw(progressLine({ current, target: this.target, elapsed: this.elapsed(), values, verbose: 1 }));
  }

  /** Writes the finished line (with `values`, e.g. the epoch's `loss` and `val_loss`) and a line end. */
  finish(values: ReadonlyArray<readonly [string, number]>): void {
    const line = progressLine({ current: this.target, target: this.target, elapsed: this.elapsed(), values, verbose: this.verbose });
    if (this.verbose === 1 && this.stream.isTTY === true) this.draw(line);
    else this.stream.write(line);
    this.stream.write('\n');
  }

  /**
   * Overwrites the current terminal line: `\r`, the text, and spaces over any longer previous text.
   * The text is cut to one character less than the terminal's width: a line that wraps cannot be
   * overwritten by `\r`, and every redraw would then add a line.
   */
  private draw(full: string): void {
    const columns = this.stream.columns;
    const line = typeof columns === 'number' && columns > 1 && full.length >= columns ? `${full.slice(0, columns - 2)}…` : full;
    const pad = Math.max(0, this.lastWidth - line.length);
    this.stream.write(`\r${line}${' '.repeat(pad)}`);
    this.lastWidth = line.length;
  }
}

/**
 * The callback `fit` adds when `verbose > 0`: prints `Epoch e/E`, then a {@link ProgressBar}
 * showing the running mean of the batch losses, and finally the epoch's logs.
 * @internal
 */
export class ProgbarLogger extends Callback {
  private bar: ProgressBar | null = null;
  private seen = 0;
  private lossSum = 0;
  private step = 0;

  constructor(private readonly verbose: 1 | 2, private readonly stream: OutputStream, private readonly now?: () => number) {
    super();
  }

  override onEpochBegin(epoch: number): void {
    const params = this.params!;
    this.stream.write(`Epoch ${epoch + 1}/${params.epochs}\n`);
    this.bar = new ProgressBar(params.steps, { stream: this.stream, verbose: this.verbose, now: this.now });
    this.seen = 0;
    this.lossSum = 0;
    this.step = 0;
  }

  override onBatchEnd(_batch: number, logs: Logs): void {
    const size = logs.size ?? 1;
    this.seen += size;
    this.lossSum += (logs.loss ?? 0) * size;
    this.step++;
    this.bar?.update(this.step, [['loss', this.lossSum / this.seen]]);
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    this.bar?.finish(Object.entries(logs));
    this.bar = null;
  }
}
