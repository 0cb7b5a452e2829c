// The project's "Node row": the same pkg/web* build, model and input, run in this Node process (V8 without a
// browser around it). The web-target glue runs in Node through initSync with the wasm bytes. The driver alternates
// chunks of Node runs with chunks of the browser page's runs, so both see the same machine load.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = new Map();
async function loadBuild(build) {
  if (!modules.has(build.dir)) {
    const mod = await import(pathToFileURL(path.join(build.dir, 'mobilenet_wasm.js')).href);
    mod.initSync({ module: fs.readFileSync(path.join(build.dir, 'mobilenet_wasm_bg.wasm')) });
    modules.set(build.dir, mod);
  }
  return modules.get(build.dir);
}

/** -> { setupMs, run(n) -> times[], output() -> last output vector, free() }. */
export async function nodeRunner(build, modelBytes, tensors, quantized) {
  const t0 = performance.now();
  const mod = await loadBuild(build);
  const clf = new mod.Classifier(modelBytes);
  clf.warmUp?.(); // as the package's load() does (part of setup; builds before it lack the method)
  const setupMs = performance.now() - t0;
  const input = quantized ? tensors.u8 : tensors.f32;
  const infer = quantized ? () => clf.runRaw(input) : () => clf.runRawFloat(input);
  let last = null;
  return {
    setupMs,
    run(n) {
      const times = [];
      for (let i = 0; i < n; i++) {
        const s = performance.now();
        last = infer();
        times.push(performance.now() - s);
      }
      return times;
    },
    output: () => Array.from(last),
    free: () => clf.free(),
  };
}
