#!/usr/bin/env node
// mobilenet-wasm side-by-side benchmark: the project's wasm (every pkg/web* build) against TFLite-wasm
// (@tensorflow/tfjs-tflite), TF.js-wasm (tfjs-backend-wasm SIMD) and onnxruntime-web, on the same .tflite files and
// the same golden input, interleaved one inference at a time in one headless Chromium page; plus the project in
// Node and the machine's wasm f32x4 multiply-add peak. Run through `./build.sh bench [args]`; see BENCHMARKS.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { readTflite } from './lib/tflite.mjs';
import { toTfjsGraph, toOnnx } from './lib/convert.mjs';
import { imagesAt, loadCase, check } from './lib/inputs.mjs';
import { startServer } from './lib/server.mjs';
import { cpuWindow } from './lib/cpu.mjs';
import { nodeRunner } from './lib/node-row.mjs';
import { buildPeakModules, summarisePeak } from './lib/peak.mjs';
import { buildKernelBench, POINTWISE_224 } from './lib/layers.mjs';
import { summary } from './lib/stats.mjs';
import { printModel, printReport, markdownReport, inSingleThreadPage } from './lib/report.mjs';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); // Node 20: relaxed SIMD builds and the madd peak need it
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const DATA = path.resolve(process.env.MOBILENET_DATA ?? path.join(ROOT, '..', 'shared', 'data'));

const PEERS = {
  tflite: { kind: 'tflite', variant: 'simd', threads: 1, desc: '@tensorflow/tfjs-tflite: TFLite C++ + XNNPACK, SIMD build, 1 thread' },
  'tfjs-wasm': { kind: 'tfjs-wasm', desc: '@tensorflow/tfjs-backend-wasm: XNNPACK, SIMD build, no threads; graph model converted from the .tflite' },
  'ort-wasm': { kind: 'ort-wasm', threads: 1, desc: 'onnxruntime-web: wasm EP, 1 thread; ONNX converted from the .tflite' },
  'tflite-mt': { kind: 'tflite', variant: 'threaded', threaded: true, desc: '@tensorflow/tfjs-tflite: threaded SIMD build, --threads threads' },
  'tfjs-wasm-mt': { kind: 'tfjs-wasm', threaded: true, desc: '@tensorflow/tfjs-backend-wasm: XNNPACK, threaded SIMD build, --threads threads' },
  'ort-wasm-mt': { kind: 'ort-wasm', threaded: true, desc: 'onnxruntime-web: wasm EP, --threads threads' },
};
/** Idle time before each inference in the threaded peers' page (see pageGroups). */
const THREADED_GAP_MS = 40;
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
  '--proxy-server=http://127.0.0.1:9']; // a dead proxy: anything not on loopback fails

const USAGE = `usage: ./build.sh bench [options]      (or: node bench/bench.mjs [options] after ./build.sh build)
  --runs N         timed runs per runtime (default 50), interleaved one inference at a time
  --warmup N       untimed runs first (default 5); the first one is reported as "first inference"
  --models a,b     model stems or substrings (default: every $MOBILENET_DATA/models/*.tflite and the
                   bench-models float stand-in)
  --peers a,b      peers among ${Object.keys(PEERS).join(', ')} (default tflite,tfjs-wasm,ort-wasm, plus tflite-mt,
                   tfjs-wasm-mt,ort-wasm-mt when a threaded project build exists); 'none' for the project alone
  --builds a,b     project builds: pkg/ folder names (default: every pkg/web* holding mobilenet_wasm_bg.wasm)
  --pkg DIR        where the builds are (default <repo>/pkg; e.g. a saved baseline build to compare with)
  --threads N      threads for threaded builds and peers (default: the machine's core count)
  --gap MS         idle time before each inference in the threaded peers' page (default ${THREADED_GAP_MS})
  --speedup-gap MS idle time before each inference in the project's own threads speed-up page (default 0)
  --image ID       the timed golden input (default grace_hopper_bmp)
  --check L        images whose outputs are checked: 'all' (default: the 9 golden images), 'timed' or ids
  --no-node        skip the project's Node rows      --no-peak   skip the f32x4 peak and the layer timing
  --no-layers      skip the pointwise-layer timing (it builds bench/kernels with wasm-pack)
  --peak-only      only the peak and layer timing    --json F    results file (default bench/results/<time>.json)
  --chromium P     Chromium binary (default /usr/bin/chromium)   -v  verbose (page console)
  --report F.json  only re-print the markdown summary of a saved results file`;

function parseArgs(argv) {
  const o = { runs: 50, warmup: 5, models: null, peers: null, builds: null, threads: null, image: 'grace_hopper_bmp',
    check: 'all', gap: THREADED_GAP_MS, speedupGap: 0, pkg: path.join(ROOT, 'pkg'), node: true, peak: true, layers: true, peakOnly: false, json: null, chromium: '/usr/bin/chromium', verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    const list = () => val().split(',').filter(Boolean);
    switch (a) {
      case '--runs': o.runs = Number(val()); break;
      case '--warmup': o.warmup = Number(val()); break;
      case '--models': o.models = list(); break;
      case '--peers': o.peers = list().filter((p) => p !== 'none'); break;
      case '--builds': o.builds = list(); break;
      case '--threads': o.threads = Number(val()); break;
      case '--gap': o.gap = Number(val()); break;
      case '--speedup-gap': o.speedupGap = Number(val()); break;
      case '--image': o.image = val(); break;
      case '--check': o.check = val(); break;
      case '--pkg': o.pkg = path.resolve(val()); break;
      case '--no-node': o.node = false; break;
      case '--no-peak': o.peak = false; break;
      case '--no-layers': o.layers = false; break;
      case '--peak-only': o.peakOnly = true; break;
      case '--json': o.json = path.resolve(val()); break;
      case '--chromium': o.chromium = val(); break;
      case '-v': case '--verbose': o.verbose = true; break;
      case '-h': case '--help': console.log(USAGE); process.exit(0);
      default: throw new Error(`unknown argument ${a} (see --help)`);
    }
  }
  if (!(o.runs >= 1) || !(o.warmup >= 1)) throw new Error('--runs and --warmup must be >= 1');
  if (!(o.gap >= 0) || !(o.speedupGap >= 0)) throw new Error('--gap and --speedup-gap must be >= 0');
  for (const p of o.peers ?? []) if (!PEERS[p]) throw new Error(`unknown peer ${p}`);
  return o;
}

/** The project's wasm builds: pkg/web* folders with the wasm-bindgen output; threaded = exports initThreadPool. */
function findBuilds(o) {
  const pkg = o.pkg;
  const dirs = fs.existsSync(pkg) ? fs.readdirSync(pkg).filter((d) => d.startsWith('web')).sort() : [];
  const builds = dirs.map((d) => ({ name: d, dir: path.join(pkg, d) }))
    .filter((b) => fs.existsSync(path.join(b.dir, 'mobilenet_wasm_bg.wasm')) && fs.existsSync(path.join(b.dir, 'mobilenet_wasm.js')))
    .filter((b) => !o.builds || o.builds.includes(b.name))
    .map((b) => ({ ...b, id: b.name === 'web' ? 'project' : `project-${b.name.replace(/^web-?/, '')}`, ...buildStamp(b.dir),
      threaded: fs.readFileSync(path.join(b.dir, 'mobilenet_wasm.js'), 'utf8').includes('initThreadPool') }));
  if (!builds.length) throw new Error(`no project build in ${pkg}/web* (run ./build.sh build first)`);
  // The threads speed-up is measured against the single-thread build run as the threaded one is: in a Worker,
  // timed over the message round trip, with the same idle gap, interleaved in the same page (as the package runs
  // both: load() always infers in a Worker). `inWorker` marks this second entry of pkg/web.
  const single = builds.find((b) => b.name === 'web');
  if (single && builds.some((b) => b.threaded)) builds.push({ ...single, id: 'project-worker', inWorker: true });
  return builds;
}

function buildStamp(dir) {
  const f = path.join(dir, 'mobilenet_wasm_bg.wasm');
  return { sha256: crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex').slice(0, 12),
    built: fs.statSync(f).mtime.toISOString().slice(0, 16).replace('T', ' ') };
}

function findModels(o) {
  const list = [];
  for (const dir of [path.join(DATA, 'models'), path.join(DATA, 'bench-models')]) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.tflite')).sort()) {
      list.push({ stem: f.slice(0, -'.tflite'.length), file: path.join(dir, f) });
    }
  }
  const chosen = o.models ? list.filter((m) => o.models.some((s) => m.stem === s || m.stem.includes(s))) : list;
  if (!chosen.length) throw new Error(`no model matches (${DATA}/models, bench-models)`);
  return chosen;
}

/** Page groups: single-threaded runtimes share one page; threaded ones get their own (their pools would compete).
 * A third page, with the project alone, times the threads speed-up: `project-worker` and the threaded build back to
 * back. In the threaded peers' page every inference waits `--gap` ms first, so no peer's pool is still spinning
 * (XNNPACK's pthreadpool and ORT spin-wait after a job; with ORT and TF.js in the page and no gap, the project's
 * 2-thread median on 1.0/224 was 28.5 ms, p10 16.7). But after ~40 ms idle this 2-vCPU VM is slow to wake the second
 * vCPU, for every threaded runtime (measured 2026-11-30: project 2 threads 17.2 ms median at a 0 ms gap, 17.8 at
 * 25, 22-24 at 40, with p10 unchanged; tflite-mt 22.6 / 22.9 / 27.5), so the speed-up is timed where no foreign
 * pool runs: the project's helpers stop spinning when an inference ends. */
function pageGroups(o, builds) {
  const threaded = builds.some((b) => b.threaded);
  const peers = o.peers ?? ['tflite', 'tfjs-wasm', 'ort-wasm', ...(threaded ? ['tflite-mt', 'tfjs-wasm-mt', 'ort-wasm-mt'] : [])];
  // Threaded runtimes get --threads, else the machine's core count (not navigator.hardwareConcurrency, which the
  // threaded page overrides for TF.js's sake).
  const mt = o.threads ?? os.cpus().length;
  const spec = (b) => ({ id: b.id, kind: 'project', jsUrl: `/pkg/${b.name}/mobilenet_wasm.js`,
    wasmUrl: `/pkg/${b.name}/mobilenet_wasm_bg.wasm`, threads: b.threaded ? mt : 1, threaded: b.threaded, worker: !inSingleThreadPage(b) });
  const peerSpec = (p) => ({ id: p, ...PEERS[p], threads: PEERS[p].threaded ? mt : PEERS[p].threads });
  const groups = [
    { name: 'single-thread', runtimes: [...builds.filter(inSingleThreadPage).map(spec), ...peers.filter((p) => !PEERS[p].threaded).map(peerSpec)] },
    // Between two threaded inferences a pause, so the previous runtime's pool has stopped spinning (XNNPACK's
    // pthreadpool and ORT spin-wait after a job) and does not steal the cores of the next one.
    { name: 'threaded', gapMs: o.gap, runtimes: [...builds.filter((b) => !inSingleThreadPage(b)).map(spec), ...peers.filter((p) => PEERS[p].threaded).map(peerSpec)] },
    // `project-worker` exists only beside a threaded build (findBuilds): then this page holds the pair.
    { name: 'speed-up', speedup: true, gapMs: o.speedupGap,
      runtimes: builds.some((b) => b.inWorker) ? builds.filter((b) => b.inWorker || b.threaded).map(spec) : [] },
  ];
  return groups.filter((g) => g.runtimes.length);
}

let browserVersion = null; // the Chromium version, as Playwright reports it

/** page.evaluate with a deadline, so a hung runtime fails the run instead of blocking it forever. */
function evaluate(page, fn, arg, minutes = 15) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`page call timed out after ${minutes} min`)), minutes * 60e3);
  });
  return Promise.race([page.evaluate(fn, arg), deadline]).finally(() => clearTimeout(timer));
}

async function openPage(o, origin, log, hardwareConcurrency = null) {
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'mnw-bench-udd-'));
  const ctx = await chromium.launchPersistentContext(udd, { executablePath: o.chromium, headless: true, args: CHROMIUM_ARGS });
  const external = [], consoleLines = [];
  ctx.on('request', (r) => {
    const u = new URL(r.url());
    if (!['blob:', 'data:'].includes(u.protocol) && u.hostname !== '127.0.0.1') external.push(r.url());
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('console', (m) => { consoleLines.push(`${m.type()}: ${m.text()}`); log(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => { consoleLines.push(`pageerror: ${e.message}`); log(`pageerror: ${e.message}`); });
  if (hardwareConcurrency) {
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Emulation.setHardwareConcurrencyOverride', { hardwareConcurrency });
  }
  await page.goto(`${origin}/page/index.html`);
  await page.waitForFunction(() => window.benchReady === true);
  const close = async () => {
    await ctx.close().catch(() => {});
    fs.rmSync(udd, { recursive: true, force: true });
  };
  browserVersion = ctx.browser()?.version() ?? browserVersion;
  return { page, close, external, consoleLines, version: browserVersion };
}

/** Read, convert and register one model's files with the server; -> model descriptor for the page + cases. */
function prepareModel(m, o, files) {
  const bytes = new Uint8Array(fs.readFileSync(m.file));
  const net = readTflite(bytes);
  const R = net.input.shape[1];
  files.set(`/models/${m.stem}.tflite`, bytes);
  let convertError = null;
  try {
    const g = toTfjsGraph(net);
    files.set(`/conv/${m.stem}/model.json`, JSON.stringify(g.modelJson));
    files.set(`/conv/${m.stem}/weights.bin`, g.weightsBin);
    files.set(`/conv/${m.stem}/model.onnx`, toOnnx(net));
  } catch (e) {
    convertError = e.message;
  }
  const golden = path.join(DATA, 'golden');
  const available = imagesAt(golden, R);
  if (!available.includes(o.image)) throw new Error(`no golden input ${o.image}_${R}.png`);
  const ids = o.check === 'timed' ? [o.image] : o.check === 'all' ? available : [...new Set([o.image, ...o.check.split(',')])];
  const cases = ids.map((id) => loadCase(golden, m.stem, id, net));
  for (const c of cases) {
    for (const [kind, arr] of Object.entries(c.tensors)) files.set(`/inputs/${m.stem}/${c.image}.${kind}`, Buffer.from(arr.buffer));
  }
  return {
    stem: m.stem, file: m.file, bytes, net, cases, convertError, sizeBytes: bytes.length,
    page: { stem: m.stem, res: R, quantized: net.input.dtype === 'uint8', tfliteUrl: `/models/${m.stem}.tflite`,
      tfjsUrl: `/conv/${m.stem}/model.json`, onnxUrl: `/conv/${m.stem}/model.onnx` },
  };
}

/** Output correctness of every runtime on every checked image; the TFLite peer is the anchor without golden files. */
function checkOutputs(model, outputsByImage, kinds) {
  const checks = {};
  for (const c of model.cases) {
    const outs = outputsByImage[c.image];
    const anchor = outs.tflite ?? outs['tflite-mt'] ?? null;
    for (const [id, out] of Object.entries(outs)) {
      const raw = kinds[id] === 'project' || kinds[id] === 'tflite';
      const against = { ref: c.ref, anchor: kinds[id] === 'tflite' ? null : anchor, raw, float: model.net.output.dtype === 'float32' };
      (checks[id] ??= []).push({ image: c.image, ...check(out, against) });
    }
  }
  return checks;
}

const CHUNK = 5; // timed runs per page.evaluate: browser and Node chunks alternate

/** Node rows (the project in this process): created before a group's timed phase, run in alternation with it. */
async function nodeRunners(model, builds, o) {
  const timed = model.cases.find((c) => c.image === o.image);
  const out = [];
  for (const b of builds.filter(inSingleThreadPage)) {
    const id = `node:${b.id}`;
    try {
      const r = await nodeRunner(b, model.bytes, timed.tensors, model.page.quantized);
      const warm = r.run(o.warmup);
      out.push({ id, r, firstMs: warm[0], times: [] });
    } catch (e) {
      out.push({ id, error: String(e?.message ?? e) });
    }
  }
  return out;
}

async function runGroup(group, model, o, origin, nodes) {
  const log = (s) => o.verbose && console.log(`    [${group.name}] ${s}`);
  const timed = model.cases.find((c) => c.image === o.image);
  const specs = group.runtimes.filter((r) => r.kind === 'project' || r.kind === 'tflite' || !model.convertError);
  // tfjs-backend-wasm caps its pool at navigator.hardwareConcurrency / 2 (1 thread on 2 cores, whatever
  // setThreadsCount says): the threaded page reports twice the thread count, so every runtime gets --threads.
  const tfjsThreads = group.name === 'threaded' ? 2 * (o.threads ?? os.cpus().length) : null;
  const B = await openPage(o, origin, log, tfjsThreads);
  if (tfjsThreads) log(`navigator.hardwareConcurrency reported as ${2 * (o.threads ?? os.cpus().length)}`);
  try {
    const setup = await evaluate(B.page, ([m, s]) => window.bench.setup(m, s), [model.page, specs]);
    const live = specs.filter((s) => !setup.runtimes[s.id].error);
    for (const s of specs) if (setup.runtimes[s.id].error) console.log(`    ${s.id}: FAILED ${setup.runtimes[s.id].error}`);
    // warm-up on the timed input first (its first run is "first inference"), then one output per checked image
    const outputsByImage = {};
    for (const c of [timed, ...model.cases.filter((x) => x !== timed)]) {
      await evaluate(B.page, (u) => window.bench.setInput(u), `/inputs/${model.stem}/${c.image}`);
      if (c === timed) {
        const warm = await evaluate(B.page, ([n]) => window.bench.run(n, 0), [o.warmup]);
        for (const s of live) setup.runtimes[s.id].firstMs = warm.times[s.id][0];
      }
      outputsByImage[c.image] = await evaluate(B.page, () => window.bench.outputs());
    }
    await evaluate(B.page, (u) => window.bench.setInput(u), `/inputs/${model.stem}/${timed.image}`);
    const times = Object.fromEntries(live.map((s) => [s.id, []]));
    let run;
    const end = cpuWindow({ self: nodes.length > 0 });
    for (let done = 0; done < o.runs; done += CHUNK) {
      const n = Math.min(CHUNK, o.runs - done);
      run = await evaluate(B.page, ([k, offset, gap]) => window.bench.run(k, offset, gap), [n, done, group.gapMs ?? 0]);
      for (const s of live) times[s.id].push(...run.times[s.id]);
      for (const x of nodes.filter((y) => !y.error)) x.times.push(...x.r.run(n));
    }
    const noise = end();
    const checks = checkOutputs(model, outputsByImage, Object.fromEntries(live.map((s) => [s.id, s.kind])));
    const res = {};
    for (const s of live) {
      const stable = run.last[s.id].every((v, i) => v === outputsByImage[timed.image][s.id][i]);
      res[s.id] = { env: 'chromium', kind: s.kind, group: group.name, info: setup.runtimes[s.id], times: times[s.id],
        stats: summary(times[s.id]), firstMs: setup.runtimes[s.id].firstMs, setupMs: setup.runtimes[s.id].setupMs,
        checks: checks[s.id], stable };
    }
    for (const s of specs.filter((x) => !live.includes(x))) res[s.id] = { env: 'chromium', kind: s.kind, error: setup.runtimes[s.id].error };
    for (const x of nodes) {
      if (x.error) { res[x.id] = { env: 'node', kind: 'project', error: x.error }; continue; }
      const output = x.r.output();
      x.r.free();
      res[x.id] = { env: 'node', kind: 'project', group: group.name, times: x.times, stats: summary(x.times), firstMs: x.firstMs,
        setupMs: x.r.setupMs, checks: [{ image: timed.image, ...check(output, { ref: timed.ref, anchor: outputsByImage[timed.image].tflite, raw: true, float: model.net.output.dtype === 'float32' }) }] };
    }
    return { res, noise, page: { userAgent: setup.userAgent, crossOriginIsolated: setup.crossOriginIsolated,
      browserVersion: B.version, external: B.external, refused: run.refused,
      consoleErrors: B.consoleLines.filter((l) => /^(error|pageerror)/.test(l)).slice(0, 10) } };
  } finally {
    await B.close();
  }
}

/** The f32x4 peak (Chromium and Node) and, in the same page, the project's pointwise GEMM alone per layer shape. */
async function runPeak(o, origin, files, builds) {
  const mods = buildPeakModules(path.join(ROOT, '.tools', 'node_modules', '.bin', 'wasm-as'));
  const url = (m) => `/peak/${m.name.replace(/\W+/g, '_')}.wasm`;
  for (const m of mods) files.set(url(m), m.bytes);
  const { measurePeak } = await import('./page/peak-run.js');
  const node = await measurePeak(mods);
  const variants = ['simd128', ...(builds.some((b) => b.name === 'web-relaxed') ? ['relaxed'] : [])];
  const helpers = o.layers ? buildKernelBench(ROOT, variants, (s) => console.log(s)) : [];
  const B = await openPage(o, origin, () => {});
  const layers = {};
  let browser;
  try {
    browser = await evaluate(B.page, (v) => window.bench.peak(v), mods.map(({ bytes, ...m }) => ({ ...m, url: url(m) })));
    for (const h of helpers) {
      if (h.error) { layers[h.variant] = { error: h.error }; console.log(`layer timing (${h.variant}) skipped: ${h.error}`); continue; }
      const rel = `/kernels/${path.basename(h.dir)}/kernel_bench`;
      try {
        layers[h.variant] = { peakVariant: h.peak, shapes: await evaluate(B.page, (spec) => window.bench.layers(spec),
          { jsUrl: `${rel}.js`, wasmUrl: `${rel}_bg.wasm`, shapes: POINTWISE_224 }) };
      } catch (e) {
        layers[h.variant] = { error: String(e?.message ?? e).split('\n')[0] };
      }
    }
  } finally {
    await B.close();
  }
  return { chromium: { all: browser, best: summarisePeak(browser) }, node: { all: node, best: summarisePeak(node) }, layers };
}

function environment(o, argv) {
  const cpu = fs.existsSync('/proc/cpuinfo') ? (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? '?') : os.cpus()[0]?.model;
  const git = (args) => { try { return execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim(); } catch { return '?'; } };
  const version = (p) => { try { return JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules', p, 'package.json'), 'utf8')).version; } catch { return 'missing'; } };
  return {
    date: new Date().toISOString(), nproc: os.availableParallelism?.() ?? os.cpus().length, cpu, node: process.version,
    pkgDefault: o.pkg === path.join(ROOT, 'pkg'), commit: git(['rev-parse', '--short', 'HEAD']), dirty: git(['status', '--porcelain', '--', 'src', 'Cargo.toml']) !== '',
    command: `bench.mjs${argv.length ? ' ' + argv.join(' ') : ''}`, // what ./build.sh bench passes through
    versions: Object.fromEntries(['@tensorflow/tfjs-tflite', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-web',
      'playwright-core'].map((p) => [p, version(p)])),
    options: o,
  };
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--report') { // re-print the markdown of a saved results file
    const saved = JSON.parse(fs.readFileSync(argv[1], 'utf8'));
    console.log(markdownReport(saved, saved.builds));
    return 0;
  }
  const o = parseArgs(argv);
  const builds = findBuilds(o);
  const models = o.peakOnly ? [] : findModels(o);
  const groups = pageGroups(o, builds);
  const env = environment(o, argv);
  const files = new Map();
  const server = await startServer({ roots: { '/page/': path.join(HERE, 'page'), '/node_modules/': path.join(HERE, 'node_modules'),
    '/pkg/': o.pkg, '/kernels/': path.join(HERE, 'kernels') }, files });
  const out = { env, builds, peers: PEERS, models: {}, peak: null };
  console.log(`builds: ${builds.map((b) => `${b.id} (pkg/${b.name}${b.threaded ? ', threaded' : ''})`).join(', ')}`);
  console.log(`pages: ${groups.map((g) => `${g.name} [${g.runtimes.map((r) => r.id).join(' ')}]`).join('; ')}`);
  console.log(`${o.warmup} warm-up + ${o.runs} timed runs, interleaved; timed input ${o.image}; ${env.nproc} cores, ${env.cpu}`);
  try {
    for (const m of models) {
      const model = prepareModel(m, o, files);
      console.log(`\n== ${m.stem} (${model.net.input.dtype}, ${model.page.res}x${model.page.res})${model.convertError ? `; no TF.js/ORT model: ${model.convertError}` : ''}`);
      const entry = { file: path.relative(DATA, m.file), sizeBytes: model.sizeBytes, dtype: model.net.input.dtype,
        res: model.page.res, classes: model.net.classes, runtimes: {}, noise: {}, pages: {} };
      for (const [gi, g] of groups.entries()) {
        // the Node rows ride along with the first (single-thread) page, alternating chunk by chunk
        const nodes = o.node && gi === 0 ? await nodeRunners(model, builds, o) : [];
        let r;
        try {
          r = await runGroup(g, model, o, server.origin, nodes);
        } catch (e) { // e.g. a page call timed out: this page's runtimes fail, the run goes on
          const error = String(e?.message ?? e).split('\n')[0];
          console.log(`    ${g.name} page FAILED: ${error}`);
          for (const id of [...g.runtimes.map((x) => x.id), ...nodes.map((x) => x.id)]) entry.runtimes[id] = { error };
          continue;
        }
        if (g.speedup) entry.speedup = { gapMs: g.gapMs, runtimes: r.res };
        else Object.assign(entry.runtimes, r.res);
        entry.noise[g.name] = r.noise;
        entry.pages[g.name] = r.page;
        if (r.page.external.length) console.log(`    WARNING: requests left 127.0.0.1: ${r.page.external.join(' ')}`);
      }
      out.models[m.stem] = entry;
      printModel(m.stem, entry, builds);
    }
    if (o.peak) out.peak = await runPeak(o, server.origin, files, builds);
  } finally {
    server.close();
  }
  out.wasmSizes = wasmSizes(out, builds);
  env.chromium = browserVersion;
  printReport(out, builds);
  const md = markdownReport(out, builds);
  console.log(`\n---- markdown (paste into BENCHMARKS.md) ----\n${md}\n---- end ----`);
  const file = o.json ?? path.join(HERE, 'results', `${env.date.replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(out, null, 1));
  fs.writeFileSync(file.replace(/\.json$/, '') + '.md', md + '\n');
  console.log(`results: ${path.relative(process.cwd(), file)} (+ .md)`);
  // Failure = a runtime did not run, or the project's output is wrong (peers' top-1 disagreements are only reported).
  const failed = Object.values(out.models).some((e) => Object.values(e.runtimes)
    .some((r) => r.error || (r.kind === 'project' && r.checks?.some((c) => c.ok === false))));
  return failed ? 1 : 0;
}

/** Raw and gzip -9 size of every wasm binary a runtime loaded (the project's builds, the peers' files). */
function wasmSizes(out, builds) {
  const files = new Map();
  for (const b of builds.filter((x) => !x.inWorker)) files.set(b.id, [path.join(b.dir, 'mobilenet_wasm_bg.wasm')]);
  const NM = path.join(HERE, 'node_modules');
  const peerWasm = { tflite: '@tensorflow/tfjs-tflite/wasm/', 'tflite-mt': '@tensorflow/tfjs-tflite/wasm/',
    'tfjs-wasm': '@tensorflow/tfjs-backend-wasm/dist/', 'ort-wasm': 'onnxruntime-web/dist/' };
  for (const e of Object.values(out.models)) {
    for (const [id, r] of Object.entries(e.runtimes)) {
      if (peerWasm[id] && r.info?.wasm && !files.has(id)) files.set(id, [path.join(NM, peerWasm[id], r.info.wasm)]);
    }
  }
  const sizes = {};
  for (const [id, list] of files) {
    sizes[id] = list.filter((f) => fs.existsSync(f)).map((f) => {
      const b = fs.readFileSync(f);
      return { file: path.basename(f), raw: b.length, gzip: gzipSync(b, { level: 9 }).length };
    });
  }
  return sizes;
}

main().then((code) => process.exit(code), (e) => {
  console.error(`bench: ${e?.stack ?? e}`);
  process.exit(2);
});
