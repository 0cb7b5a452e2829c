// Browser consumer: a tiny app importing the package as users do (bundled by Vite or webpack 5, or served as
// plain ES modules). It runs its checks and leaves the report on window.__report for run.mjs (Playwright).
// Served next to it (by run.mjs, never committed): models/mobilenet_v1_1.0_224_quant.tflite and expected.json
// (TFLite's golden top-5 for the two lossless images).
import { DEFAULT_CACHE_NAME, MobileNetError, load } from 'mobilenet-wasm';

const MODEL_URL = 'models/mobilenet_v1_1.0_224_quant.tflite';
const images = {
  graceJpg: new URL('./grace_hopper.jpg', import.meta.url),
  graceBmp: new URL('./grace_hopper.bmp', import.meta.url),
  coffee: new URL('./coffee.png', import.meta.url),
};

const checks = [];
const report = { done: false, checks, info: null, timings: {} };
window.__report = report;
const out = document.getElementById('out');

async function check(name, body) {
  try {
    await body();
    checks.push({ name, ok: true });
  } catch (e) {
    checks.push({ name, ok: false, detail: String(e?.stack ?? e).split('\n').slice(0, 3).join(' | ') });
  }
  out.textContent = checks.map((c) => `${c.ok ? 'ok' : 'FAIL'} ${c.name}${c.detail ? `: ${c.detail}` : ''}`).join('\n');
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
function eq(actual, expected, what) {
  const [a, b] = [JSON.stringify(actual), JSON.stringify(expected)];
  assert(a === b, `${what}: got ${a}, want ${b}`);
}
async function rejects(promise, code, what) {
  try {
    await promise;
  } catch (e) {
    assert(e instanceof MobileNetError, `${what}: not a MobileNetError: ${e}`);
    eq(e.code, code, `${what}: code (${e.message})`);
    return e;
  }
  throw new Error(`${what}: resolved, expected ${code}`);
}
const top1 = (preds) => [preds[0]?.index, preds[0]?.label];
const indexProb = (preds) => preds.map((p) => [p.index, p.probability]);
const bytesOf = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
async function imageElement(url) {
  const img = new Image();
  img.src = url;
  await img.decode();
  return img;
}
async function sha256Hex(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Longest gap between 4 ms timer ticks while `body` runs: how long the page was unresponsive. */
async function longestStall(body) {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 4);
  const t0 = performance.now();
  try {
    await body();
  } finally {
    clearInterval(timer);
  }
  worst = Math.max(worst, performance.now() - last);
  return { stall: worst, total: performance.now() - t0 };
}

async function main() {
  const expected = await (await fetch('expected.json')).json();
  const modelBytes = await bytesOf(MODEL_URL);
  const integrity = await sha256Hex(modelBytes);
  await caches.delete(DEFAULT_CACHE_NAME);

  let clf;
  const progress = [];
  await check('load() in a worker, downloading with progress, integrity and caching', async () => {
    clf = await load({ model: MODEL_URL, cache: true, integrity, onProgress: (p) => progress.push(p) });
    report.info = clf.info;
    eq([clf.info.worker, clf.info.inputSize, clf.info.numClasses, clf.info.quantized], [true, 224, 1001, true], 'info');
    eq(progress.at(-1), { loaded: modelBytes.length, total: modelBytes.length, cached: false }, 'final progress');
  });
  if (!clf) return;

  await check('an <img> of grace_hopper.jpg is a military uniform', async () => {
    eq(top1(await clf.classify(await imageElement(images.graceJpg))), [653, 'military uniform'], 'top-1');
  });

  await check('encoded bytes (BMP, decoded in wasm) give exactly TFLite\'s top-5', async () => {
    eq(indexProb(await clf.classify(await bytesOf(images.graceBmp))), expected.grace_hopper_bmp, 'top-5');
  });

  await check('an <img> of the lossless PNG gives exactly TFLite\'s top-5', async () => {
    eq(indexProb(await clf.classify(await imageElement(images.coffee))), expected.coffee_png, 'top-5');
  });

  await check('canvas, OffscreenCanvas, ImageBitmap, ImageData and Blob sources', async () => {
    const img = await imageElement(images.coffee);
    const canvas = Object.assign(document.createElement('canvas'), { width: img.naturalWidth, height: img.naturalHeight });
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const offscreen = new OffscreenCanvas(canvas.width, canvas.height);
    offscreen.getContext('2d').drawImage(img, 0, 0);
    const bitmap = await createImageBitmap(img);
    const imageData = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const blob = await (await fetch(images.coffee)).blob();
    for (const [what, source] of Object.entries({ canvas, offscreen, bitmap, imageData, blob })) {
      eq(indexProb(await clf.classify(source)), expected.coffee_png, what);
    }
    eq(bitmap.width, img.naturalWidth, 'the caller\'s ImageBitmap is not consumed');
    eq(imageData.data.length, canvas.width * canvas.height * 4, 'the caller\'s ImageData is not detached');
  });

  await check('filters and topK apply (in wasm, through the worker)', async () => {
    const coffee = await bytesOf(images.coffee);
    eq((await clf.classify(coffee, { topK: 10, allow: ['cup', 'coffee mug'] })).map((p) => p.label), ['coffee mug', 'cup'], 'allow');
    assert((await clf.classify(coffee, { deny: ['espresso'] })).every((p) => p.label !== 'espresso'), 'deny');
    eq((await clf.classify(coffee, { topK: 10, scoreThreshold: 0.5 })).map((p) => p.label), ['espresso'], 'threshold');
    await rejects(clf.classify(coffee, { allow: ['expresso'] }), 'INVALID_ARGUMENT', 'unknown label');
    eq(top1(await clf.classify(coffee, { topK: 1 })), [968, 'espresso'], 'works after an error');
  });

  await check('embed() returns 1024 features', async () => {
    const e = await clf.embed(await imageElement(images.coffee));
    assert(e instanceof Float32Array && e.length === 1024 && e.every((x) => x >= 0 && x <= 6), `embedding ${e?.length}`);
  });

  await check('typed errors cross the worker', async () => {
    await rejects(clf.classify(new Uint8Array([1, 2, 3])), 'DECODE_FAILED', 'garbage image');
    await rejects(clf.classify(document.createElement('video')), 'SOURCE_NOT_READY', 'video without a frame');
    await rejects(clf.classify({}), 'INVALID_ARGUMENT', 'not an image');
    await rejects(load({ model: new Uint8Array(64).fill(7) }), 'NOT_TFLITE', 'garbage model (rejected in the worker)');
    await rejects(load({ model: 'models/missing.tflite' }), 'MODEL_FETCH_FAILED', 'HTTP 404');
  });

  await check('a webcam <video> (fake camera) classifies, mirrored', async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    const video = Object.assign(document.createElement('video'), { muted: true, playsInline: true, srcObject: stream });
    await video.play();
    while (video.readyState < 2) await new Promise((r) => setTimeout(r, 20));
    for (let frame = 0; frame < 3; frame++) {
      const preds = await clf.classify(video, { topK: 3, mirror: true });
      eq(preds.length, 3, 'three predictions');
      assert(preds.every((p) => p.probability >= 0 && p.probability <= 1 && p.label === clf.labels[p.index]), 'valid');
    }
    stream.getTracks().forEach((t) => t.stop());
  });

  const img = await imageElement(images.graceJpg);
  await check('the page stays responsive while the worker infers', async () => {
    await clf.classify(img); // warm
    // The least stalled of 3 runs: unrelated stalls (GC, the <img> drawn on this thread, a loaded CI machine) only
    // add to a run's worst gap, while inference in the page blocks every run for its whole length.
    let inWorker = null;
    for (let i = 0; i < 3; i++) {
      const run = await longestStall(() => clf.classify(img));
      if (!inWorker || run.stall < inWorker.stall) inWorker = run;
    }
    const local = await load({ model: modelBytes, worker: false });
    await local.classify(img);
    const inPage = await longestStall(() => local.classify(img));
    report.timings = { workerStallMs: inWorker.stall, workerTotalMs: inWorker.total, inPageStallMs: inPage.stall, inPageTotalMs: inPage.total };
    eq([local.info.worker, local.info.build === clf.info.build || local.info.build !== 'threads'], [false, true], 'in-page info');
    eq(top1(await local.classify(img)), [653, 'military uniform'], 'in-page top-1');
    local.dispose();
    assert(inPage.stall > 0.8 * inPage.total, `in-page inference blocks (${inPage.stall.toFixed(0)} of ${inPage.total.toFixed(0)} ms)`);
    assert(inWorker.stall < 0.5 * inPage.stall, `worker stall ${inWorker.stall.toFixed(0)} ms vs in-page ${inPage.stall.toFixed(0)} ms`);
  });

  await check('a second load comes from Cache Storage; a wrong integrity is refused', async () => {
    const again = [];
    const cached = await load({ model: MODEL_URL, cache: true, integrity, onProgress: (p) => again.push(p) });
    eq(again.at(-1), { loaded: modelBytes.length, total: modelBytes.length, cached: true }, 'progress from cache');
    cached.dispose();
    const wrong = integrity.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await rejects(load({ model: MODEL_URL, cache: true, integrity: wrong }), 'INTEGRITY_MISMATCH', 'wrong sha256');
  });

  await check('dispose() stops the worker; later calls reject with DISPOSED', async () => {
    clf.dispose();
    await rejects(clf.classify(img), 'DISPOSED', 'classify after dispose');
  });
}

main()
  .catch((e) => checks.push({ name: 'app', ok: false, detail: String(e?.stack ?? e) }))
  .finally(() => {
    report.done = true;
  });
