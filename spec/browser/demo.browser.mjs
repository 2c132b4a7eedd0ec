// Browser test of the interactive page: builds it, serves it on 127.0.0.1, drives Debian's Chromium
// headless through playwright-core, trains, and checks that the page learned and stayed live.
// Usage: node spec/browser/demo.browser.mjs   (npm run test:browser). Not a Jest spec: it needs a browser.
// Prints one line per check, then `N passed, N failed`; exits 1 on a failure. Writes out/demo-screenshot.png.
import { existsSync, mkdirSync } from 'node:fs';
import { CHROMIUM, launchChromium, serve } from '../helpers/browser.mjs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const screenshot = join(root, 'out/demo-screenshot.png');
const EPOCHS_TO_WATCH = 8; // of the page's default 50
const LOAD_BUDGET_MS = 1000; // the issue's "loads in under a second"
const LONG_TASK_BUDGET_MS = 250; // no single task may block the page longer while training

if (!existsSync(CHROMIUM)) {
  console.log('browser test SKIPPED: chromium not installed');
  process.exit(0);
}
const { buildDemo } = await import('../../scripts/build-demo.mjs');

// ---- helpers run in the page -----------------------------------------------------------------
const status = (page) => page.evaluate(() => {
  const s = document.getElementById('status');
  return { text: s.textContent, state: s.dataset.state, epoch: Number(s.dataset.epoch) };
});
const epochLosses = async (page) => JSON.parse(await page.evaluate(() => document.getElementById('loss').dataset.epochLosses ?? '[]'));
const pixels = (page, id) => page.evaluate((canvasId) => {
  const c = document.getElementById(canvasId);
  return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
}, id);
/** The fraction of pixels whose colour moved by more than a little (sum of |ΔR|, |ΔG|, |ΔB| over 24). */
function changedFraction(before, after) {
  if (before.length !== after.length) return 1;
  let changed = 0;
  for (let i = 0; i < before.length; i += 4) {
    if (Math.abs(before[i] - after[i]) + Math.abs(before[i + 1] - after[i + 1]) + Math.abs(before[i + 2] - after[i + 2]) > 24) changed++;
  }
  return changed / (before.length / 4);
}
const finished = (page) => page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('status').dataset.state),
  undefined, { timeout: 300_000, polling: 200 });

// ---- the tests -------------------------------------------------------------------------------
const tests = [
  {
    name: 'banana: Train runs fit live, the loss goes down and the density changes',
    async run(page, check) {
      const maskCount = await page.locator('#masks canvas').count();
      check('the MADE masks of every flow layer are drawn', maskCount === 3 * 2, `${maskCount} mask grids for 3 layers of [32] hidden units`);
      const before = await pixels(page, 'density');
      const longWhileLoading = await page.evaluate(() => {
        const t = window.__longestTask;
        window.__longestTask = 0; // from here on, only tasks run while training count
        return t;
      });

      await page.click('#train');
      await page.waitForFunction((n) => Number(document.getElementById('status').dataset.epoch) >= n,
        EPOCHS_TO_WATCH, { timeout: 120_000, polling: 100 });
      const mid = await status(page);
      check(`the status shows epoch ${EPOCHS_TO_WATCH} while fit is still running`, mid.state === 'training', mid.text);
      await finished(page);

      const end = await status(page);
      check('fit finishes without a non-finite loss', end.state === 'done', end.text);
      const losses = await epochLosses(page);
      const [first, last] = [losses[0], losses[losses.length - 1]];
      check('the loss went down', losses.length >= EPOCHS_TO_WATCH && last < first - 0.2,
        `${losses.length} epochs, loss ${first?.toFixed(3)} → ${last?.toFixed(3)} nats`);
      const fraction = changedFraction(before, await pixels(page, 'density'));
      check('the density canvas changed', fraction > 0.1, `${(100 * fraction).toFixed(1)}% of its pixels`);
      const longest = await page.evaluate(() => window.__longestTask);
      check('the page never froze while training', longest < LONG_TASK_BUDGET_MS,
        `longest task ${longest.toFixed(0)} ms (${longWhileLoading.toFixed(0)} ms while loading; tasks under 50 ms count as 0)`);
      mkdirSync(join(root, 'out'), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log(`     screenshot: ${screenshot.slice(root.length + 1)}`);
    },
  },
  {
    name: 'draw your own: a stroke on the data canvas becomes the data the flow learns',
    async run(page, check) {
      await page.selectOption('#data-set', 'drawn');
      await page.fill('#epochs', '6');
      await page.locator('#epochs').dispatchEvent('change');
      const empty = await pixels(page, 'data');
      // A circle of radius 2 around the canvas's centre, in 60 mouse moves.
      const box = await page.locator('#data').boundingBox();
      const [cx, cy, r] = [box.x + box.width / 2, box.y + box.height / 2, box.width / 4];
      await page.mouse.move(cx + r, cy);
      await page.mouse.down();
      for (let s = 1; s <= 60; s++) await page.mouse.move(cx + r * Math.cos((2 * Math.PI * s) / 60), cy + r * Math.sin((2 * Math.PI * s) / 60));
      await page.mouse.up();
      await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Untrained'), undefined, { timeout: 10_000 });
      const drawn = changedFraction(empty, await pixels(page, 'data'));
      check('the stroke shows on the data canvas', drawn > 0.01, `${(100 * drawn).toFixed(1)}% of its pixels changed`);
      await page.click('#train');
      await finished(page);
      const end = await status(page);
      const losses = await epochLosses(page);
      check('the flow trains on the drawn points', end.state === 'done' && losses.length === 6 && losses[5] < losses[0],
        `${end.text} (epoch losses ${losses.map((v) => v.toFixed(2)).join(', ')})`);
    },
  },
  {
    name: 'offline: the built page works opened as a local file (file://), with no server',
    file: true,
    async run(page, check) {
      const masks = await page.locator('#masks canvas').count();
      const s = await status(page);
      check('it draws the untrained model and its masks', masks === 6 && s.state === 'idle', `${masks} mask grids; status: ${s.text}`);
    },
  },
];

// ---- the run ---------------------------------------------------------------------------------
let passed = 0;
let failed = 0;
let server;
let browser;
let context;
let dir;
try {
  dir = await buildDemo({ quiet: true });
  server = await serve(dir);
  const url = `http://127.0.0.1:${server.address().port}/index.html`;
  browser = await launchChromium({ viewport: { width: 1040, height: 1100 } });
  context = browser.context;
  // Records the longest main-thread task (Chromium's Long Tasks API reports those over 50 ms).
  await context.addInitScript(() => {
    window.__longestTask = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longestTask = Math.max(window.__longestTask, e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });

  for (const test of tests) {
    console.log(`${test.name}`);
    const checks = [];
    const check = (name, ok, detail) => {
      checks.push(ok);
      console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
    };
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console.error: ${m.text()}`); });
    try {
      const t0 = Date.now();
      await page.goto(test.file ? pathToFileURL(join(dir, 'index.html')).href : url, { waitUntil: 'load' });
      await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
      const loadMs = Date.now() - t0;
      check('the page loads and draws the untrained model in under a second', loadMs < LOAD_BUDGET_MS, `${loadMs} ms`);
      await test.run(page, check);
    } catch (e) {
      check('the test ran to its end', false, e instanceof Error ? e.stack : String(e));
    }
    check('no page errors were logged', errors.length === 0, errors.join(' | '));
    await page.close();
    if (checks.every(Boolean)) passed++;
    else failed++;
  }
} catch (e) {
  console.log(`FAIL the browser could not be started or the page built: ${e instanceof Error ? e.stack : String(e)}`);
  failed = tests.length - passed;
} finally {
  await browser?.close();
  server?.close();
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
