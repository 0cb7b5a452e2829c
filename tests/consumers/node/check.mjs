// Node consumer: the installed package (from the packed tarball) used the way its README tells Node users to.
// Prints one "ok - name" / "not ok - name: why" line per check (run.mjs counts them).
// Env: MOBILENET_DATA (models/, images/, golden/). Run from a project that has mobilenet-wasm installed.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Classifier, MobileNetError, initWasm, load } from 'mobilenet-wasm';

const DATA = process.env.MOBILENET_DATA;
const MODEL = join(DATA, 'models/mobilenet_v1_1.0_224_quant.tflite');
const image = (name) => readFile(join(DATA, 'images', name));
const golden = async (model, id) => JSON.parse(await readFile(join(DATA, 'golden', model, `${id}.json`), 'utf8'));

let failed = 0;
async function check(name, body) {
  try {
    await body();
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${(e?.stack ?? String(e)).split('\n').slice(0, 3).join(' | ')}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
function eq(actual, expected, what) {
  assert(JSON.stringify(actual) === JSON.stringify(expected), `${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
}
async function rejects(promise, code, what) {
  try {
    await promise;
  } catch (e) {
    assert(e instanceof MobileNetError, `${what}: not a MobileNetError: ${e}`);
    eq(e.code, code, `${what}: error code (${e.message})`);
    return e;
  }
  throw new Error(`${what}: resolved, expected rejection with ${code}`);
}

/** A 24-bit bottom-up BMP → raw RGB rows, top first (enough for the Coral test images). */
function bmpToRgb(bmp) {
  const dv = new DataView(bmp.buffer, bmp.byteOffset, bmp.byteLength);
  const offset = dv.getUint32(10, true);
  const width = dv.getInt32(18, true);
  const height = dv.getInt32(22, true);
  assert(dv.getUint16(28, true) === 24 && height > 0, 'test BMP must be 24-bit bottom-up');
  const stride = Math.ceil((width * 3) / 4) * 4;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = offset + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const [b, g, r] = [bmp[row + 3 * x], bmp[row + 3 * x + 1], bmp[row + 3 * x + 2]];
      rgb.set([r, g, b], (y * width + x) * 3);
    }
  }
  return { data: rgb, width, height };
}

const top = (preds) => preds.map((p) => [p.index, p.label]);
const goldenTop5 = (g) => g.top5.map((t) => [t.index, Math.fround(t.probability)]);
const indexProb = (preds) => preds.map((p) => [p.index, p.probability]);

const clf = await load({ model: MODEL });

await check('the node export condition resolves to node.js', () => {
  assert(import.meta.resolve('mobilenet-wasm').endsWith('/mobilenet-wasm/node.js'), import.meta.resolve('mobilenet-wasm'));
});

await check('info describes the 1.0/224 uint8 model and the build', () => {
  eq(clf.info, { alpha: 1, inputSize: 224, numClasses: 1001, quantized: true, embeddingLength: 1024, build: clf.info.build, threads: 1, worker: false }, 'info');
  assert(['simd', 'relaxed-simd'].includes(clf.info.build), `build ${clf.info.build}`);
  eq([clf.labels.length, clf.labels[0], clf.labels[968]], [1001, 'background', 'espresso'], 'labels');
});

await check('grace_hopper.jpg is a military uniform', async () => {
  const preds = await clf.classify(await image('grace_hopper.jpg'));
  eq(top(preds)[0], [653, 'military uniform'], 'top-1');
  eq(preds.length, 5, 'default topK');
  assert(preds.every((p, i) => i === 0 || preds[i - 1].probability >= p.probability), 'sorted best first');
});

await check('coffee.png is espresso, with exactly TFLite\'s top-5 probabilities', async () => {
  const preds = await clf.classify(await image('coffee.png'), { topK: 5 });
  eq(top(preds)[0], [968, 'espresso'], 'top-1');
  eq(indexProb(preds), goldenTop5(await golden('mobilenet_v1_1.0_224_quant', 'coffee_png')), 'top-5 vs golden');
});

await check('raw RGB and RGBA pixels classify exactly as the encoded BMP', async () => {
  const bmp = await image('grace_hopper.bmp');
  const want = goldenTop5(await golden('mobilenet_v1_1.0_224_quant', 'grace_hopper_bmp'));
  eq(indexProb(await clf.classify(bmp)), want, 'encoded BMP vs golden');
  const rgb = bmpToRgb(bmp);
  eq(indexProb(await clf.classify({ ...rgb, channels: 3 })), want, 'raw RGB');
  const rgba = new Uint8Array(rgb.width * rgb.height * 4).map((_, i) => (i % 4 === 3 ? 255 : rgb.data[(i >> 2) * 3 + (i % 4)]));
  eq(indexProb(await clf.classify({ data: rgba, width: rgb.width, height: rgb.height })), want, 'raw RGBA (channels inferred)');
  const mirrored = await clf.classify({ data: rgba, width: rgb.width, height: rgb.height }, { mirror: true });
  assert(JSON.stringify(indexProb(mirrored)) !== JSON.stringify(want), 'mirror changes the input');
});

await check('topK, scoreThreshold, allow and deny filter in wasm', async () => {
  const coffee = await image('coffee.png');
  eq((await clf.classify(coffee, { topK: 2 })).length, 2, 'topK 2');
  const allowed = await clf.classify(coffee, { topK: 10, allow: ['cup', 'coffee mug'] });
  eq(top(allowed), [[505, 'coffee mug'], [969, 'cup']], 'allow keeps only listed labels');
  const denied = await clf.classify(coffee, { deny: ['espresso'] });
  assert(denied.every((p) => p.label !== 'espresso') && denied.length === 5, 'deny drops espresso');
  const sure = await clf.classify(coffee, { topK: 10, scoreThreshold: 0.5 });
  eq(top(sure), [[968, 'espresso']], 'threshold 0.5 leaves only espresso');
  eq(top(await clf.classify(coffee, { topK: 1 }))[0], [968, 'espresso'], 'no options: filter cleared');
});

await check('bad filters are INVALID_ARGUMENT and the classifier keeps working', async () => {
  const coffee = await image('coffee.png');
  const typo = await rejects(clf.classify(coffee, { allow: ['expresso'] }), 'INVALID_ARGUMENT', 'unknown label');
  assert(typo.message.includes('expresso'), typo.message);
  await rejects(clf.classify(coffee, { allow: ['cup'], deny: ['espresso'] }), 'INVALID_ARGUMENT', 'allow and deny');
  await rejects(clf.classify(coffee, { scoreThreshold: 2 }), 'INVALID_ARGUMENT', 'threshold above 1');
  await rejects(clf.classify(coffee, { topK: 0 }), 'INVALID_ARGUMENT', 'topK 0');
  await rejects(clf.classify(coffee, { topk: 3 }), 'INVALID_ARGUMENT', 'misspelt option');
  await rejects(clf.classify(coffee, { mirror: true }), 'INVALID_ARGUMENT', 'mirror on encoded bytes');
  await rejects(clf.classify(42), 'INVALID_ARGUMENT', 'a number is no image');
  await rejects(clf.classify(new Uint8Array([1, 2, 3, 4])), 'DECODE_FAILED', 'garbage bytes');
  eq(top(await clf.classify(coffee, { topK: 1 }))[0], [968, 'espresso'], 'still works');
});

await check('embed gives 1024 pooled features, deterministic and image-dependent', async () => {
  const a = await clf.embed(await image('coffee.png'));
  const b = await clf.embed(await image('coffee.png'));
  const c = await clf.embed(await image('grace_hopper.jpg'));
  assert(a instanceof Float32Array && a.length === 1024, `embedding ${a?.constructor?.name} of ${a?.length}`);
  assert(a.every((x) => Number.isFinite(x) && x >= 0 && x <= 6), 'ReLU6 features lie in [0, 6]');
  eq(Array.from(a), Array.from(b), 'same image, same embedding');
  assert(a.some((x, i) => x !== c[i]), 'different images differ');
});

await check('models load from bytes and URLs with progress and sha256 integrity', async () => {
  const bytes = await readFile(MODEL);
  const hex = createHash('sha256').update(bytes).digest('hex');
  const sri = `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
  const progress = [];
  const fromBytes = await load({ model: new Uint8Array(bytes), integrity: hex, onProgress: (p) => progress.push(p) });
  eq(progress.at(-1), { loaded: bytes.length, total: bytes.length, cached: false }, 'progress for bytes');
  fromBytes.dispose();
  const fromUrl = await load({ model: new URL(`file://${MODEL}`), integrity: sri });
  eq(top(await fromUrl.classify(await image('coffee.png'), { topK: 1 })), [[968, 'espresso']], 'file: URL model works');
  fromUrl.dispose();
  const wrong = hex.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  await rejects(load({ model: MODEL, integrity: wrong }), 'INTEGRITY_MISMATCH', 'wrong sha256');
  await rejects(load({ model: MODEL, integrity: 'md5-abc' }), 'INVALID_ARGUMENT', 'malformed integrity');
});

await check('http downloads report progress; HTTP errors are MODEL_FETCH_FAILED', async () => {
  const bytes = await readFile(MODEL);
  const server = createServer((req, res) => {
    if (req.url !== '/model.tflite') return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Length': bytes.length }).end(bytes);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const progress = [];
    const remote = await load({ model: `${base}/model.tflite`, onProgress: (p) => progress.push(p) });
    assert(progress.length >= 2, `progress events: ${progress.length}`);
    assert(progress.every((p, i) => i === 0 || p.loaded >= progress[i - 1].loaded), 'loaded never decreases');
    eq(progress.at(-1), { loaded: bytes.length, total: bytes.length, cached: false }, 'final progress');
    eq(top(await remote.classify(await image('coffee.png'), { topK: 1 })), [[968, 'espresso']], 'downloaded model works');
    remote.dispose();
    await rejects(load({ model: `${base}/missing.tflite` }), 'MODEL_FETCH_FAILED', 'HTTP 404');
  } finally {
    server.close();
  }
});

await check('bad models and options are typed errors', async () => {
  await rejects(load({ model: new Uint8Array(64).fill(7) }), 'NOT_TFLITE', 'garbage model');
  await rejects(load({ model: (await readFile(MODEL)).subarray(0, 1000) }), 'MODEL_TRUNCATED', 'cut model');
  await rejects(load({ model: join(DATA, 'models/missing.tflite') }), 'MODEL_FETCH_FAILED', 'missing file');
  await rejects(load({}), 'INVALID_ARGUMENT', 'no model');
  await rejects(load({ model: MODEL, treads: 2 }), 'INVALID_ARGUMENT', 'misspelt option');
  await rejects(load({ model: MODEL, build: 'threads' }), 'BUILD_UNAVAILABLE', 'threads in Node');
  await rejects(load({ model: MODEL, labels: ['one'] }), 'INVALID_ARGUMENT', 'wrong label count');
  await rejects(load({ model: MODEL, warmUp: 'yes' }), 'INVALID_ARGUMENT', 'warmUp not a boolean');
});

await check('the float 0.25/224 model runs with custom labels (loaded without warm-up)', async () => {
  const labels = Array.from({ length: 1001 }, (_, i) => `c${i}`);
  const f = await load({ model: join(DATA, 'models/mobilenet_v1_0.25_224.tflite'), labels, warmUp: false });
  eq([f.info.quantized, f.info.alpha, f.info.inputSize, f.info.embeddingLength], [false, 0.25, 224, 256], 'float info');
  eq(top(await f.classify(await image('coffee.png'), { topK: 1 })), [[968, 'c968']], 'top-1 with custom labels');
  f.dispose();
});

await check('dispose is final and idempotent', async () => {
  const d = await load({ model: join(DATA, 'models/mobilenet_v1_0.25_128_quant.tflite') });
  d.dispose();
  d.dispose();
  await rejects(d.classify(await image('coffee.png')), 'DISPOSED', 'classify after dispose');
  await rejects(d.embed(await image('coffee.png')), 'DISPOSED', 'embed after dispose');
});

await check('the low-level wasm-bindgen Classifier stays exported', async () => {
  await initWasm();
  const low = new Classifier(new Uint8Array(await readFile(MODEL)));
  const preds = low.classifyImage(await image('coffee.png'), 1);
  eq([preds[0].index, preds[0].label], [968, 'espresso'], 'low-level top-1');
  low.free();
});

// Issue 7: every public entry point validates its arguments. wasm-bindgen alone would coerce (4.5 → 4, -1 →
// 4294967295, a Float32Array of pixels → bytes, a string of labels → one label per character) or throw untyped
// TypeErrors; each call below must throw a MobileNetError-shaped Error with the right code and never trap.
await check('every low-level entry point refuses wrong-typed arguments with a typed error, then still classifies', async () => {
  await initWasm();
  const modelBytes = new Uint8Array(await readFile(join(DATA, 'models/mobilenet_v1_0.25_128_quant.tflite')));
  const coffee = await image('coffee.png');
  const low = new Classifier(modelBytes);
  const px = new Uint8Array(4 * 4 * 4);
  const INVALID = 'INVALID_ARGUMENT';
  const calls = [
    ['new Classifier(null)', () => new Classifier(null), INVALID],
    ['new Classifier("bytes")', () => new Classifier('bytes'), INVALID],
    ['new Classifier(42)', () => new Classifier(42), INVALID],
    ['new Classifier([1, 2, 3])', () => new Classifier([1, 2, 3]), INVALID],
    ['new Classifier(model, "labels")', () => new Classifier(modelBytes, 'labels'), INVALID],
    ['new Classifier(model, 1001 numbers)', () => new Classifier(modelBytes, Array.from({ length: 1001 }, (_, i) => i)), INVALID],
    ['new Classifier(model, {})', () => new Classifier(modelBytes, {}), INVALID],
    ['new Classifier(model, 2 labels)', () => new Classifier(modelBytes, ['a', 'b']), INVALID],
    ['new Classifier(truncated)', () => new Classifier(modelBytes.subarray(0, 100)), 'MODEL_TRUNCATED'],
    ['Classifier.withLimits(model, null, "x")', () => Classifier.withLimits(modelBytes, null, 'x'), INVALID],
    ['Classifier.withLimits(model, null, { maxInputSize: 1.5 })', () => Classifier.withLimits(modelBytes, null, { maxInputSize: 1.5 }), INVALID],
    ['Classifier.withLimits(model, null, { maxInputSize: 64 })', () => Classifier.withLimits(modelBytes, null, { maxInputSize: 64 }), 'TOO_LARGE'],
    ['setMaxImagePixels("many")', () => low.setMaxImagePixels('many'), INVALID],
    ['setMaxImagePixels(-1)', () => low.setMaxImagePixels(-1), INVALID],
    ['classifyRgba(null, 4, 4, 5)', () => low.classifyRgba(null, 4, 4, 5), INVALID],
    ['classifyRgba("abc", 4, 4, 5)', () => low.classifyRgba('abc', 4, 4, 5), INVALID],
    ['classifyRgba([...64 numbers], 4, 4, 5)', () => low.classifyRgba([...px], 4, 4, 5), INVALID],
    ['classifyRgba(Float32Array, 4, 4, 5)', () => low.classifyRgba(new Float32Array(64), 4, 4, 5), INVALID],
    ['classifyRgba(px, 4.5, 4, 5)', () => low.classifyRgba(px, 4.5, 4, 5), INVALID],
    ['classifyRgba(px, "4", "4", 5)', () => low.classifyRgba(px, '4', '4', 5), INVALID],
    ['classifyRgba(px, -1, 4, 5)', () => low.classifyRgba(px, -1, 4, 5), INVALID],
    ['classifyRgba(px, 4, 4, -1)', () => low.classifyRgba(px, 4, 4, -1), INVALID],
    ['classifyRgba(px, 4, 4, 0)', () => low.classifyRgba(px, 4, 4, 0), INVALID],
    ['classifyRgba(px, 4, 4)', () => low.classifyRgba(px, 4, 4), INVALID],
    ['classifyRgba(px, 4, 4, 5, "yes")', () => low.classifyRgba(px, 4, 4, 5, 'yes'), INVALID],
    ['classifyRgba(px, 5, 4, 5)', () => low.classifyRgba(px, 5, 4, 5), INVALID],
    ['classifyRgba(px, 0, 0, 5)', () => low.classifyRgba(px, 0, 0, 5), INVALID],
    ['classifyRgba(px, 1e6, 1e6, 5)', () => low.classifyRgba(px, 1e6, 1e6, 5), 'TOO_LARGE'],
    ['classifyRgb(px, 4, 4, 5)', () => low.classifyRgb(px, 4, 4, 5), INVALID],
    ['classifyImage(undefined, 5)', () => low.classifyImage(undefined, 5), INVALID],
    ['classifyImage("coffee.png", 5)', () => low.classifyImage('coffee.png', 5), INVALID],
    ['classifyImage(empty, 5)', () => low.classifyImage(new Uint8Array(0), 5), INVALID],
    ['classifyImage(garbage, 5)', () => low.classifyImage(new Uint8Array([1, 2, 3, 4]), 5), 'DECODE_FAILED'],
    ['classifyImage(truncated PNG, 5)', () => low.classifyImage(coffee.subarray(0, 200), 5), 'DECODE_FAILED'],
    ['classifyImage(coffee, 2.5)', () => low.classifyImage(coffee, 2.5), INVALID],
    ['embedRgba(px, 0, 0)', () => low.embedRgba(px, 0, 0), INVALID],
    ['embedRgba(Int16Array, 4, 4)', () => low.embedRgba(new Int16Array(64), 4, 4), INVALID],
    ['embedRgb(px, 4, 4)', () => low.embedRgb(px, 4, 4), INVALID],
    ['embedImage({})', () => low.embedImage({}), INVALID],
    ['runRaw(null)', () => low.runRaw(null), INVALID],
    ['runRaw(10 bytes)', () => low.runRaw(new Uint8Array(10)), INVALID],
    ['runRawFloat(Uint8Array)', () => low.runRawFloat(new Uint8Array(128 * 128 * 3)), INVALID],
    ['runRawFloat(Float32Array) on a uint8 model', () => low.runRawFloat(new Float32Array(128 * 128 * 3)), INVALID],
    ['setFilter(2)', () => low.setFilter(2), INVALID],
    ['setFilter("x")', () => low.setFilter('x'), INVALID],
    ['setFilter(0, "espresso")', () => low.setFilter(0, 'espresso'), INVALID],
    ['setFilter(0, {})', () => low.setFilter(0, {}), INVALID],
    ['setFilter(0, [5])', () => low.setFilter(0, [5]), INVALID],
    ['setFilter(0, ["expresso"])', () => low.setFilter(0, ['expresso']), INVALID],
    ['setFilter(0, ["cup"], ["espresso"])', () => low.setFilter(0, ['cup'], ['espresso']), INVALID],
    ['warmUp(-1)', () => low.warmUp(-1), INVALID],
    ['warmUp(1.5)', () => low.warmUp(1.5), INVALID],
    ['warmUp(11)', () => low.warmUp(11), INVALID],
    ['warmUp("2")', () => low.warmUp('2'), INVALID],
  ];
  const wrong = [];
  for (const [what, call, code] of calls) {
    try {
      call();
      wrong.push(`${what}: returned`);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) wrong.push(`${what}: trapped (${e.message})`);
      else if (!(e instanceof Error) || e.code !== code || !e.message) wrong.push(`${what}: ${e?.constructor?.name} ${e?.code} ${e?.message}`);
    }
  }
  assert(wrong.length === 0, `${wrong.length} of ${calls.length} calls misbehaved: ${wrong.join('; ')}`);
  // The instance still works, exactly: the same frame as Uint8Array, Buffer, Uint8ClampedArray and ArrayBuffer
  // gives the probabilities of the encoded BMP it came from, which are TFLite's on the golden input.
  low.warmUp();
  low.warmUp(0);
  const bmp = await image('cat.bmp');
  const rgb = bmpToRgb(bmp);
  const want = JSON.stringify(low.classifyImage(bmp, 5));
  const top5 = (await golden('mobilenet_v1_0.25_128_quant', 'cat_bmp')).top5.map((p) => [p.index, p.probability]);
  eq(JSON.parse(want).map((p) => [p.index, p.probability]), top5, "cat.bmp after the refusals: TFLite's top-5");
  for (const data of [rgb.data, Buffer.from(rgb.data), new Uint8ClampedArray(rgb.data), rgb.data.slice().buffer]) {
    eq(JSON.stringify(low.classifyRgb(data, rgb.width, rgb.height, 5)), want, `classifyRgb(${data.constructor.name})`);
  }
  low.free();
});

clf.dispose();
if (failed) process.exitCode = 1;
