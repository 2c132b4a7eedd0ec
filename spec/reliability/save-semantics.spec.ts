import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Adam, Dense, InputLayer, Sequential, Tensor, ValueError, full, loadModel } from '../../lib/node/index.js';

// A save never makes things worse: it refuses state that cannot be loaded back, keeps the file's
// mode, follows a symlink, refuses what is not a regular writable file, lands concurrent saves to
// one path in call order (the newest wins), and cleans up what killed saves left behind.

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maflow-save-semantics-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A small model whose every weight is `value` (so a file's origin reads off any weight). */
function model(value: number, units = 3): Sequential<Tensor> {
  const m = new Sequential([new InputLayer({ inputShape: [2] }), new Dense({ units, seed: 1 })]);
  m.compile({ optimizer: new Adam(), loss: 'meanSquaredError' });
  m.build();
  m.setWeights(m.getWeights().map((w) => full(w.shape, value)));
  return m;
}
const valueIn = async (file: string): Promise<number> => (await loadModel(file)).getWeights()[0].data[0];
const modeOf = (file: string): number => fs.statSync(file).mode & 0o777;

describe('save refuses state that loadModel would refuse, and keeps the last good file', () => {
  it('a NaN weight: the error names the weight, and the checkpoint on disk is untouched', async () => {
    const file = path.join(dir, 'nan.json');
    await model(1).save(file);
    const before = fs.readFileSync(file, 'utf8');
    const bad = model(2);
    const w = bad.getWeights();
    w[1].data[2] = NaN;
    bad.setWeights(w);
    await expect(bad.save(file)).rejects.toThrow(new ValueError(`Sequential.save: weights[1] (weight 1 of layer '${bad.layers[1].name}', shape [3]) holds NaN at index 2; ` +
      'refusing to save non-finite state (loadModel would refuse the file), so nothing was written'));
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(() => bad.toJSON()).toThrow(/^Sequential\.toJSON: weights\[1\] .* holds NaN at index 2/);
  });

  it("an infinite Adam second moment: the error names the slot, and nothing is written", async () => {
    const file = path.join(dir, 'inf-slot.json');
    const m = model(1);
    // g = 1e200: v = (1 − β₂)·g² overflows to ∞, while m/(√v + ε) = 0 leaves the weights finite
    for (const p of m.trainableWeights) p.grad = full(p.shape, 1e200);
    m.optimizer!.step(m.trainableWeights);
    await expect(m.save(file)).rejects.toThrow(/^Sequential\.save: the optimizer's slot 'v' of trainable weight 0 holds Infinity at index 0; refusing to save non-finite state/);
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('save keeps what careful tools keep', () => {
  it('an existing file keeps its mode: a private 600 model stays 600 (was: 644)', async () => {
    const file = path.join(dir, 'private.json');
    await model(1).save(file);
    fs.chmodSync(file, 0o600);
    await model(2).save(file);
    expect(modeOf(file)).toBe(0o600);
    expect(await valueIn(file)).toBe(2);
    fs.chmodSync(file, 0o664); // bits the umask would clear on a new file are kept too
    await model(3).save(file);
    expect(modeOf(file)).toBe(0o664);
  });

  it('a read-only file is refused and left as it was (was: overwritten)', async () => {
    const file = path.join(dir, 'readonly.json');
    await model(1).save(file);
    fs.chmodSync(file, 0o444);
    const before = fs.readFileSync(file, 'utf8');
    await expect(model(2).save(file)).rejects.toThrow(new ValueError(`Sequential.save: 'path' ${file} is read-only (mode 444); refusing to overwrite it. Make it writable first (chmod u+w) or save elsewhere`));
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(modeOf(file)).toBe(0o444);
  });

  it('a symlink is followed: the file it points to is replaced and the link stays a link (was: replaced by a regular file)', async () => {
    const target = path.join(dir, 'real.json');
    const link = path.join(dir, 'link.json');
    await model(1).save(target);
    fs.symlinkSync(target, link);
    await model(2).save(link);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(link)).toBe(target);
    expect(await valueIn(target)).toBe(2);
  });

  it('a dangling symlink is refused', async () => {
    const link = path.join(dir, 'dangling.json');
    fs.symlinkSync(path.join(dir, 'nowhere', 'x.json'), link);
    await expect(model(1).save(link)).rejects.toThrow(/^Sequential\.save: 'path' .*dangling\.json is a symbolic link to a file that does not exist \(a dangling link\); refusing to write through it$/);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('a directory or a named pipe is refused, not replaced', async () => {
    const sub = path.join(dir, 'a-directory.json');
    fs.mkdirSync(sub);
    await expect(model(1).save(sub)).rejects.toThrow(new ValueError(`Sequential.save: 'path' ${sub} is a directory, not a regular file; refusing to replace it`));
    expect(fs.statSync(sub).isDirectory()).toBe(true);
    const fifo = path.join(dir, 'pipe.json');
    if (spawnSync('mkfifo', [fifo]).status === 0) {
      await expect(model(1).save(fifo)).rejects.toThrow(/is a named pipe \(FIFO\), not a regular file; refusing to replace it/);
      expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
    }
  });
});

describe('concurrent saves to one path', () => {
  it('land in call order, awaited or not: the newest call wins (was: an older, slower save could land last)', async () => {
    const file = path.join(dir, 'race.json');
    // The older save is ~100 KB (slower to write), the newer ones tiny: unordered, the older would rename last.
    const big = model(1, 2000);
    const saves = [big.save(file), model(2).save(file), model(3).save(file)];
    await Promise.all(saves);
    expect(await valueIn(file)).toBe(3);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.race.json.'))).toEqual([]);
  });

  it('each save is of the model as it was at the call, not as it is when the write runs', async () => {
    const file = path.join(dir, 'snapshot.json');
    const m = model(1);
    const first = m.save(file);
    m.setWeights(m.getWeights().map((w) => full(w.shape, 7)));
    await first;
    expect(await valueIn(file)).toBe(1);
  });

  it('a failed save does not stop the next one', async () => {
    const file = path.join(dir, 'after-failure.json');
    const bad = model(1);
    const w = bad.getWeights();
    w[0].data[0] = Infinity;
    bad.setWeights(w);
    const results = await Promise.allSettled([bad.save(file), model(5).save(file)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(await valueIn(file)).toBe(5);
  });
});

describe('stale temporary files', () => {
  it('the next save removes the .tmp files of dead processes (killed saves), and keeps a live process\'s', async () => {
    const file = path.join(dir, 'stale.json');
    await model(1).save(file);
    // a process that has exited: its pid is free
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    const big = 'x'.repeat(2_000_000);
    const stale = path.join(dir, `.stale.json.${deadPid}.1700000000000.0.tmp`);
    const ours = path.join(dir, `.stale.json.${process.pid}.1700000000000.99.tmp`); // this process, not in flight
    const live = path.join(dir, '.stale.json.1.1700000000000.0.tmp'); // pid 1 is alive
    const other = path.join(dir, '.other.json.1.1700000000000.0.tmp');
    for (const f of [stale, ours, live, other]) fs.writeFileSync(f, big);
    await model(2).save(file);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(ours)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.existsSync(other)).toBe(true);
    expect(await valueIn(file)).toBe(2);
  });
});
