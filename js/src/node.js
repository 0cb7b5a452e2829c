// mobilenet-wasm for Node (>= 20): the same API as in browsers, running on the calling thread. Models may be
// given as a path, a file: or http(s): URL, or bytes; sources as encoded image bytes or raw pixels.
//
//   import { load } from 'mobilenet-wasm';
//   const clf = await load({ model: 'models/mobilenet_v1_1.0_224_quant.tflite' });
//   console.log(await clf.classify(await readFile('cat.jpg')));
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { NODE_BUILDS } from './builds-node.js';
import { loadMobileNet } from './mobilenet.js';
import initSimd from './wasm/simd/mobilenet_wasm.js';

// fetch() cannot read file: URLs in Node, so the .wasm and file models are read from disk.
const files = {
  read: async (url) => new Uint8Array(await readFile(url)),
  toUrl: (path) => pathToFileURL(path),
};
const wasmBytes = (dir) => readFile(new URL(`./wasm/${dir}/mobilenet_wasm_bg.wasm`, import.meta.url));

/**
 * Load a model. Options: { model, labels, threads, build, onProgress, integrity, signal, warmUp } (index.d.ts and the
 * README document each; `worker` and `cache` have no effect in Node).
 */
export function load(options) {
  return loadMobileNet(options, { builds: NODE_BUILDS, files, wasmBytes });
}

/** The low-level wasm-bindgen API (SIMD128 build) for callers who drive `Classifier` themselves. */
export async function initWasm() {
  await initSimd({ module_or_path: await wasmBytes('simd') });
}

export { Classifier } from './wasm/simd/mobilenet_wasm.js';
export { MobileNet, DEFAULT_TOP_K } from './mobilenet.js';
export { MobileNetError, JS_ERROR_CODES } from './errors.js';
export { detectFeatures } from './features.js';
export { DEFAULT_CACHE_NAME } from './model-source.js';
