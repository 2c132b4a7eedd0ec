import { Adam } from '../../../autodiff/optimizers/adam.js';
import { tensor } from '../../../autodiff/tensor.js';
import { Dense } from '../../../lib/layers/dense.js';
import { InputLayer } from '../../../lib/layers/input-layer.js';
import {
  formatEta, formatTimePerStep, formatValue, ProgressBar, progressLine, type OutputStream,
} from '../../../lib/models/progress.js';
import { Sequential } from '../../../lib/models/sequential.js';

/** A stream that records every write; `isTTY` as given. */
function fakeStream(isTTY: boolean): OutputStream & { chunks: string[]; text(): string } {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

/** A clock the test sets by hand, in milliseconds. */
function manualClock(): { now: () => number; t: number } {
  const c = { t: 0, now: () => c.t };
  return c;
}

describe('progress formatting (Keras Progbar)', () => {
  it('prints the finished bar of the issue exactly', () => {
    // 80 steps in 7.6 ms: 7.6e-3 / 80 = 9.5e-5 s = 95 us per step; 3.91234 to 4 decimals is 3.9123
    expect(progressLine({ current: 80, target: 80, elapsed: 0.0076, values: [['loss', 3.91234]], verbose: 1 }))
      .toBe('80/80 [==============================] - 0s 95us/step - loss: 3.9123');
  });

  it('draws a running bar with an arrow and the ETA', () => {
    // ⌊30·35/80⌋ = 13 cells: 12 '=' and '>', then 17 '.'; 3.5 s / 35 steps = 0.1 s/step, 45 left → 4.5 s → 'ETA: 4s'
    expect(progressLine({ current: 35, target: 80, elapsed: 3.5, values: [['loss', 3.91234]], verbose: 1 }))
      .toBe(`35/80 [${'='.repeat(12)}>${'.'.repeat(17)}] - ETA: 4s - loss: 3.9123`);
    // the count is right-aligned to the target's width; nothing filled yet, no time per step yet
    expect(progressLine({ current: 0, target: 100, elapsed: 0, values: [], verbose: 1 }))
      .toBe(`  0/100 [${'.'.repeat(30)}] - ETA: 0s`);
  });

  it('prints the verbose 2 line without a bar, with every value', () => {
    // 0.96 s rounds to 1 s; 0.96 / 80 = 12 ms per step
    expect(progressLine({ current: 80, target: 80, elapsed: 0.96, values: [['loss', 3.91234], ['val_loss', 4]], verbose: 2 }))
      .toBe('80/80 - 1s 12ms/step - loss: 3.9123 - val_loss: 4.0000');
  });

  it('formats values, times per step and ETAs as Keras', () => {
    expect(formatValue(3.91234)).toBe('3.9123');
    expect(formatValue(-12.5)).toBe('-12.5000');
    expect(formatValue(0.0001234)).toBe('1.2340e-04'); // |v| ≤ 1e-3: %.4e, two-digit exponent
    expect(formatValue(-2e-5)).toBe('-2.0000e-05');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatTimePerStep(2.4)).toBe('2s/step');
    expect(formatTimePerStep(0)).toBe('0s/step');
    expect(formatTimePerStep(0.0123)).toBe('12ms/step');
    expect(formatTimePerStep(9.5e-5)).toBe('95us/step');
    expect(formatEta(7.9)).toBe('ETA: 7s');
    expect(formatEta(65)).toBe('ETA: 1:05');
    expect(formatEta(3605)).toBe('ETA: 1:00:05');
  });
});

describe('ProgressBar', () => {
  it('redraws in place on a TTY, at most every 50 ms, and ends the line when done', () => {
    const stream = fakeStream(true);
    const c = manualClock();
    const bar = new ProgressBar(4, { stream, now: c.now });
    c.t = 10;
    bar.update(1, [['loss', 2]]); // drawn
    c.t = 30;
    bar.update(2, [['loss', 2]]); // skipped: 20 ms after the last draw
    c.t = 70;
    bar.update(3, [['loss', 2]]); // drawn
    c.t = 100;
    bar.finish([['loss', 1.5]]);
    expect(stream.chunks).toHaveLength(4);
    // ⌊30·1/4⌋ = 7 cells: 6 '=' and '>'; 10 ms per step, 3 steps left → 0.03 s → 'ETA: 0s'
    expect(stream.chunks[0]).toBe(`\r1/4 [======>.......................] - ETA: 0s - loss: 2.0000`);
    // ⌊30·3/4⌋ = 22 cells: 21 '=' and '>', 8 '.'
    expect(stream.chunks[1]).toBe(`\r3/4 [${'='.repeat(21)}>........] - ETA: 0s - loss: 2.0000`);
    // 0.1 s / 4 steps = 25 ms per step; the final line overwrites the running one
    const last = '4/4 [==============================] - 0s 25ms/step - loss: 1.5000';
    expect(stream.chunks[2]).toBe(`\r${last}${' '.repeat(Math.max(0, stream.chunks[1].length - 1 - last.length))}`);
    expect(stream.chunks[3]).toBe('\n');
  });

  it('writes only the final line when the stream is not a TTY (CI logs)', () => {
    const stream = fakeStream(false);
    const c = manualClock();
    const bar = new ProgressBar(2, { stream, now: c.now });
    c.t = 5;
    bar.update(1, [['loss', 2]]);
    c.t = 2000;
    bar.finish([['loss', 1]]);
    // 2 s / 2 steps = 1 s per step
    expect(stream.text()).toBe('2/2 [==============================] - 2s 1s/step - loss: 1.0000\n');
  });

  it('rejects a target that is not a positive integer', () => {
    expect(() => new ProgressBar(0)).toThrow(RangeError);
    expect(() => new ProgressBar(2.5)).toThrow(/'target' must be a positive integer, got 2.5/);
  });
});

describe('fit progress output', () => {
  const x = tensor([[0], [1], [2], [3], [4], [5]]);
  const y = tensor([[1], [3], [5], [7], [9], [11]]); // y = 2x + 1
  const model = (): Sequential => {
    const m = new Sequential([new InputLayer({ inputShape: [1] }), new Dense({ units: 1, seed: 3 })]);
    m.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
    return m;
  };

  it('verbose 1 off a TTY: an Epoch line and one finished bar per epoch, with val_loss', async () => {
    const stream = fakeStream(false);
    await model().fit(x, y, { epochs: 2, batchSize: 2, verbose: 1, output: stream, seed: 1, validationData: [x, y] });
    // 6 rows in batches of 2: 3 steps per epoch
    const bar = String.raw`3/3 \[={30}\] - \d+s \d+(us|ms|s)/step - loss: \d+\.\d{4} - val_loss: \d+\.\d{4}`;
    expect(stream.text()).toMatch(new RegExp(`^Epoch 1/2\n${bar}\nEpoch 2/2\n${bar}\n$`));
  });

  it('verbose 1 on a TTY: the bar is redrawn with \\r and the epoch ends with a line break', async () => {
    const stream = fakeStream(true);
    await model().fit(x, y, { epochs: 1, batchSize: 2, verbose: 1, output: stream, seed: 1 });
    const text = stream.text();
    expect(text.startsWith('Epoch 1/1\n\r')).toBe(true);
    expect(text).toMatch(/\r3\/3 \[={30}\] - \d+s \d+(us|ms|s)\/step - loss: \d+\.\d{4} *\n$/);
  });

  it('verbose 2: one count line per epoch, no bar', async () => {
    const stream = fakeStream(true);
    await model().fit(x, y, { epochs: 2, batchSize: 3, verbose: 2, output: stream, seed: 1 });
    expect(stream.text()).toMatch(/^Epoch 1\/2\n2\/2 - \d+s \d+(us|ms|s)\/step - loss: \d+\.\d{4}\nEpoch 2\/2\n2\/2 - \d+s \d+(us|ms|s)\/step - loss: \d+\.\d{4}\n$/);
  });

  it('verbose 0 writes nothing', async () => {
    const stream = fakeStream(true);
    await model().fit(x, y, { epochs: 2, verbose: 0, output: stream });
    expect(stream.chunks).toEqual([]);
  });

  it('on a narrow terminal every redraw is cut to fit one line, so none wraps', () => {
    // 40 columns: a running line of 42 + characters is cut to 38 and '…' (39 < 40), and a
    // shorter redraw pads with spaces only up to the previous width, never past the edge.
    const stream = { ...fakeStream(true), columns: 40 };
    const clock = manualClock();
    const bar = new ProgressBar(80, { stream, now: clock.now, interval: 0 });
    for (let step = 1; step < 80; step += 13) {
      clock.t += 100;
      bar.update(step, [['loss', 3.91234]]);
    }
    clock.t += 100;
    bar.finish([['loss', 3.91234], ['val_loss', 4.1]]);
    const drawn = stream.chunks.filter((c) => c.startsWith('\r')).map((c) => c.slice(1));
    expect(drawn.length).toBeGreaterThan(3);
    for (const line of drawn) expect(line.length).toBeLessThan(40);
    expect(drawn[drawn.length - 1]).toBe('80/80 [==============================]…');
    expect(stream.chunks[stream.chunks.length - 1]).toBe('\n');
  });
});
