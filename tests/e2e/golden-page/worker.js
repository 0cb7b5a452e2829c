// Loads the threaded build when cross-origin isolation allows it (else the single-thread one), then classifies the
// exact golden input PNGs (decoded in wasm; at model resolution the crop/resize is the identity) and compares every
// output with TFLite's: uint8 probabilities must be identical, float within 1e-5. The threaded build is the npm
// package's (pkg/npm), as shipped: its pool threads are the package's pool-worker.js, started by its pool.js.
import { setPoolWorkerFactory } from '../npm/pool.js';

setPoolWorkerFactory(() => new Worker(new URL('../npm/pool-worker.js', import.meta.url), { type: 'module' }));

const MODELS = ['mobilenet_v1_1.0_224_quant', 'mobilenet_v1_0.75_192_quant', 'mobilenet_v1_0.5_160_quant',
  'mobilenet_v1_0.25_128_quant', 'mobilenet_v1_0.25_224'];
const IMAGES = ['cat_bmp', 'chelsea_png', 'coffee_png', 'grace_hopper_bmp', 'grace_hopper_jpg', 'hot_dog_jpg',
  'owl_jpg', 'parrot_jpg', 'sunflower_bmp'];

const bytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());

onmessage = async ({ data: { threads, build, brokenPool } }) => {
  if (brokenPool) {
    postMessage(await startBrokenPool(threads));
    return;
  }
  try {
    const isolated = self.crossOriginIsolated && typeof SharedArrayBuffer !== 'undefined';
    const chosen = build === 'auto' ? (isolated ? 'threads' : 'single') : build;
    const mod = await import(chosen === 'threads' ? '../npm/wasm/threads/mobilenet_wasm.js' : '../pkg/mobilenet_wasm.js');
    await mod.default();
    if (chosen === 'threads') await mod.initThreadPool(threads);
    const report = { isolated, build: chosen, threadCount: mod.threadCount(), cases: 0, exact: 0, failures: [], ms: 0 };
    const t0 = performance.now();
    for (const model of MODELS) {
      const clf = new mod.Classifier(await bytes(`../data/models/${model}.tflite`));
      const r = clf.inputSize;
      for (const image of IMAGES) {
        const golden = await (await fetch(`../data/golden/${model}/${image}.json`)).json();
        clf.classifyImage(await bytes(`../data/golden/inputs/${image}_${r}.png`), 5);
        const got = clf.probabilities();
        const scale = model.endsWith('_quant') ? 1 / 256 : 1;
        let maxDiff = 0;
        golden.output.forEach((v, i) => { maxDiff = Math.max(maxDiff, Math.abs(got[i] - v * scale)); });
        report.cases++;
        if (maxDiff === 0) report.exact++;
        if (maxDiff > (scale === 1 ? 1e-5 : 0)) report.failures.push(`${model}/${image}: max |Δ| ${maxDiff}`);
      }
      clf.free();
    }
    report.ms = Math.round(performance.now() - t0);
    postMessage(report);
  } catch (e) {
    postMessage({ error: String(e?.stack ?? e) });
  }
};

/** Pool threads whose script is missing: `initThreadPool` must reject (not hang), naming the failure. */
async function startBrokenPool(threads) {
  setPoolWorkerFactory(() => new Worker(new URL('../npm/no-such-pool-worker.js', import.meta.url), { type: 'module' }));
  const mod = await import('../npm/wasm/threads/mobilenet_wasm.js');
  await mod.default();
  const settled = await Promise.race([
    mod.initThreadPool(threads).then(() => 'started', (e) => String(e?.message ?? e)),
    new Promise((resolve) => setTimeout(() => resolve('timed out'), 20_000)),
  ]);
  return { poolError: settled };
}
