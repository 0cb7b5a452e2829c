// The object load() resolves to, shared by the browser and Node entries: option checking and the dispose state.
// Where inference runs is the backend's business: an Engine on this thread (LocalBackend) or in a Worker
// (client.js: WorkerBackend); both take the same frames and options.
import { createEngine } from './engine.js';
import { asMobileNetError, invalid, MobileNetError } from './errors.js';
import { buildCandidates, detectFeatures, resolveThreadCount } from './features.js';
import { describeSource } from './frames.js';
import { modelBytes } from './model-source.js';

const LOAD_KEYS = ['model', 'labels', 'threads', 'worker', 'build', 'onProgress', 'cache', 'integrity', 'signal', 'warmUp'];

const CLASSIFY_KEYS = ['topK', 'scoreThreshold', 'allow', 'deny', 'mirror'];
export const DEFAULT_TOP_K = 5;

/**
 * load() for both entries. `env` says what this platform offers: `builds` (the glue modules it can load), and
 * in browsers `startWorker` (client.js); in Node `files` (model paths) and `wasmBytes` (it cannot fetch its .wasm).
 */
export async function loadMobileNet(options, env) {
  try {
    checkKeys(options, LOAD_KEYS, 'load');
    const { model, onProgress, cache, integrity, signal, build = 'auto' } = options;
    if (model === undefined || model === null) throw invalid('model is required: the URL, path or bytes of a MobileNet V1 .tflite');
    const labels = options.labels === undefined ? undefined : checkLabels(options.labels, 'labels');
    const worker = options.worker ?? true;
    if (typeof worker !== 'boolean') throw invalid('worker must be a boolean');
    const warmUp = options.warmUp ?? true;
    if (typeof warmUp !== 'boolean') throw invalid('warmUp must be a boolean');
    const threadCount = resolveThreadCount(options.threads);
    const useWorker = worker && Boolean(env.startWorker) && typeof Worker === 'function';
    // Feature checks first: a page that cannot run any build should not download the model.
    const features = detectFeatures();
    const candidates = buildCandidates({ available: Object.keys(env.builds), features, build, threadCount, threadsAllowed: useWorker });
    const bytes = await modelBytes(model, { onProgress, cache, integrity, signal, files: env.files });
    if (signal?.aborted) throw new MobileNetError('ABORTED', 'aborted');
    if (useWorker) return new MobileNet(await env.startWorker({ model: bytes, labels, candidates, threadCount, warmUp }));
    const engine = await createEngine({ builds: env.builds, candidates, model: bytes, labels, threadCount, warmUp, wasmBytes: env.wasmBytes });
    return new MobileNet(new LocalBackend(engine));
  } catch (e) {
    throw asMobileNetError(e);
  }
}

export class MobileNet {
  #backend;

  /** @param {{ info: object, labels: string[], worker: boolean }} backend */
  constructor(backend) {
    this.#backend = backend;
    /** { alpha, inputSize, numClasses, quantized, embeddingLength, build, threads, worker } */
    this.info = Object.freeze({ ...backend.info, worker: backend.worker });
    /** The class labels, index-aligned with predictions' `index`. */
    this.labels = Object.freeze([...backend.labels]);
  }

  /**
   * Classify one image or video frame.
   * @returns {Promise<{ index: number, label: string, probability: number }[]>} best first
   */
  async classify(source, options = {}) {
    return this.#call('classify', source, classifyOptions(options));
  }

  /** The embedding (global-average-pooled features, `info.embeddingLength` floats) of one image or frame. */
  async embed(source, options = {}) {
    checkKeys(options, ['mirror'], 'embed');
    return this.#call('embed', source, { mirror: checkMirror(options.mirror) });
  }

  /** Free the wasm memory (and stop the worker). Later calls reject with code 'DISPOSED'. Idempotent. */
  dispose() {
    this.#backend?.dispose();
    this.#backend = null;
  }

  async #call(op, source, options) {
    if (!this.#backend) throw new MobileNetError('DISPOSED', 'this classifier was disposed');
    try {
      return await this.#backend[op](source, options);
    } catch (e) {
      throw asMobileNetError(e);
    }
  }
}

function checkKeys(options, allowed, what) {
  if (options === null || typeof options !== 'object') throw invalid(`${what}() options must be an object`);
  const unknown = Object.keys(options).filter((k) => !allowed.includes(k));
  if (unknown.length) throw invalid(`unknown ${what} option(s) ${unknown.join(', ')}; known: ${allowed.join(', ')}`);
}

function checkMirror(mirror = false) {
  if (typeof mirror !== 'boolean') throw invalid('mirror must be a boolean');
  return mirror;
}

function checkLabels(list, name) {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || !list.every((l) => typeof l === 'string')) throw invalid(`${name} must be an array of label strings`);
  return list;
}

/** Type checks only: ranges and label names are checked in wasm, where the filter is applied. */
export function classifyOptions(options) {
  checkKeys(options, CLASSIFY_KEYS, 'classify');
  const { topK = DEFAULT_TOP_K, scoreThreshold = 0 } = options;
  if (!Number.isInteger(topK) || topK < 1) throw invalid(`topK must be a positive integer, got ${topK}`);
  if (typeof scoreThreshold !== 'number') throw invalid('scoreThreshold must be a number in [0, 1]');
  return {
    topK: Math.min(topK, 0xffffffff),
    scoreThreshold,
    allow: checkLabels(options.allow, 'allow'),
    deny: checkLabels(options.deny, 'deny'),
    mirror: checkMirror(options.mirror),
  };
}

/** Inference on this thread (Node; or the page with `worker: false`). */
export class LocalBackend {
  #engine;
  worker = false;

  constructor(engine) {
    this.#engine = engine;
    this.info = engine.info;
    this.labels = engine.labels;
  }

  async classify(source, options) {
    return this.#engine.classify(await describeSource(source), options);
  }

  async embed(source, options) {
    return this.#engine.embed(await describeSource(source), options);
  }

  dispose() {
    this.#engine.dispose();
  }
}
