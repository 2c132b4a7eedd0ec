import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { loadModel } from '../../../lib/node/files.js';

// A child process saves a ~1.6 MB model over and over, each time with all weights set to the
// iteration number; it is killed with SIGKILL in the middle. Whatever instant the kill lands on,
// the file at the target path must be one complete save: it loads, and all its weights are equal.
const childSource = `
import { Tensor } from '${path.resolve('autodiff/tensor.ts')}';
import { Dense } from '${path.resolve('lib/layers/dense.ts')}';
import { InputLayer } from '${path.resolve('lib/layers/input-layer.ts')}';
import { Sequential } from '${path.resolve('lib/models/sequential.ts')}';
const file = process.argv[2];
const model = new Sequential([new InputLayer({ inputShape: [400] }), new Dense({ units: 500, seed: 1 })]);
model.build();
for (let k = 0; ; k++) {
  model.setWeights(model.getWeights().map((w) => new Tensor(new Float64Array(w.size).fill(k), w.shape)));
  await model.save(file);
  process.stdout.write('saved ' + k + '\\n');
}
`;

describe('save is atomic under a crash', () => {
  it('a process killed mid-save leaves the previous complete file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maflow-crash-'));
    try {
      const entry = path.join(dir, 'child.ts');
      const bundle = path.join(dir, 'child.mjs');
      fs.writeFileSync(entry, childSource);
      buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'silent' });
      const file = path.join(dir, 'model.json');
      const child = spawn(process.execPath, [bundle, file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let saved = 0;
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          saved += (d.toString().match(/saved/g) ?? []).length;
          if (saved < 3 || child.killed) return;
          // after a few complete saves, kill it while its temporary file exists: between open and rename
          const deadline = Date.now() + 5000;
          while (Date.now() < deadline && !fs.readdirSync(dir).some((f) => f.endsWith('.tmp')));
          child.kill('SIGKILL');
          resolve();
        });
        child.on('exit', () => reject(new Error(`child exited early: ${stderr}`)));
      });
      expect(await exited).toBe('SIGKILL');
      // (the killed save usually leaves its temporary file behind; the target is what matters)
      const model = await loadModel(file);
      const values = new Set(model.getWeights().flatMap((w) => Array.from(new Set(w.data))));
      expect(values.size).toBe(1);
      expect([...values][0]).toBeGreaterThanOrEqual(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 20000);
});
