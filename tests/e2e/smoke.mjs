// Smoke test of the demo page: fake webcam showing a real photo → the expected top-1 appears, no console errors,
// no request leaves the page's origin. Usage: node tests/e2e/smoke.mjs (after ./build.sh build).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { writeY4m } from './y4m.mjs';

const root = resolve(new URL('../..', import.meta.url).pathname);
const require = createRequire(join(root, '.tools/package.json'));
const { chromium } = require('playwright-core');
const data = process.env.MOBILENET_DATA ?? join(root, '../shared/data');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--proxy-server=http://127.0.0.1:9'];

const tmp = await mkdtemp(join(tmpdir(), 'mnw-e2e-'));
const server = spawn('node', [join(root, 'tools/serve.mjs'), join(root, 'dist/www'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const origin = await new Promise((ok) => server.stdout.on('data', (d) => { const m = /http:\/\/127\.0\.0\.1:\d+/.exec(String(d)); if (m) ok(m[0]); }));
let passed = 0, failed = 0;
try {
  // Make the fake camera video with a throwaway browser.
  const maker = await chromium.launchPersistentContext(join(tmp, 'maker'), { executablePath: '/usr/bin/chromium', args: FLAGS });
  const video = join(tmp, 'coffee.y4m');
  await writeY4m(await maker.newPage(), join(data, 'images/coffee.png'), video);
  await maker.close();

  const ctx = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium',
    args: [...FLAGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
  });
  const page = await ctx.newPage();
  const errors = [], foreign = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  ctx.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url()); });
  await page.goto(origin + '/');
  await page.waitForFunction(() => /Model ready/.test(document.getElementById('status').textContent), null, { timeout: 60000 });
  await page.click('#camera');
  await page.waitForFunction(() => document.querySelector('#results li'), null, { timeout: 60000 });
  await page.waitForFunction(() => /espresso/.test(document.querySelector('#results li')?.textContent ?? ''), null, { timeout: 30000 });
  const top1 = await page.textContent('#results li');
  const stats = await page.textContent('#stats');
  await mkdir(join(root, 'tests/e2e/artifacts'), { recursive: true });
  await page.screenshot({ path: join(root, 'tests/e2e/artifacts/smoke-webcam.png') });
  await ctx.close();
  const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); ok ? passed++ : failed++; };
  check(/espresso/.test(top1), `webcam top-1 is espresso (${top1.trim()})`);
  check(/FPS/.test(stats), `stats shown (${stats})`);
  check(errors.length === 0, `no console errors ${errors.join(' | ')}`);
  check(foreign.length === 0, `no request left ${origin} ${foreign.join(' ')}`);
} finally {
  server.kill();
  await rm(tmp, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
