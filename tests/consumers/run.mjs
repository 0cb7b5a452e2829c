#!/usr/bin/env node
// Consumer tests of the npm package, all from the packed tarball (the release artefact), as a user would meet it:
//   node     a Node 20 project: classify the test images with mobilenet_v1_1.0_224_quant (node/check.mjs)
//   ts       tsc --noEmit on a TypeScript consumer (Bundler and NodeNext resolution)
//   vite     an app bundled by `vite build`, served on 127.0.0.1, run in headless Chromium (browser/app.js)
//   vite-dev the same app on Vite's dev server, with the one line of config the README documents for it
//   webpack  the same app bundled by webpack 5 with no configuration
//   plain    the same app as plain ES modules (<script type="module">, no bundler)
// Browser runs log every request and fail on any that leaves the origin. Tools (pinned by package-lock.json here)
// install once into target/consumers; the tarball is reinstalled on every run. Models, images and golden values
// are copied from $MOBILENET_DATA into that git-ignored folder only. Ends with the line "N passed, N failed".
// Usage: node tests/consumers/run.mjs [--tarball pkg/mobilenet-wasm-X.tgz] [--only node,ts,vite,vite-dev,webpack,plain]
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HERE = join(ROOT, 'tests/consumers');
const WORK = join(ROOT, 'target/consumers');
const DATA = resolve(process.env.MOBILENET_DATA ?? join(ROOT, '../shared/data'));
const MODEL = 'mobilenet_v1_1.0_224_quant';
const IMAGES = ['grace_hopper.jpg', 'grace_hopper.bmp', 'coffee.png'];
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];
const PAGE_TIMEOUT_MS = Number(process.env.CONSUMER_PAGE_TIMEOUT_MS ?? 300_000);
const SERVER_START_MS = 60_000;
/** Terminal colour codes (CSI sequences) removed, for matching what a tool printed. */
const stripAnsi = (text) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

const argv = process.argv.slice(2);
const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const only = option('--only')?.split(',');
const wanted = (suite) => !only || only.includes(suite);

const results = [];
function record(suite, name, ok, detail) {
  results.push({ suite, name, ok });
  console.log(`${ok ? 'ok' : 'not ok'} - ${suite}: ${name}${ok || !detail ? '' : `\n    ${detail}`}`);
}

/** Run a command; resolves with its exit code and output (printed when it fails). */
function run(cmd, args, { cwd = WORK, env } = {}) {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => done({ code, output }));
    child.on('error', (e) => done({ code: -1, output: String(e) }));
  });
}

async function must(what, cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.output}`);
  return r.output;
}

const exists = (p) => stat(p).then(() => true, () => false);

async function findTarball() {
  const given = option('--tarball');
  if (given) return resolve(given);
  const pkg = join(ROOT, 'pkg');
  const tgz = (await readdir(pkg).catch(() => [])).filter((f) => /^mobilenet-wasm-.*\.tgz$/.test(f));
  if (!tgz.length) throw new Error('no pkg/mobilenet-wasm-*.tgz: run ./build.sh build (or ./build.sh package) first');
  const dated = await Promise.all(tgz.map(async (f) => [(await stat(join(pkg, f))).mtimeMs, join(pkg, f)]));
  return dated.sort((a, b) => b[0] - a[0])[0][1];
}

/** Tools once (`npm ci` again when package.json or package-lock.json here change), then the tarball, fresh. */
async function install(tarball) {
  await mkdir(WORK, { recursive: true });
  let stale = !(await exists(join(WORK, 'node_modules/.bin/vite')));
  for (const f of ['package.json', 'package-lock.json']) {
    const want = await readFile(join(HERE, f), 'utf8');
    if (want !== (await readFile(join(WORK, f), 'utf8').catch(() => ''))) {
      await writeFile(join(WORK, f), want);
      stale = true;
    }
  }
  if (stale) {
    console.log('installing consumer tools (vite, webpack, typescript) into target/consumers');
    await must('npm ci (tools)', 'npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']);
  }
  await rm(join(WORK, 'node_modules/mobilenet-wasm'), { recursive: true, force: true });
  await must('npm install (tarball)', 'npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball]);
  const shipped = await readdir(join(WORK, 'node_modules/mobilenet-wasm/wasm'));
  return { shipped };
}

async function nodeSuite() {
  await rm(join(WORK, 'node'), { recursive: true, force: true });
  await mkdir(join(WORK, 'node'));
  await cp(join(HERE, 'node/check.mjs'), join(WORK, 'node/check.mjs'));
  const r = await run(process.execPath, ['check.mjs'], { cwd: join(WORK, 'node'), env: { MOBILENET_DATA: DATA } });
  let seen = 0;
  for (const m of r.output.matchAll(/^(ok|not ok) - (.*?)(?:: (.*))?$/gm)) {
    seen++;
    record('node', m[2], m[1] === 'ok', m[3]);
  }
  if (r.code !== 0 && !results.some((x) => x.suite === 'node' && !x.ok)) record('node', 'check.mjs exits cleanly', false, r.output);
  if (!seen) record('node', 'check.mjs ran its checks', false, r.output);
}

async function tsSuite() {
  await rm(join(WORK, 'ts'), { recursive: true, force: true });
  await cp(join(HERE, 'ts'), join(WORK, 'ts'), { recursive: true });
  for (const config of ['tsconfig.json', 'tsconfig.nodenext.json']) {
    const r = await run(join(WORK, 'node_modules/.bin/tsc'), ['-p', join('ts', config)]);
    record('ts', `tsc --noEmit -p ${config} type-checks the consumer`, r.code === 0, r.output.trim());
  }
}

/** The files every browser app shares: the app, its page, the images it bundles. */
async function appSources(dir, { rewriteImport } = {}) {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  let app = await readFile(join(HERE, 'browser/app.js'), 'utf8');
  if (rewriteImport) app = app.replace("from 'mobilenet-wasm'", `from '${rewriteImport}'`);
  await writeFile(join(dir, 'app.js'), app);
  await cp(join(HERE, 'browser/index.html'), join(dir, 'index.html'));
  for (const img of IMAGES) await cp(join(DATA, 'images', img), join(dir, img));
}

/** What the page fetches at run time but never bundles: the model and TFLite's golden top-5. */
async function servedData(dir) {
  await mkdir(join(dir, 'models'), { recursive: true });
  await cp(join(DATA, 'models', `${MODEL}.tflite`), join(dir, 'models', `${MODEL}.tflite`));
  const expected = {};
  for (const id of ['grace_hopper_bmp', 'coffee_png']) {
    const g = JSON.parse(await readFile(join(DATA, 'golden', MODEL, `${id}.json`), 'utf8'));
    expected[id] = g.top5.map((t) => [t.index, Math.fround(t.probability)]);
  }
  await writeFile(join(dir, 'expected.json'), JSON.stringify(expected));
}

async function viteApp() {
  const dir = join(WORK, 'vite');
  await appSources(dir);
  await servedData(join(dir, 'public'));
  const out = await must('vite build', join(WORK, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], { cwd: dir });
  if (out.trim()) console.log(`vite build says:\n${out.trim()}`);
  return join(dir, 'dist');
}

/** Vite's dev server pre-bundles dependencies away from their .wasm and worker files: the README's config line. */
async function viteDevApp() {
  const dir = join(WORK, 'vite-dev');
  await appSources(dir);
  await servedData(join(dir, 'public'));
  // Plus the isolation headers threads need, as any threaded app's dev server must send.
  await writeFile(join(dir, 'vite.config.js'), [
    'export default {',
    "  optimizeDeps: { exclude: ['mobilenet-wasm'] },",
    "  server: { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },",
    '};',
    '',
  ].join('\n'));
  return dir;
}

async function viteDevServer(dir) {
  const port = await new Promise((ok) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => ok(free));
    });
  });
  const args = ['--host', '127.0.0.1', '--port', String(port), '--strictPort', '--clearScreen', 'false'];
  // Vite colours its banner when $CI is set (CI machines set it), splitting the port with escape codes: NO_COLOR,
  // and the codes stripped anyway. A server that never says it is ready fails the suite instead of hanging it.
  const server = spawn(join(WORK, 'node_modules/.bin/vite'), args,
    { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
  let banner = '';
  await new Promise((ok, fail) => {
    const deadline = setTimeout(() => {
      server.kill();
      fail(new Error(`vite dev did not report 127.0.0.1:${port} within ${SERVER_START_MS} ms; it printed:\n${banner}`));
    }, SERVER_START_MS);
    server.stdout.on('data', (d) => {
      banner += String(d);
      if (stripAnsi(banner).includes(`127.0.0.1:${port}`)) { clearTimeout(deadline); ok(); }
    });
    server.on('exit', (code) => { clearTimeout(deadline); fail(new Error(`vite dev exited with ${code}`)); });
  });
  return { origin: `http://127.0.0.1:${port}`, stop: () => server.kill() };
}

async function webpackApp() {
  const dir = join(WORK, 'webpack');
  await appSources(dir);
  await cp(join(HERE, 'browser/webpack.build.mjs'), join(dir, 'webpack.build.mjs'));
  const out = await must('webpack build', process.execPath, ['webpack.build.mjs'], { cwd: dir });
  if (/WARNING/.test(out)) console.log(`webpack says:\n${out.trim()}`);
  const dist = join(dir, 'dist');
  // webpack's automatic publicPath reads document.currentScript, which module scripts lack: a classic tag.
  const html = (await readFile(join(HERE, 'browser/index.html'), 'utf8')).replace('<script type="module" src="./app.js">', '<script defer src="./main.js">');
  await writeFile(join(dist, 'index.html'), html);
  await servedData(dist);
  return dist;
}

async function plainApp() {
  const dir = join(WORK, 'plain');
  await appSources(dir, { rewriteImport: './mobilenet-wasm/index.js' });
  await cp(join(WORK, 'node_modules/mobilenet-wasm'), join(dir, 'mobilenet-wasm'), { recursive: true });
  await servedData(dir);
  return dir;
}

/** Serve `dir` with tools/serve.mjs (COOP/COEP, strict CSP) on a free port. */
async function serve(dir) {
  const server = spawn(process.execPath, [join(ROOT, 'tools/serve.mjs'), dir, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const origin = await new Promise((ok, fail) => {
    server.stdout.on('data', (d) => {
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(String(d));
      if (m) ok(`http://127.0.0.1:${m[1]}`);
    });
    server.on('exit', (code) => fail(new Error(`serve.mjs exited with ${code}`)));
  });
  return { origin, stop: () => server.kill() };
}

/** Every server here isolates pages (COOP/COEP) and Chromium has relaxed SIMD: the best shipped build should run,
 * bundled or not (the threaded build's pool workers are found by bundlers like the inference worker). */
function expectedBuild({ shipped }) {
  return ['threads', 'relaxed-simd', 'simd'].find((b) => shipped.includes(b));
}

async function browserSuite(suite, makeApp, builds, { start = serve } = {}) {
  let dist;
  try {
    dist = await makeApp();
    record(suite, start === serve ? 'the app builds' : 'the app is set up', true);
  } catch (e) {
    record(suite, 'the app builds', false, e.message);
    return;
  }
  const { chromium } = await import(pathToFileURL(join(ROOT, '.tools/node_modules/playwright-core/index.mjs')));
  let origin;
  let stop;
  try {
    ({ origin, stop } = await start(dist));
  } catch (e) {
    record(suite, 'the server starts', false, e.message);
    return;
  }
  const profile = await mkdtemp(join(tmpdir(), 'mobilenet-consumer-'));
  let context;
  let page;
  const pageErrors = [];
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    await context.grantPermissions(['camera'], { origin });
    const requests = [];
    const offOrigin = [];
    context.on('request', (r) => requests.push(r.url()));
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
      offOrigin.push(url);
      return route.abort();
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.__report?.done, null, { timeout: PAGE_TIMEOUT_MS });
    const report = await page.evaluate(() => window.__report);
    for (const c of report.checks) record(suite, c.name, c.ok, c.detail);
    const want = expectedBuild(builds);
    record(suite, `load() chose the '${want}' build`, report.info?.build === want, `info: ${JSON.stringify(report.info)}`);
    if (want === 'threads') {
      record(suite, 'its inferences run on 2 or more threads', report.info?.threads >= 2, `info: ${JSON.stringify(report.info)}`);
    }
    const wasm = requests.filter((u) => u.endsWith('.wasm'));
    record(suite, `all ${requests.length} requests stayed on ${origin}`, offOrigin.length === 0 && wasm.length > 0,
      `off-origin: ${offOrigin.join(', ') || 'none'}; wasm requests: ${wasm.length}`);
    console.log(`    ${suite}: info ${JSON.stringify(report.info)}; timings ${JSON.stringify(report.timings)}`);
    const unexpected = pageErrors.filter((e) => !/404|Failed to load resource/.test(e));
    if (unexpected.length) console.log(`    ${suite}: page errors:\n      ${unexpected.join('\n      ')}`);
  } catch (e) {
    const partial = await page?.evaluate(() => window.__report).catch(() => null);
    for (const c of partial?.checks ?? []) record(suite, c.name, c.ok, c.detail);
    record(suite, 'the page ran its checks', false, `${e.message}\n    page errors: ${pageErrors.join('\n      ') || 'none'}`);
  } finally {
    await context?.close();
    stop();
    await rm(profile, { recursive: true, force: true });
  }
}

async function main() {
  const t0 = Date.now();
  let builds;
  try {
    const tarball = await findTarball();
    console.log(`package under test: ${tarball} (${(await stat(tarball)).size} bytes)`);
    builds = await install(tarball);
    console.log(`builds shipped: ${builds.shipped.join(', ')}`);
  } catch (e) {
    record('setup', 'install the tarball and tools', false, e.message);
  }
  if (builds) {
    if (wanted('node')) await nodeSuite();
    if (wanted('ts')) await tsSuite();
    if (wanted('vite')) await browserSuite('vite', viteApp, builds);
    if (wanted('vite-dev')) await browserSuite('vite-dev', viteDevApp, builds, { start: viteDevServer });
    if (wanted('webpack')) await browserSuite('webpack', webpackApp, builds);
    if (wanted('plain')) await browserSuite('plain', plainApp, builds);
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

await main();
