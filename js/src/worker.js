// The inference worker: owns one wasm instance and one Engine so the page never blocks.
//
// Protocol (postMessage; every request carries a numeric `id`, answered exactly once, in order):
//   → { id, op: 'load', model: Uint8Array (transferred), labels?: string[], candidates: string[], threadCount, warmUp }
//       candidates: wasm builds to try, best first ('threads' | 'relaxed-simd' | 'simd'; see features.js)
//   ← { id, ok: true, result: { info, labels } }
//       info: { alpha, inputSize, numClasses, quantized, embeddingLength, build, threads }
//   → { id, op: 'classify', frame, options: { topK, scoreThreshold, allow, deny, mirror } }
//   ← { id, ok: true, result: [{ index, label, probability }, …] }   best first
//   → { id, op: 'embed', frame, options: { mirror } }
//   ← { id, ok: true, result: Float32Array }   (its buffer transferred)
//   ← { id, ok: false, error: { code, message } }   for any failure; the worker keeps working
// A frame is one of (frames.js):
//   { kind: 'drawable', drawable: ImageBitmap (transferred; closed here), width, height, owned: true }
//   { kind: 'pixels', data: Uint8Array | Uint8ClampedArray, width, height, channels: 3 | 4 }
//   { kind: 'encoded', bytes: Uint8Array }   PNG/JPEG/BMP/GIF/WebP, decoded in wasm
// To stop the worker, terminate it: that frees the wasm instance.
import { BUILDS } from './builds.js';
import { createEngine } from './engine.js';
import { MobileNetError, errorToMessage } from './errors.js';
import { setPoolWorkerFactory } from './pool.js';

// The threaded build's pool threads (pool.js): this literal form is what bundlers recognise and bundle.
setPoolWorkerFactory(() => new Worker(new URL('./pool-worker.js', import.meta.url), { type: 'module' }));

let engine = null;
let queue = Promise.resolve(); // one request at a time, in arrival order (load is async)

self.onmessage = ({ data }) => {
  queue = queue.then(() => handle(data));
};

async function handle({ id, op, ...request }) {
  try {
    const [result, transfer] = await run(op, request);
    self.postMessage({ id, ok: true, result }, transfer);
  } catch (e) {
    if (request.frame?.owned) request.frame.drawable.close?.();
    self.postMessage({ id, ok: false, error: errorToMessage(e) });
  }
}

async function run(op, { model, labels, candidates, threadCount, warmUp, frame, options }) {
  if (op === 'load') {
    if (engine) throw new MobileNetError('INVALID_ARGUMENT', 'this worker already holds a model');
    engine = await createEngine({ builds: BUILDS, candidates, model, labels, threadCount, warmUp });
    return [{ info: engine.info, labels: engine.labels }, []];
  }
  if (!engine) throw new MobileNetError('INVALID_ARGUMENT', `'${op}' before 'load'`);
  if (op === 'classify') return [engine.classify(frame, options), []];
  if (op === 'embed') {
    const embedding = engine.embed(frame, options);
    return [embedding, [embedding.buffer]];
  }
  throw new MobileNetError('INVALID_ARGUMENT', `unknown op '${op}'`);
}
