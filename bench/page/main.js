// The benchmark page: several runtimes side by side in ONE page, driven by bench.mjs through window.bench.
// Timed runs are interleaved one inference at a time (A B C, B C A, C A B, ...), so every runtime sees the same
// machine state and every position in the round equally often.
import { SETUP } from './runtimes.js';

// Nothing may leave 127.0.0.1: refuse (and record) any fetch to another origin before it reaches the network.
const refused = [];
{
  const nativeFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const u = new URL(input instanceof Request ? input.url : String(input), location.href);
    if (u.origin !== location.origin && !['blob:', 'data:'].includes(u.protocol)) {
      refused.push(u.href.slice(0, 120));
      return Promise.reject(new TypeError(`bench: non-local fetch refused: ${u.href}`));
    }
    return nativeFetch(input, init);
  };
}

const wasmResources = () => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
  .filter((p) => p.endsWith('.wasm'));

async function fetchInputs(base, quantized) {
  const get = async (kind, Ctor) => {
    const r = await fetch(`${base}.${kind}`);
    if (!r.ok) throw new Error(`${base}.${kind}: HTTP ${r.status}`);
    return new Ctor(await r.arrayBuffer());
  };
  return { u8: await get('u8', Uint8Array), f32: await get('f32', Float32Array), nchw: await get('nchw', Float32Array), quantized };
}

let live = []; // [{ id, rt }]

window.bench = {
  /** Load every runtime for one model; a runtime that fails is reported and left out. */
  async setup(model, runtimes) {
    const report = {};
    for (const spec of runtimes) {
      const before = new Set(wasmResources());
      const t0 = performance.now();
      try {
        const rt = await SETUP[spec.kind](spec, model);
        report[spec.id] = { ...rt.info, setupMs: performance.now() - t0, wasmFiles: wasmResources().filter((w) => !before.has(w)) };
        live.push({ id: spec.id, rt });
      } catch (e) {
        report[spec.id] = { error: String(e?.message ?? e).split('\n')[0] };
      }
    }
    return { runtimes: report, crossOriginIsolated: self.crossOriginIsolated, userAgent: navigator.userAgent,
      hardwareConcurrency: navigator.hardwareConcurrency };
  },
  /** Fetch the input tensors of one image (served by the driver) and hand them to every runtime. */
  async setInput(base) {
    const x = await fetchInputs(base);
    for (const { rt } of live) await rt.setInput(x);
    return true;
  },
  /** One untimed inference per runtime: the full output vectors. */
  async outputs() {
    const out = {};
    for (const { id, rt } of live) out[id] = Array.from(await rt.infer());
    return out;
  },
  /** n interleaved rounds, each inference timed on its own; round i starts at runtime (offset + i) mod count;
   * gapMs of idle time before each inference (threaded pages). Returns the times per runtime and each runtime's
   * last output. */
  async run(n, offset = 0, gapMs = 0) {
    const times = Object.fromEntries(live.map(({ id }) => [id, []]));
    const last = {};
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < live.length; k++) {
        const { id, rt } = live[(offset + i + k) % live.length];
        if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
        const t0 = performance.now();
        const out = await rt.infer();
        times[id].push(performance.now() - t0);
        if (i === n - 1) last[id] = Array.from(out);
      }
    }
    return { times, last, refused: [...refused] };
  },
  /** The f32x4 peak micro-benchmark (bench/lib/peak.mjs builds the modules). */
  async peak(variants) {
    const { measurePeak } = await import('./peak-run.js');
    return measurePeak(variants);
  },
  /** The project's pointwise GEMM alone (bench/lib/layers.mjs builds the helper). */
  async layers(spec) {
    const { measureLayers } = await import('./layers-run.js');
    return measureLayers(spec);
  },
};
window.benchReady = true;
