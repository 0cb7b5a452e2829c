// The engine: one wasm Classifier plus the glue module of the build it runs on. It is synchronous once created and
// knows nothing of workers: the worker (worker.js), the in-page path and Node all drive the same Engine.
import { MobileNetError, asMobileNetError, invalid } from './errors.js';
import { readPixels } from './frames.js';

const pools = new Map(); // glue module → Promise of its thread pool (a wasm instance gets one pool, ever)
const POOL_START_TIMEOUT_MS = 20_000; // a pool whose workers cannot start never settles: give up, run unthreaded

/**
 * Instantiate the first build of `candidates` that starts (a threaded build may fail to spawn its pool workers,
 * e.g. under a CSP that forbids them; the next candidate then runs), and load the model into it.
 * @param {object} o
 * @param {Record<string, { dir: string, load(): Promise<object> }>} o.builds the glue modules this entry can use
 *   (builds.js in browsers, builds-node.js in Node; written by js/assemble.mjs)
 * @param {string[]} o.candidates build names, best first (features.js: buildCandidates)
 * @param {Uint8Array} o.model the .tflite bytes
 * @param {string[]} [o.labels] one per class; default: the built-in ImageNet labels
 * @param {number} o.threadCount pool size for the threaded build
 * @param {boolean} [o.warmUp] run the network twice on a grey frame before resolving (default true): engines first
 *   run wasm in a baseline tier, and the first real frames would pay for the optimising recompile
 * @param {(dir: string) => Promise<BufferSource>} [o.wasmBytes] Node: a build's .wasm bytes (fetch cannot read files)
 */
export async function createEngine({ builds, candidates, model, labels, threadCount, warmUp = true, wasmBytes }) {
  const failures = [];
  for (const build of candidates) {
    let glue;
    try {
      glue = await startBuild(builds[build], threadCount, wasmBytes);
    } catch (e) {
      failures.push(`${build}: ${e?.message ?? e}`);
      continue;
    }
    let classifier;
    try {
      classifier = new glue.Classifier(model, labels ?? undefined);
    } catch (e) {
      throw asMobileNetError(e); // the model is at fault, not the build: do not try the next one
    }
    if (warmUp) classifier.warmUp(); // its default run count (Classifier::warm_up says why)
    return new Engine(glue, classifier, build);
  }
  const code = failures.length ? 'BUILD_UNAVAILABLE' : 'INTERNAL';
  throw new MobileNetError(code, `no wasm build could start (${failures.join('; ')})`);
}

async function startBuild(entry, threadCount, wasmBytes) {
  if (!entry) throw new Error('not available here');
  const glue = await entry.load();
  await glue.default(wasmBytes ? { module_or_path: await wasmBytes(entry.dir) } : undefined);
  if (typeof glue.initThreadPool === 'function') {
    if (!pools.has(glue)) pools.set(glue, glue.initThreadPool(threadCount));
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`its ${threadCount} threads did not start`)), POOL_START_TIMEOUT_MS);
    });
    try {
      await Promise.race([pools.get(glue), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
  return glue;
}

export class Engine {
  #classifier;
  #applied = { scoreThreshold: 0, allow: [], deny: [] }; // the filter the classifier holds

  constructor(glue, classifier, build) {
    this.#classifier = classifier;
    const c = classifier;
    /** Plain data (structured-clone safe): what the worker reports to the page. */
    this.info = Object.freeze({
      alpha: c.alpha,
      inputSize: c.inputSize,
      numClasses: c.numClasses,
      quantized: c.quantized,
      embeddingLength: c.embeddingLength,
      build,
      // Threads this model's inferences use: small networks run on one thread even in the threaded build.
      threads: c.threads ?? (typeof glue.threadCount === 'function' ? glue.threadCount() : 1),
    });
    this.labels = c.labels;
  }

  /** @returns {{ index: number, label: string, probability: number }[]} best first */
  classify(frame, { topK, scoreThreshold, allow, deny, mirror }) {
    return this.#run(frame, mirror, () => {
      this.#applyFilter(scoreThreshold, allow, deny);
      const c = this.#classifier;
      if (frame.kind === 'encoded') return c.classifyImage(frame.bytes, topK);
      const { data, width, height } = this.#pixels(frame);
      const rgb = frame.kind === 'pixels' && frame.channels === 3;
      return rgb ? c.classifyRgb(data, width, height, topK, mirror) : c.classifyRgba(data, width, height, topK, mirror);
    });
  }

  /** @returns {Float32Array} the embeddingLength pooled features */
  embed(frame, { mirror }) {
    return this.#run(frame, mirror, () => {
      const c = this.#classifier;
      if (frame.kind === 'encoded') return c.embedImage(frame.bytes);
      const { data, width, height } = this.#pixels(frame);
      const rgb = frame.kind === 'pixels' && frame.channels === 3;
      return rgb ? c.embedRgb(data, width, height, mirror) : c.embedRgba(data, width, height, mirror);
    });
  }

  dispose() {
    this.#classifier?.free();
    this.#classifier = null;
  }

  #run(frame, mirror, body) {
    try {
      if (!this.#classifier) throw new MobileNetError('DISPOSED', 'this classifier was disposed');
      if (mirror && frame.kind === 'encoded') throw invalid('mirror applies to camera frames, not to encoded images');
      return body();
    } catch (e) {
      throw asMobileNetError(e);
    } finally {
      if (frame.owned) frame.drawable.close?.(); // an ImageBitmap the page made for us
    }
  }

  #pixels(frame) {
    if (frame.kind === 'pixels') return frame;
    return { data: readPixels(frame.drawable, frame.width, frame.height), width: frame.width, height: frame.height };
  }

  /** Send the filter to wasm only when it changed: the label mask is rebuilt there on every set. */
  #applyFilter(scoreThreshold = 0, allow = [], deny = []) {
    const a = this.#applied;
    if (scoreThreshold === a.scoreThreshold && sameList(allow, a.allow) && sameList(deny, a.deny)) return;
    this.#classifier.setFilter(scoreThreshold, allow, deny);
    this.#applied = { scoreThreshold, allow: [...allow], deny: [...deny] };
  }
}

function sameList(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

