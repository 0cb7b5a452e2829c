// mobilenet-wasm for browsers (and bundlers): load() a MobileNet V1 .tflite, then classify()/embed() video
// frames, images, canvases or encoded bytes. Inference runs in a module Worker by default.
//
//   import { load } from 'mobilenet-wasm';
//   const clf = await load({ model: '/models/mobilenet_v1_1.0_224_quant.tflite', cache: true });
//   const [best] = await clf.classify(videoElement, { topK: 3 });
import { BUILDS } from './builds.js';
import { startWorker } from './client.js';
import { loadMobileNet } from './mobilenet.js';
import initSimd from './wasm/simd/mobilenet_wasm.js';

/**
 * Load a model. Options: { model, labels, threads, worker, build, onProgress, cache, integrity, signal, warmUp }
 * (index.d.ts and the README document each).
 * @returns {Promise<import('./mobilenet.js').MobileNet>}
 */
export function load(options) {
  return loadMobileNet(options, { builds: BUILDS, startWorker });
}

/** The low-level wasm-bindgen API (SIMD128 build) for callers who drive `Classifier` themselves. */
export function initWasm(moduleOrPath) {
  return initSimd(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath }).then(() => {});
}

export { Classifier } from './wasm/simd/mobilenet_wasm.js';
export { MobileNet, DEFAULT_TOP_K } from './mobilenet.js';
export { MobileNetError, JS_ERROR_CODES } from './errors.js';
export { detectFeatures } from './features.js';
export { DEFAULT_CACHE_NAME } from './model-source.js';
