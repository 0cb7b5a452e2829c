// Demo soak (not in the default test suite: minutes long). Pushes N webcam frames through the page in headless
// Chromium (first half ImageNet top-5, second half teach mode: embed + k-NN after capturing examples) and samples,
// every --every frames, after a forced GC: the page's JS heap (performance.memory.usedJSHeapSize), the inference
// worker's wasm memory, and the renderer processes' resident memory. After each half's warm-up, wasm memory must
// not grow at all and the JS heap only within --heap-slack bytes; at most one frame may ever be in flight.
// Usage: node tests/e2e/soak-demo.mjs [--frames 2000] [--model mobilenet_v1_0.25_128_quant] [--every 100]
//          [--warmup 200] [--heap-slack 524288]          (after ./build.sh build; ends with 'N passed, M failed')
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  artifacts, BROWSER_SERVICES, chromiumFlags, counter, launch, makeVideos, startServer, startTrapProxy, watch,
  webcamFlags,
} from './harness.mjs';

const { values: opt } = parseArgs({
  options: {
    frames: { type: 'string', default: '2000' },
    model: { type: 'string', default: 'mobilenet_v1_0.25_128_quant' },
    every: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '200' },
    'heap-slack': { type: 'string', default: String(512 * 1024) },
  },
});
const FRAMES = Number(opt.frames);
const EVERY = Number(opt.every);
const WARMUP = Number(opt.warmup);
const HEAP_SLACK = Number(opt['heap-slack']);
const HALF = Math.floor(FRAMES / 2);
const MB = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;

/** Resident memory of the renderer processes of the browser whose command line names `profile`. */
async function rendererRss(profile) {
  const procs = new Map(); // pid → { ppid, cmd }
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      procs.set(Number(pid), { ppid, cmd: (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ') });
    } catch {
      // exited meanwhile
    }
  }
  const browser = [...procs].find(([, p]) => p.cmd.includes(profile) && !p.cmd.includes('--type='))?.[0];
  let rss = 0;
  for (const [pid, p] of procs) {
    let up = p.ppid;
    while (up && up !== browser && procs.has(up)) up = procs.get(up).ppid;
    if (up !== browser || !p.cmd.includes('--type=renderer')) continue;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    rss += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  }
  return rss;
}

/**
 * The inference worker's wasm memory: its wasm-bindgen glue module, imported again inside the worker (the same
 * module instance), returns the already-initialised instance's exports, whose `memory` is the wasm memory.
 */
async function workerWasmBytes(page, build) {
  const worker = page.workers().find((w) => w.url().endsWith('/mobilenet-wasm/worker.js'));
  if (!worker) throw new Error('the inference worker is not running');
  return worker.evaluate(async (glueUrl) => {
    globalThis.gc?.();
    const exports = await (await import(glueUrl)).default();
    return exports.memory.buffer.byteLength;
  }, new URL(`wasm/${build}/mobilenet_wasm.js`, worker.url()).href);
}

async function sample(page, profile, build) {
  const pageSide = await page.evaluate(() => {
    globalThis.gc?.();
    return { heap: performance.memory.usedJSHeapSize, frames: window.mobilenetDemo.frames, fps: document.getElementById('fps').textContent, latency: document.getElementById('latency').textContent };
  });
  return { ...pageSide, wasm: await workerWasmBytes(page, build), rss: await rendererRss(profile) };
}

async function main() {
  const t = counter();
  const tmp = await mkdtemp(join(tmpdir(), 'mnw-soak-'));
  const trap = await startTrapProxy();
  const server = await startServer();
  const profile = join(tmp, 'profile');
  let ctx;
  const samples = [];
  try {
    const { coffee } = await makeVideos(join(tmp, 'videos'), trap.url, { coffee: 'coffee.png' });
    ctx = await launch(profile, chromiumFlags(trap.url, [...webcamFlags(coffee), '--js-flags=--expose-gc', '--enable-precise-memory-info']));
    const seen = await watch(ctx, server.origin);
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(`${server.origin}/?model=${opt.model}`);
    await page.waitForFunction(() => document.body.dataset.modelState === 'ready', null, { timeout: 120_000 });
    const { build } = await page.evaluate(() => window.mobilenetDemo.info);
    console.log(`soak: ${FRAMES} frames of ${opt.model} (build ${build}), sampled every ${EVERY}; ImageNet until ${HALF}, then teach mode`);
    await page.click('#camera');
    const started = Date.now();
    let teaching = false;
    let captured = 0; // examples right after capturing
    for (let next = EVERY; next <= FRAMES; next += EVERY) {
      await page.waitForFunction((n) => window.mobilenetDemo.frames >= n, next, { timeout: 600_000 });
      const s = { at: next, mode: teaching ? 'teach' : 'imagenet', ...(await sample(page, profile, build)) };
      samples.push(s);
      console.log(`  ${String(s.frames).padStart(5)} frames (${s.mode}): JS heap ${MB(s.heap)}, wasm ${MB(s.wasm)}, renderers ${MB(s.rss)}, ${s.fps} FPS, ${s.latency}`);
      if (!teaching && next >= HALF) {
        // Second half: teach mode with 10 examples in each of two classes (captured once, then only predicted).
        teaching = true;
        await page.click('#tab-teach');
        for (const row of [1, 2]) {
          await page.hover(`#classes .class-row:nth-child(${row}) .capture`);
          await page.mouse.down();
          await page.waitForFunction((r) => Number(document.querySelector(`#classes .class-row:nth-child(${r})`).dataset.count) >= 10, row, { timeout: 120_000 });
          await page.mouse.up();
        }
        const now = await page.evaluate(() => window.mobilenetDemo.frames); // a frame in flight at release may add one
        await page.waitForFunction((n) => window.mobilenetDemo.frames >= n + 2, now, { timeout: 60_000 });
        captured = await page.evaluate(() => window.mobilenetDemo.examples);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    const d = await page.evaluate(() => ({ frames: window.mobilenetDemo.frames, maxInFlight: window.mobilenetDemo.maxInFlight, examples: window.mobilenetDemo.examples }));
    console.log(`soak: ${d.frames} frames in ${seconds.toFixed(0)} s (${(d.frames / seconds).toFixed(1)} FPS)`);

    for (const [mode, from] of [['imagenet', WARMUP], ['teach', HALF + WARMUP + EVERY]]) {
      const window = samples.filter((s) => s.mode === mode && s.at > from);
      if (window.length < 2) {
        t.check(false, `${mode}: too few samples after warm-up (${window.length}); use more --frames`);
        continue;
      }
      const [first, last] = [window[0], window.at(-1)];
      const range = (key) => [Math.min(...window.map((s) => s[key])), Math.max(...window.map((s) => s[key]))];
      const [wasmMin, wasmMax] = range('wasm');
      const [heapMin, heapMax] = range('heap');
      const rssGrowth = last.rss - first.rss;
      t.check(wasmMin === wasmMax, `${mode}: wasm memory flat from frame ${first.at} to ${last.at} (${MB(wasmMin)} … ${MB(wasmMax)})`);
      t.check(heapMax - heapMin <= HEAP_SLACK, `${mode}: JS heap flat within ${MB(HEAP_SLACK)} from frame ${first.at} to ${last.at} (${MB(heapMin)} … ${MB(heapMax)}, last ${MB(last.heap)})`);
      console.log(`  ${mode}: renderer resident memory ${MB(first.rss)} → ${MB(last.rss)} (${rssGrowth >= 0 ? '+' : ''}${MB(rssGrowth)}; informative, not asserted)`);
    }
    t.check(d.frames >= FRAMES, `${d.frames} frames went through the page`);
    t.check(d.maxInFlight === 1, `never more than one frame in flight (max ${d.maxInFlight})`);
    t.check(captured >= 20 && d.examples === captured, `teach mode kept the ${captured} examples captured (${d.examples})`);
    t.check(seen.errors.length === 0, `no console errors ${seen.errors.slice(0, 3).join(' | ')}`);
    t.check(seen.foreign.length === 0, `no request left the page's origin ${seen.foreign.slice(0, 3).join(' ')}`);
    t.check(trap.hits.filter((h) => !BROWSER_SERVICES.test(h)).length === 0, 'nothing but Chromium\'s own services reached the trap proxy');
    await mkdir(artifacts, { recursive: true });
    await writeFile(join(artifacts, 'soak-demo.json'), JSON.stringify({ options: opt, build, seconds, samples }, null, 2));
  } catch (e) {
    t.check(false, `soak crashed: ${e?.stack ?? e}`);
    await ctx?.pages()[0]?.screenshot({ path: join(artifacts, 'soak-demo-failure.png') }).catch(() => {});
  } finally {
    await ctx?.close().catch(() => {});
    await server.stop();
    await trap.stop();
    await rm(tmp, { recursive: true, force: true });
  }
  console.log(`${t.passed} passed, ${t.failed} failed`);
  process.exit(t.failed ? 1 : 0);
}

await main();
